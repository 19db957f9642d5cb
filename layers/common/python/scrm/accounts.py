"""The account registry: an account is one Official Account or one WeCom corp, with its secrets.

Records live in the `accounts` table; AppSecret, callback Token and EncodingAESKey live in SSM.
Lookups are cached per container so the callback path does not pay a read per event. When the table or SSM
fails, a cached account (with its secrets) is served for up to `SCRM_STALE_ACCOUNT_SECONDS` (default 24 h)
past its load, with a warning: WeChat gives up on a callback after ~15 s of 503s, so stale beats lost.

Message mode (as in the OA console's 消息加解密方式): `plaintext`, `compatible` or `safe` (the default). Safe mode
refuses unencrypted callback bodies; WeCom corps are always `safe` (WeCom only sends encrypted callbacks).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from . import secrets as secret_store
from .bootstrap import TtlCache, account_reads, account_store, container
from .config import settings
from .errors import AccountDisabled, ConfigError, UnknownAccount
from .observability import logger
from .stores.accounts.base import AccountRow

KINDS = ("oa", "wecom")
SECRET_NAMES = ("app_secret", "token", "aes_key")
# WeCom only, optional: the Secret of the self-built app staff sign in to the console with (its AgentID is
# options.console_login_agentid). WeCom gives every app its own access token ("获取到的access_token只能本应用使用",
# https://developer.work.weixin.qq.com/document/path/91039), and a login code is redeemed only with the token of
# the app that did the login (https://developer.work.weixin.qq.com/document/path/98177).
LOGIN_SECRET = "console_login_secret"
# WeCom only, optional: the Secrets of the corp's self-built apps (自建应用) by AgentID, one SSM parameter each
# (`agent_secret_<AgentID>`). WeCom's app messages (message/send: loss alerts, reassignment notices) go out as the
# app whose `agentid` is in the body, with that app's own token; the customer-contact Secret's token is refused
# (301002, https://developer.work.weixin.qq.com/document/path/90313). Keyed by AgentID because WeCom shows an app's
# AgentId and Secret together on its page, and every feature names its app by AgentID: the token is always fetched
# with the Secret of the very agentid the body names.
AGENT_SECRET_PREFIX = "agent_secret_"
MAX_AGENT_SECRETS = 20
ACCOUNT_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
AES_KEY = re.compile(r"^[A-Za-z0-9]{43}$")
CACHE_SECONDS = 60
MESSAGE_MODES = ("plaintext", "compatible", "safe")


@dataclass(frozen=True)
class Account:
    account_id: str
    kind: str
    app_id: str
    name: str
    original_id: str | None = None
    account_type: str = "service"
    message_mode: str = "safe"
    status: str = "active"
    options: dict = field(default_factory=dict)
    app_secret: str = field(default="", repr=False)
    token: str = field(default="", repr=False)
    aes_key: str = field(default="", repr=False)
    console_login_secret: str = field(default="", repr=False)
    agent_secrets: dict = field(default_factory=dict, repr=False)  # AgentID (str) -> that self-built app's Secret

    @property
    def is_oa(self) -> bool:
        return self.kind == "oa"

    def agent_secret(self, agentid) -> str:
        """The Secret of the self-built app `agentid`, "" when the account has none: its own entry, else the
        console login app's Secret when `agentid` is that app (one app may both sign staff in and tell them)."""
        key = str(agentid)
        if self.agent_secrets.get(key):
            return self.agent_secrets[key]
        if self.console_login_secret and str(self.options.get("console_login_agentid") or "") == key:
            return self.console_login_secret
        return ""


def agent_secret_names(agent_secrets: dict | None) -> dict[str, str]:
    """{AgentID: Secret} as SSM parameter names (`agent_secret_<AgentID>`)."""
    return {f"{AGENT_SECRET_PREFIX}{int(agentid)}": value for agentid, value in (agent_secrets or {}).items()}


def validate_secrets(kind: str, secrets: dict) -> None:
    missing = [n for n in SECRET_NAMES if not secrets.get(n)]
    if missing:
        raise ConfigError(f"{kind} account is missing {', '.join(missing)}")
    if not AES_KEY.match(secrets["aes_key"]):
        raise ConfigError("aes_key (EncodingAESKey) must be 43 letters and digits")
    if not re.match(r"^[A-Za-z0-9]{3,32}$", secrets["token"]):
        raise ConfigError("token must be 3-32 letters and digits")


def check_message_mode(kind: str, mode: str) -> str:
    if mode not in MESSAGE_MODES:
        raise ConfigError(f"message_mode must be one of {', '.join(MESSAGE_MODES)}, got {mode!r}")
    if kind == "wecom" and mode != "safe":
        raise ConfigError("message_mode of a WeCom corp is always safe (WeCom only sends encrypted callbacks)")
    return mode


def _cache() -> TtlCache:
    """The container's accounts (with their secrets) by account_id: fresh for CACHE_SECONDS, then kept to be
    served stale while the table or SSM is down."""
    return container().cache("accounts", CACHE_SECONDS)


def _now() -> datetime:
    return datetime.fromtimestamp(container().now(), UTC)


def register(account_id: str, kind: str, app_id: str, name: str, *, app_secret: str, token: str,
             aes_key: str, original_id: str | None = None, account_type: str = "service",
             options: dict | None = None, create_only: bool = False, message_mode: str = "safe",
             console_login_secret: str | None = None, agent_secrets: dict | None = None) -> Account:
    """Create or replace an account: secrets to SSM first, then the record (so a record never lacks them).

    With `create_only`, the id is first claimed with a conditional write (status "registering"), so two
    concurrent registrations of one id cannot both write secrets: the loser gets Conflict and touches nothing.
    A claim left behind by a crash can be taken over after CLAIM_SECONDS.
    The callback Token is claimed for this account (the account store's Token claims): a Token another account
    uses is refused with Conflict, so one account's signatures never verify on another's URL.
    `console_login_secret` and `agent_secrets` ({AgentID: Secret}; WeCom only) are kept in SSM beside the others.
    """
    if not ACCOUNT_ID.match(account_id or ""):
        raise ConfigError("account_id must be 2-63 lowercase letters, digits or dashes")
    if kind not in KINDS:
        raise ConfigError(f"kind must be one of {KINDS}, got {kind!r}")
    secrets = {"app_secret": app_secret, "token": token, "aes_key": aes_key}
    validate_secrets(kind, secrets)
    check_message_mode(kind, message_mode)
    if console_login_secret:
        if kind != "wecom":
            raise ConfigError(f"{LOGIN_SECRET} applies to WeCom corps only")
        secrets[LOGIN_SECRET] = console_login_secret
    if agent_secrets:
        if kind != "wecom":
            raise ConfigError("agent_secrets apply to WeCom corps only")
        secrets = {**secrets, **agent_secret_names(agent_secrets)}
    now = _now()
    store = account_store()
    row = AccountRow(account_id=account_id, kind=kind, app_id=app_id, name=name, original_id=original_id,
                     account_type=account_type, status="active", created_at=now, updated_at=now,
                     options=options or {}, message_mode=message_mode)
    previous_token = None if create_only else _current_token(account_id)
    if create_only:
        store.claim_account_id(row, stale_before=now - timedelta(seconds=CLAIM_SECONDS))
    try:
        store.claim_token(account_id, token)
    except Exception:
        if create_only:  # give the id back at once rather than after CLAIM_SECONDS
            store.abandon_account_claim(account_id)
        raise
    secret_store.put_account_secrets(account_id, secrets)
    if previous_token and previous_token != token:
        store.release_token(account_id, previous_token)
    store.save_account(row)
    _cache().pop(account_id)
    return get(account_id)


CLAIM_SECONDS = 60


def _current_token(account_id: str) -> str | None:
    """The Token an existing account has now (to release its claim when it is replaced)."""
    try:
        return secret_store.account_secrets(account_id).get("token")
    except Exception:  # none yet, or SSM unreadable: the old claim (if any) stays, which only over-protects
        return None


class _StoreUnavailable(Exception):
    """The account table or SSM failed (not: the account does not exist)."""


def _load(account_id: str) -> Account:
    try:
        rec = account_reads().load_account(account_id)
        secrets = secret_store.account_secrets(account_id) if rec is not None else {}
    except Exception as exc:
        raise _StoreUnavailable(str(exc)) from exc
    if rec is None:
        raise UnknownAccount(account_id)
    missing = [n for n in SECRET_NAMES if not secrets.get(n)]
    if missing:
        raise ConfigError(f"account {account_id!r} has no {', '.join(missing)} in SSM")
    return Account(account_id=rec.account_id, kind=rec.kind, app_id=rec.app_id, name=rec.name,
                   original_id=rec.original_id, account_type=rec.account_type, status=rec.status,
                   message_mode=rec.message_mode or "safe", options=dict(rec.options),
                   console_login_secret=secrets.get(LOGIN_SECRET, ""), agent_secrets=agent_secrets_of(secrets),
                   **{n: secrets[n] for n in SECRET_NAMES})


def agent_secrets_of(secrets: dict) -> dict[str, str]:
    """The self-built apps' Secrets among an account's SSM values: {AgentID: Secret}."""
    return {name[len(AGENT_SECRET_PREFIX):]: value for name, value in secrets.items()
            if name.startswith(AGENT_SECRET_PREFIX) and value}


def get(account_id: str, *, allow_disabled: bool = False) -> Account:
    cache = _cache()
    account = cache.get(account_id)
    if account is None:
        try:
            account = _load(account_id)
        except _StoreUnavailable as exc:
            account = _stale(cache, account_id, exc)
        else:
            cache.put(account_id, account)
    if account.status == "registering":
        raise ConfigError(f"registration of account {account_id!r} has not completed; register it again")
    if account.status != "active" and not allow_disabled:
        raise AccountDisabled(account_id)
    return account


def _stale(cache: TtlCache, account_id: str, exc: Exception) -> Account:
    """The cached account while the store is down, if it was loaded at most SCRM_STALE_ACCOUNT_SECONDS ago."""
    stale = cache.stale(account_id)
    if stale is None or stale[1] > settings().stale_account_seconds:
        raise ConfigError(f"account {account_id!r} unavailable: {exc}") from exc
    logger().warning("account store unavailable; serving the cached account",
                     extra={"account_id": account_id, "stale_seconds": round(stale[1])})
    return stale[0]


def forget_cache() -> None:
    _cache().clear()
    secret_store.forget_cache()
