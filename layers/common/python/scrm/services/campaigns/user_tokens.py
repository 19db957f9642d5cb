"""Who a user request is from: the account check, signed user tokens (OAuth sign-in, links put in messages).

User calls carry a token signed with the account's user-token key; `authenticate` turns it into the openid it
vouches for. The account is checked before any secret is read, and unknown ids are answered from a per-container
negative cache, so requests for random ids cost no SSM call (SSM's quota is shared with every tenant's callbacks).
"""

from __future__ import annotations

from ... import accounts, bootstrap, secrets
from ...domain import lottery, user_tokens
from ...domain.instants import answer_time
from ...errors import AccountDisabled, UnknownAccount, ValidationError
from ...tenancy import Scope
from .common import DrawRefused, _now, campaign_path, load

TOKEN_SECRET = "campaign_token_key"
LINK_TTL_DEFAULT = 7 * 86400
OAUTH_TTL = 2 * 3600
UNKNOWN_ACCOUNT_SECONDS = 60  # an id found unknown is answered from memory for this long (per container)
UNKNOWN_ACCOUNTS_MAX = 10_000
TOKEN_KEY_SECONDS = 3600  # a user-token key is created once and never overwritten; re-read hourly at most


def _unknown_accounts():
    return bootstrap.container().cache("campaigns.unknown_accounts", UNKNOWN_ACCOUNT_SECONDS)


def _token_keys():
    return bootstrap.container().cache("campaigns.user_token_keys", TOKEN_KEY_SECONDS)


def check_account(account_id: str) -> None:
    """The account a user request names exists and is active, or DrawRefused; checked before any secret is read.

    Unknown ids are remembered per container (negative cache), so requests for random ids cost one table read
    each at most and never an SSM call: SSM's request quota is shared with every tenant's callbacks.
    """
    if not isinstance(account_id, str) or not accounts.ACCOUNT_ID.match(account_id):
        raise DrawRefused("unknown_account", "unknown account", status=404)
    unknown = _unknown_accounts()
    if unknown.get(account_id):
        raise DrawRefused("unknown_account", "unknown account", status=404)
    try:
        accounts.get(account_id)
    except UnknownAccount:
        if len(unknown) >= UNKNOWN_ACCOUNTS_MAX:
            unknown.clear()
        unknown.put(account_id, True)
        raise DrawRefused("unknown_account", "unknown account", status=404) from None
    except AccountDisabled:
        raise DrawRefused("account_disabled", "this account is disabled; nothing can be drawn", status=403) from None
    unknown.pop(account_id)


def _token_key(account_id: str, create: bool = False) -> bytes:
    """The account's user-token key, cached per container (one SSM read per account and hour at most)."""
    cache = _token_keys()
    hit = cache.get(account_id)
    if hit:
        return hit
    value = secrets.account_secrets(account_id).get(TOKEN_SECRET)
    if not value:
        if not create:
            raise DrawRefused("unknown_account", "this account issues no user tokens", status=401)
        value = secrets.claim_account_secret(account_id, TOKEN_SECRET, lottery.new_seed())  # a concurrent one wins
    key = value.encode()
    cache.put(account_id, key)
    return key


def issue_user_token(account_id: str, openid: str, *, kind: str = "oauth", campaign_id: str | None = None,
                     ttl: int | None = None, now: float | None = None) -> dict:
    """A signed token for an OA user (after OAuth, or for a link put in a message)."""
    accounts.get(account_id)  # the account must exist and be active before it gets a key
    ttl = ttl or (OAUTH_TTL if kind == "oauth" else LINK_TTL_DEFAULT)
    try:
        token = user_tokens.issue(_token_key(account_id, create=True), account_id, openid, now=_now(now), ttl=ttl,
                                  kind=kind, campaign_id=campaign_id)
    except ValueError as exc:
        raise ValidationError(str(exc), field="ttl") from None
    return {"token": token, "expires_at": answer_time(int(_now(now)) + ttl)}


def issue_link(scope: Scope, account_id: str, campaign_id: str, openid: str, ttl: int | None = None,
               now: float | None = None) -> dict:
    scope.check(account_id)
    if not isinstance(openid, str) or not openid:
        raise ValidationError("openid is required", field="openid")
    load(account_id, campaign_id)
    issued = issue_user_token(account_id, openid, kind="link", campaign_id=campaign_id, ttl=ttl, now=now)
    # The token rides in the fragment: browsers never send it to a server (no access log, proxy or Referer sees
    # it); the campaign page reads it there and calls the API with `Authorization: Bearer`.
    issued["path"] = f"{campaign_path(account_id, campaign_id)}#t={issued['token']}"
    return issued


OAUTH_CODE_MESSAGES = {  # what the page tells the user (the code is sent again only after a new sign-in)
    40163: "this sign-in was already used; sign in through WeChat again",
    40029: "the sign-in code is invalid or expired; sign in through WeChat again",
    41008: "the sign-in code is missing; sign in through WeChat again",
}


def login_with_oauth_code(account_id: str, code: str, now: float | None = None) -> dict:
    """Exchange a WeChat web-OAuth code (snsapi_base) for the user's openid, and sign a token for it."""
    from ...gateway import gateway_for
    from ...gateway.official_account import OAuthCodeRefused

    if not code:
        raise DrawRefused("missing_code", "the OAuth code is required", status=400)
    account = _oa_account(account_id)
    try:
        openid = gateway_for(account).oauth_openid(code)
    except OAuthCodeRefused as exc:
        raise DrawRefused("bad_oauth_code", OAUTH_CODE_MESSAGES.get(exc.errcode, OAUTH_CODE_MESSAGES[40029]),
                          status=401) from None
    return {"openid": openid, **issue_user_token(account_id, openid, kind="oauth", now=now)}


def _oa_account(account_id: str) -> accounts.Account:
    """The account a sign-in names, checked first (unknown ids cost no secret read), and it must be an OA."""
    check_account(account_id)
    account = accounts.get(account_id)
    if not account.is_oa:
        raise DrawRefused("not_an_official_account", "OAuth sign-in is for Official Accounts", status=400)
    return account


def authenticate(account_id: str, campaign_id: str | None, token: str | None, now: float | None = None) -> str:
    """The openid a user token vouches for, or DrawRefused naming why not (the account is checked first)."""
    if not token:
        raise DrawRefused("missing_token", "sign in through WeChat first", status=401)
    if token.count(".") != 2 or len(token) > 2048:
        raise DrawRefused("malformed_token", "token refused: malformed_token", status=401)
    check_account(account_id)
    try:
        key = _token_key(account_id)
        return user_tokens.verify(key, token, account_id=account_id, now=_now(now), campaign_id=campaign_id)
    except user_tokens.TokenRefused as exc:
        raise DrawRefused(exc.reason, f"token refused: {exc.reason}", status=401) from None
