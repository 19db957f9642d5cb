"""Console sign-in: sessions opened with an admin key or by a WeCom staff member's QR login, and staff's roles.

The browser holds only a session id (32 random bytes); the table holds its SHA-256, the principal, the role, a
separate CSRF token and the expiry (SCRM_CONSOLE_SESSION_SECONDS, default 8 h; a key session never outlives its
key). The admin key itself is never stored, answered or logged. Every use re-checks what the session stands for:
a revoked or expired key, a disabled account or a removed staff role stops its sessions at once, and a staff
session acts with the role its member holds now.

WeCom QR login (企业微信Web登录): `start_wecom_login` makes a single-use random `state` (kept hashed, bound to a
short-lived cookie by the route) and WeCom's login URL; `finish_wecom_login` takes the state once, exchanges the
code for the member's userid (auth/getuserinfo, with the token of the login app itself: its AgentID
`options.console_login_agentid`, its Secret `console_login_secret`, never the customer-contact token) and opens
a session if an admin gave that member a console role.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import urllib.parse
from dataclasses import dataclass

from .. import accounts
from ..bootstrap import account_reads, console_store, container
from ..config import settings
from ..domain.instants import answer_time
from ..errors import (
    ConfigError,
    KeyOfDisabledAccount,
    LoginStateInvalid,
    NoConsoleRole,
    NotFound,
    RateLimited,
    Unauthorized,
    ValidationError,
    WeChatError,
)
from ..stores.console import KEY, WECOM_STAFF, LoginState, Session, StaffRole
from ..tenancy import Scope
from . import admin_keys

SESSION_COOKIE = "scrm_session"
LOGIN_STATE_COOKIE = "scrm_wecom_login"
LOGIN_STATE_SECONDS = 600  # WeCom's login code lives 5 minutes; the page before it a little longer
SESSION_ID_MAX = 128
# A staff member's console role and the admin role it acts with (scrm.tenancy.ROLES).
STAFF_ROLES = {"viewer": "read-only", "operator": "operator", "admin": "admin"}
USERID = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")  # WeCom userid: 1-64 letters, digits, _ . @ -
# Failed key sign-ins allowed per source IP, and per key id, in one fixed window; then 429 until it ends
# (guessing a key's secret from one place, or one key's from many, is slowed to a crawl).
SIGN_IN_FAILURES = 10
SIGN_IN_WINDOW_SECONDS = 300
# auth/getuserinfo errcodes that mean "this code is no good" (not a failure of ours): invalid, missing code
BAD_CODE = {40029, 41008}
# ... and the one that means our login app is set up wrong: the token is not the app's whose login made the code
# (or the callback's domain is not that app's trusted domain), https://developer.work.weixin.qq.com/document/path/98177
WRONG_APP = 50001


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class ConsolePrincipal(admin_keys.KeyInfo):
    """Who a console session acts as, shaped like an API key (`authorize`, tenancy and the audit log use it as
    one): `key_id` is the key's id, or `wecom:<account_id>:<userid>` for a staff member."""

    session: Session | None = None

    @property
    def principal_kind(self) -> str:
        return self.session.principal_kind if self.session else KEY


def _now() -> float:
    return container().now()


def _open(kind: str, role: str, account_id: str | None, expires_at: float, **who) -> tuple[str, Session]:
    session_id = secrets.token_urlsafe(32)
    now = _now()
    session = Session(id_hash=secret_hash(session_id), principal_kind=kind, role=role, account_id=account_id,
                      csrf_token=secrets.token_urlsafe(32), created_at=now, expires_at=expires_at, **who)
    console_store().create_session(session)
    return session_id, session


def _principal_name(session: Session) -> str:
    if session.principal_kind == KEY:
        return session.key_id
    return f"wecom:{session.account_id}:{session.userid}"


# ---- signing in with a key


def _failure_sources(source_ip: str | None, presented) -> list[str]:
    """The hashes the sign-in's failures count under: its source IP and the key id it presented (no raw IP or
    key text is stored)."""
    sources = [f"ip:{source_ip or 'unknown'}"]
    if isinstance(presented, str) and presented.startswith("scrm.") and presented.count(".") >= 2:
        sources.append(f"key:{presented.rsplit('.', 1)[0][:160]}")
    return [secret_hash(s) for s in sources]


def _refuse_if_limited(sources: list[str], now: float, window: int) -> None:
    store = console_store()
    if any(store.sign_in_failures(s, window, now) >= SIGN_IN_FAILURES for s in sources):
        retry_after = (window + 1) * SIGN_IN_WINDOW_SECONDS - now
        raise RateLimited(f"too many failed sign-ins ({SIGN_IN_FAILURES} in {SIGN_IN_WINDOW_SECONDS // 60} "
                          "minutes): try again later", retry_after=int(retry_after) + 1)


def sign_in_with_key(presented, source_ip: str | None = None) -> tuple[str, ConsolePrincipal]:
    """(the new session id, its principal) for a valid admin key; Unauthorized (401) for any other, counted
    against the source IP and the key id; RateLimited (429) once either has SIGN_IN_FAILURES in the window (a
    valid key too: the limit is checked before the key)."""
    now = _now()
    window = int(now // SIGN_IN_WINDOW_SECONDS)
    sources = _failure_sources(source_ip, presented)
    _refuse_if_limited(sources, now, window)
    try:
        key = _authenticate_key(presented)
    except Unauthorized:
        expires_at = (window + 1) * SIGN_IN_WINDOW_SECONDS
        for source in sources:
            console_store().add_sign_in_failure(source, window, expires_at)
        raise
    return _open_key_session(key)


def _authenticate_key(presented) -> admin_keys.KeyInfo:
    if not isinstance(presented, str):
        raise Unauthorized("send the admin key as {\"key\": \"scrm.<key id>.<secret>\"}")
    return admin_keys.authenticate(presented)


def _open_key_session(key: admin_keys.KeyInfo) -> tuple[str, ConsolePrincipal]:
    until = _now() + settings().console_session_seconds
    if key.expires_at is not None:
        until = min(until, key.expires_at.timestamp())
    session_id, session = _open(KEY, key.role, None if key.platform else key.account_id, until, key_id=key.key_id)
    return session_id, _principal(session, key.account_id, key.role)


def _principal(session: Session, account_id: str, role: str) -> ConsolePrincipal:
    return ConsolePrincipal(key_id=_principal_name(session), account_id=account_id, role=role, session=session)


# ---- using a session


def authenticate(session_id: str | None) -> ConsolePrincipal:
    """The principal of a live session, with its current role; Unauthorized (401) for none, an unknown or expired
    session, or one whose key or staff role is gone; KeyOfDisabledAccount (403) while its account is disabled."""
    if not session_id or len(session_id) > SESSION_ID_MAX:
        raise Unauthorized("no console session: sign in")
    now = _now()
    session = console_store().get_session(secret_hash(session_id), now)
    if session is None:
        raise Unauthorized("the console session is unknown or has expired: sign in again")
    if session.principal_kind == KEY:
        key = admin_keys.still_valid(session.key_id, now)
        return _principal(session, key.account_id, key.role)
    return _principal(session, session.account_id, _staff_role_now(session))


def _staff_role_now(session: Session) -> str:
    staff = console_store().get_staff_role(session.account_id, session.userid)
    if staff is None:
        raise Unauthorized(f"staff member {session.userid} no longer has a console role on {session.account_id}")
    account_status = account_reads().account_status(session.account_id)
    if account_status is None:
        raise Unauthorized(f"account {session.account_id} is no longer registered")
    if account_status != "active":
        raise KeyOfDisabledAccount(session.account_id)
    return STAFF_ROLES[staff.role]


def sign_out(session_id: str) -> None:
    console_store().delete_session(secret_hash(session_id))


def csrf_matches(principal: ConsolePrincipal, presented: str | None) -> bool:
    """Whether the X-CSRF-Token presented is the session's (constant time)."""
    return bool(presented) and hmac.compare_digest(presented.encode(), principal.session.csrf_token.encode())


def view(principal: ConsolePrincipal) -> dict:
    """The answer of POST/GET /console/session (the CSRF token is for the page's own changes)."""
    session = principal.session
    return {"principal": principal.key_id, "role": principal.role,
            "account_id": None if principal.platform else principal.account_id, "platform": principal.platform,
            "expires_at": answer_time(session.expires_at),
            "csrf_token": session.csrf_token}


def seconds_left(principal: ConsolePrincipal) -> int:
    return max(0, int(principal.session.expires_at - _now()))


# ---- WeCom QR login


def _login_account(account_id) -> accounts.Account:
    if not isinstance(account_id, str) or not accounts.ACCOUNT_ID.match(account_id):
        raise ValidationError("account_id must name a WeCom account", field="account_id")
    account = accounts.get(account_id)
    if account.kind != "wecom":
        raise ValidationError(f"account {account_id} is not a WeCom corp: its staff cannot sign in with WeCom",
                              field="account_id")
    return account


def start_wecom_login(account_id, redirect_uri: str) -> tuple[str, str, int]:
    """(WeCom's login URL, the state to bind to the browser's cookie, its lifetime in seconds).

    The link is WeCom's documented 构造企业微信登录链接, login_type CorpApp:
    https://developer.work.weixin.qq.com/document/path/98171
    `login.work.weixin.qq.com/wwlogin/sso/login?login_type=CorpApp&appid=CORPID&agentid=AGENTID&redirect_uri=
    URLENCODED&state=STATE`."""
    account = _login_account(account_id)
    agentid = account.options.get("console_login_agentid")
    if not agentid:
        raise ValidationError(f"account {account.account_id} has no options.console_login_agentid (the AgentID of "
                              "the WeCom app staff sign in with): set it first", field="account_id")
    if not account.console_login_secret:  # the code could not be redeemed: refuse before anyone scans
        raise ValidationError(f"account {account.account_id} has no console_login_secret (the Secret of WeCom app "
                              f"{agentid}, which staff sign in with): set it first", field="account_id")
    state = secrets.token_urlsafe(32)
    console_store().put_login_state(LoginState(secret_hash(state), account.account_id,
                                               _now() + LOGIN_STATE_SECONDS))
    query = urllib.parse.urlencode({"login_type": "CorpApp", "appid": account.app_id, "agentid": str(agentid),
                                    "redirect_uri": redirect_uri, "state": state})
    return f"{settings().wecom_login_base_url}/wwlogin/sso/login?{query}", state, LOGIN_STATE_SECONDS


def finish_wecom_login(state, bound_state, code) -> tuple[str, ConsolePrincipal]:
    """(the new session id, its principal) for the callback WeCom redirected to.

    `state` must be the one this browser's cookie holds (`bound_state`) and still unused; it is used up here,
    whatever follows. The code is exchanged with auth/getuserinfo; a member without a console role is refused."""
    if not (isinstance(state, str) and isinstance(bound_state, str) and state and len(state) <= SESSION_ID_MAX
            and hmac.compare_digest(state.encode(), bound_state.encode())):
        raise LoginStateInvalid("the login state does not match this browser's: start the WeCom login again")
    taken = console_store().take_login_state(secret_hash(state), _now())
    if taken is None:
        raise LoginStateInvalid("the login state is unknown, used or expired: start the WeCom login again")
    if not isinstance(code, str) or not code or len(code) > 512:  # WeCom: no code when the member refused
        raise Unauthorized("WeCom gave no login code (the login was cancelled): start it again")
    account = _login_account(taken.account_id)
    userid = _member_of(account, code)
    staff = console_store().get_staff_role(account.account_id, userid)
    if staff is None:
        raise NoConsoleRole(f"staff member {userid} has no console role on {account.account_id}: ask an admin")
    until = _now() + settings().console_session_seconds
    session_id, session = _open(WECOM_STAFF, STAFF_ROLES[staff.role], account.account_id, until,
                                corpid=account.app_id, userid=userid)
    return session_id, _principal(session, account.account_id, STAFF_ROLES[staff.role])


def _member_of(account: accounts.Account, code: str) -> str:
    from ..gateway import login_app_for

    try:
        who = login_app_for(account).login_user(code)  # the login app's own token (98177), not the corp's
    except WeChatError as exc:
        if exc.errcode in BAD_CODE:
            raise Unauthorized(f"WeCom refused the login code ({exc.errcode} {exc.errmsg}): sign in again") from None
        if exc.errcode == WRONG_APP:
            raise ConfigError(f"WeCom refused the login app's token for {account.account_id} ({exc.errcode}): "
                              "console_login_secret must be the Secret of app options.console_login_agentid, and "
                              "the console's domain that app's trusted domain") from None
        raise
    userid = who.get("userid")
    if not isinstance(userid, str) or not userid:  # {openid, external_userid}: not a member of the corp
        raise NoConsoleRole(f"the person who scanned is not a member of {account.account_id}'s corp")
    return userid


# ---- staff roles (admin routes)


def _staff_account(scope: Scope, account_id: str) -> None:
    scope.check(account_id)
    account = accounts.get(account_id, allow_disabled=True)
    if account.kind != "wecom":
        raise ValidationError(f"account {account_id} is not a WeCom corp: it has no staff", field="account_id")


def _check_userid(userid: str) -> None:
    if not USERID.match(userid or ""):
        raise ValidationError("userid must be a WeCom userid (1-64 letters, digits, _ . @ -)", field="userid")


def staff_view(role: StaffRole) -> dict:
    return {"account_id": role.account_id, "userid": role.userid, "role": role.role,
            "updated_at": answer_time(role.updated_at), "updated_by": role.updated_by}


def set_staff_role(scope: Scope, account_id: str, userid: str, role) -> dict:
    _staff_account(scope, account_id)
    _check_userid(userid)
    if role not in STAFF_ROLES:
        raise ValidationError(f"role must be one of {', '.join(STAFF_ROLES)}", field="role")
    record = StaffRole(account_id=account_id, userid=userid, role=role, updated_at=_now(), updated_by=scope.key_id)
    console_store().put_staff_role(scope, record)
    return staff_view(record)


def list_staff(scope: Scope, account_id: str, *, limit: int, start: dict | None = None):
    """(one page of staff roles, the position after it) for the admin API's cursor pagination."""
    _staff_account(scope, account_id)
    return console_store().list_staff_roles(scope, account_id, limit=limit, start=start)


def remove_staff(scope: Scope, account_id: str, userid: str) -> dict:
    """Remove the role (answered as it was): the member's sessions are refused from their next request."""
    _staff_account(scope, account_id)
    _check_userid(userid)
    removed = console_store().delete_staff_role(scope, account_id, userid)
    if removed is None:
        raise NotFound(f"staff member {userid} has no console role on {account_id}")
    return staff_view(removed)
