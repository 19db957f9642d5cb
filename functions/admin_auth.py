"""Who is calling an admin route: the API key (`Authorization: Bearer <key>`), its role and its tenancy.

Authentication is done inside every admin route, not by an API Gateway authorizer: it needs the path's
account_id for tenancy, must answer with our JSON errors (401 vs 403), must see a revocation at once (API
Gateway caches authorizer answers), and works the same in `chalice local`, `chalice.test.Client` and Lambda.
`authorizer` below is the same check as a Chalice built-in authorizer, for a stage that also wants API Gateway
to turn away key-less calls before they reach Lambda (register this module's `bp` and pass
`authorizer=authorizer` in `admin_route` via GATEWAY_AUTHORIZER); it is not attached by default.
"""

from __future__ import annotations

from chalice import Blueprint

from scrm import errors
from scrm.accounts import ACCOUNT_ID
from scrm.tenancy import ROLES

bp = Blueprint(__name__)
GATEWAY_AUTHORIZER = False  # see the module docstring
PLATFORM_ROLE = "platform"  # route role: only platform keys (e.g. registering accounts)


def check_role(role: str) -> None:
    if role not in (*ROLES, PLATFORM_ROLE):
        raise ValueError(f"role must be one of {ROLES} or {PLATFORM_ROLE!r}")


def bearer(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise errors.Unauthorized("Authorization header must be 'Bearer <key>'")
    return value.strip()


def authenticate(request):
    """Who is calling: the key of `Authorization: Bearer <key>`, else the console session of the `scrm_session`
    cookie (401 for none, a malformed, unknown, expired or revoked key, an unknown or expired session or one whose
    key or staff role is gone). A change (POST/PUT/PATCH/DELETE) made with the cookie must carry the session's
    `X-CSRF-Token` and come from this site (403 `csrf_failed` otherwise); a bearer key is no ambient credential
    and needs neither."""
    from scrm.services.admin_keys import authenticate as check_key

    header = request.headers.get("authorization")
    session_id = None if header else session_cookie(request)
    if session_id is None:
        return check_key(bearer(header))
    from scrm.services import console_sessions

    principal = console_sessions.authenticate(session_id)
    if request.method in CHANGES:
        try:
            check_csrf(request, principal)
        except errors.CsrfFailed as exc:
            exc.principal = principal  # who was refused: the route audits it as denied
            raise
    return principal


CHANGES = ("POST", "PUT", "PATCH", "DELETE")
SAME_SITE_FETCHES = ("same-origin", "none")  # Sec-Fetch-Site of a page of ours, or of the user's own typing


def session_cookie(request) -> str | None:
    """The console session id of the request's cookie, if any."""
    from http.cookies import CookieError, SimpleCookie

    from scrm.services.console_sessions import SESSION_COOKIE

    raw = request.headers.get("cookie")
    if not raw:
        return None
    try:
        jar = SimpleCookie(raw)
    except CookieError:
        return None
    morsel = jar.get(SESSION_COOKIE)
    return morsel.value if morsel is not None and morsel.value else None


def check_csrf(request, principal) -> None:
    """Refuse (CsrfFailed) a change made with the session cookie from another site, or without the session's
    CSRF token in X-CSRF-Token."""
    from scrm.services.console_sessions import csrf_matches

    from .admin_context import origin_of

    fetch_site = (request.headers.get("sec-fetch-site") or "").lower()
    if fetch_site and fetch_site not in SAME_SITE_FETCHES:
        raise errors.CsrfFailed(f"a change with the console cookie must come from the console (Sec-Fetch-Site "
                                f"{fetch_site[:20]})")
    origin = request.headers.get("origin")
    if origin is not None and origin.rstrip("/") not in _own_origins(origin_of(request)):
        raise errors.CsrfFailed(f"a change with the console cookie must come from the console, not {origin[:100]!r}")
    if not csrf_matches(principal, request.headers.get("x-csrf-token")):
        raise errors.CsrfFailed("X-CSRF-Token is missing or is not this session's (GET /console/session has it)")


def _own_origins(origin: str) -> set[str]:
    from urllib.parse import urlsplit

    from scrm.config import settings

    own = {origin}
    public = settings().public_base_url
    if public:
        parts = urlsplit(public)
        own.add(f"{parts.scheme}://{parts.netloc}")
    return own


def authorize(key, role: str, account_id: str | None):
    """The key's scope on `account_id`, if its role and tenancy allow the route (403 otherwise)."""
    scope = key.scope_for(account_id)
    if role == PLATFORM_ROLE and not key.platform:
        raise errors.Forbidden("only a platform key may do this")
    if role != PLATFORM_ROLE and not scope.can(role):
        raise errors.Forbidden(f"this needs the {role} role; key {key.key_id} is {key.role}")
    if account_id is not None:
        scope.check(account_id)
        if not ACCOUNT_ID.match(account_id):  # only platform keys get here with one
            raise errors.NotFound(f"no account {account_id[:70]!r}")
    return scope


@bp.authorizer(ttl_seconds=60, name="admin_key_authorizer")
def authorizer(auth_request):
    """Chalice built-in authorizer: allows any valid, unrevoked, unexpired key (tenancy and roles are checked
    by admin_route, which knows the path)."""
    from chalice import AuthResponse

    from scrm.services.admin_keys import authenticate as check_key

    try:
        key = check_key(bearer(auth_request.token))
    except errors.ScrmError:
        return AuthResponse(routes=[], principal_id="anonymous")
    return AuthResponse(routes=["*"], principal_id=key.key_id,
                        context={"key_id": key.key_id, "account_id": key.account_id, "role": key.role})
