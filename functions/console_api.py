"""Console sign-in: a session in an HttpOnly cookie, opened with an admin key or WeCom's QR login; staff's roles.

The /console/ routes are public routes with their own authentication (the key in the body, the session cookie,
WeCom's login code); every admin route accepts the session cookie too (functions/admin_auth.py), with the CSRF
token on changes. The session id is the cookie's only content: never the key.
"""

from __future__ import annotations

import urllib.parse

from chalice import Blueprint, Response

from functions.admin_auth import check_csrf, session_cookie
from functions.admin_common import _parse_body, admin_route, page
from functions.admin_context import base_url_of, scheme_of
from functions.answers import error_for, json_response
from functions.routes import public_route
from scrm import errors

bp = Blueprint(__name__)
NO_STORE = {"Cache-Control": "no-store"}
SESSION_ERRORS = (errors.ValidationError, errors.Unauthorized, errors.Forbidden, errors.RateLimited)
LOGIN_ERRORS = (errors.ValidationError, errors.Unauthorized, errors.Forbidden, errors.NotFound, errors.AccountDisabled,
                errors.WeChatError, errors.WeChatUnavailable)


def cookie(request, name: str, value: str, max_age: int, *, path: str = "/", same_site: str = "Strict") -> str:
    """A Set-Cookie value: HttpOnly (no script reads it), SameSite, Secure when the request came over https."""
    parts = [f"{name}={value}", "HttpOnly", f"SameSite={same_site}", f"Path={path}", f"Max-Age={max_age}"]
    if scheme_of(request) == "https":
        parts.append("Secure")
    return "; ".join(parts)


def _session_cookie(request, session_id: str, max_age: int) -> str:
    from scrm.services.console_sessions import SESSION_COOKIE

    return cookie(request, SESSION_COOKIE, session_id, max_age)


def _request_id(request) -> str | None:
    return (request.context or {}).get("requestId")


@public_route(bp, "/console/session", methods=["POST", "GET", "DELETE"], body="console.SignIn",
              answer="console.ConsoleSession", raises=SESSION_ERRORS, statuses={"POST": 201, "DELETE": 204},
              summaries={"POST": "Sign in to the console with an admin key (sets the session cookie)",
                         "GET": "The console session of the cookie",
                         "DELETE": "Sign out (X-CSRF-Token required; the cookie is cleared)"})
def console_session():
    """POST `{"key"}` answers 201 with the session and `Set-Cookie: scrm_session=…; HttpOnly; SameSite=Strict;
    Path=/; Max-Age=…` (`Secure` over https); a bad, revoked or expired key is 401 and sets no cookie; after 10
    failures in 5 minutes from one source IP or for one key id, sign-ins are 429 with `Retry-After`. GET answers
    the cookie's session (401 without one). DELETE (with the session's X-CSRF-Token) deletes the session: 204, and
    the cookie is cleared. Send `X-CSRF-Token: <csrf_token>` on every change made with the cookie."""
    request = bp.current_request
    try:
        if request.method == "POST":
            return _sign_in(request)
        if request.method == "GET":
            from scrm.services import console_sessions

            principal = console_sessions.authenticate(session_cookie(request))
            return json_response(200, console_sessions.view(principal), NO_STORE)
        return _sign_out(request)
    except Exception as exc:  # every error in the API's JSON shape
        headers = dict(NO_STORE)
        if request.method == "DELETE" and isinstance(exc, errors.Unauthorized):
            headers["Set-Cookie"] = _session_cookie(request, "", 0)  # nothing to sign out of: forget the cookie
        return error_for(exc, _request_id(request), headers)


def _sign_in(request) -> Response:
    from scrm.contracts import parse
    from scrm.contracts.console import SignIn
    from scrm.services import console_sessions

    body = parse(SignIn, _parse_body(request))
    source_ip = ((request.context or {}).get("identity") or {}).get("sourceIp")
    session_id, principal = console_sessions.sign_in_with_key(body.key, source_ip)
    return json_response(201, console_sessions.view(principal),
                         {**NO_STORE, "Set-Cookie": _session_cookie(request, session_id,
                                                                    console_sessions.seconds_left(principal))})


def _sign_out(request) -> Response:
    from scrm.services import console_sessions

    session_id = session_cookie(request)
    principal = console_sessions.authenticate(session_id)
    check_csrf(request, principal)
    console_sessions.sign_out(session_id)
    return Response(body="", status_code=204, headers={**NO_STORE, "Set-Cookie": _session_cookie(request, "", 0)})


# --- WeCom QR login (企业微信扫码登录)

LOGIN_PATH = "/console/wecom-login"


@public_route(bp, LOGIN_PATH, methods=["GET"], query="console.WeComLoginQuery", raises=LOGIN_ERRORS,
              statuses={"GET": 302})
def wecom_login():
    """Start a WeCom staff member's QR login: 302 to WeCom's login page for the account's app
    (options.console_login_agentid), with a single-use `state` bound to a short-lived HttpOnly cookie."""
    request = bp.current_request
    try:
        from scrm.services import console_sessions

        account_id = (request.query_params or {}).get("account_id")
        base = base_url_of(request)
        url, state, seconds = console_sessions.start_wecom_login(account_id, base + LOGIN_PATH + "/callback")
        # Lax, not Strict: the browser comes back from WeCom's site, a cross-site navigation. The path is the one
        # the browser sees (behind API Gateway's execute-api URL it starts with the stage).
        path = urllib.parse.urlsplit(base).path.rstrip("/") + LOGIN_PATH
        bound = cookie(request, console_sessions.LOGIN_STATE_COOKIE, state, seconds, path=path, same_site="Lax")
        return Response(body="", status_code=302, headers={**NO_STORE, "Location": url, "Set-Cookie": bound})
    except Exception as exc:
        return error_for(exc, _request_id(request), NO_STORE)


@public_route(bp, LOGIN_PATH + "/callback", methods=["GET"], query="console.WeComLoginCallbackQuery",
              raises=LOGIN_ERRORS, statuses={"GET": 302})
def wecom_login_callback():
    """Where WeCom's login page sends the member back (`?code=&state=`): the state must be this browser's and
    unused; the code is exchanged for the member's userid (auth/getuserinfo); a member with a console role gets
    the session cookie and a 302 to /console; anyone else 403 (`no_console_role`)."""
    request = bp.current_request
    try:
        from http.cookies import CookieError, SimpleCookie

        from scrm.services import console_sessions

        query = request.query_params or {}
        try:
            bound = SimpleCookie(request.headers.get("cookie") or "").get(console_sessions.LOGIN_STATE_COOKIE)
        except CookieError:
            bound = None
        session_id, principal = console_sessions.finish_wecom_login(
            query.get("state"), bound.value if bound is not None else None, query.get("code"))
        return Response(body="", status_code=302, headers={
            **NO_STORE, "Location": base_url_of(request) + "/console",
            "Set-Cookie": _session_cookie(request, session_id, console_sessions.seconds_left(principal))})
    except Exception as exc:
        return error_for(exc, _request_id(request), NO_STORE)


# --- staff roles (admin routes)

STAFF = "/accounts/{account_id}/console-staff"


@admin_route(bp, STAFF + "/{userid}", methods=("PUT",), role="admin", audit="console_staff.set",
             body="console.StaffRoleBody", answer="console.StaffRole")
def set_console_staff(ctx, account_id, userid):
    """Give a WeCom staff member a console role (viewer, operator or admin): they may then sign in with WeCom's
    QR login; a change of role applies to their open sessions at once"""
    from scrm.services import console_sessions

    return console_sessions.set_staff_role(ctx.scope, account_id, userid, ctx.body.get("role"))


@admin_route(bp, STAFF, answer="console.StaffRole", paged=True)
def list_console_staff(ctx, account_id):
    """List the WeCom staff members with a console role"""
    from scrm.services import console_sessions

    return page(lambda limit, start: console_sessions.list_staff(ctx.scope, account_id, limit=limit, start=start),
                ctx, view=console_sessions.staff_view)


@admin_route(bp, STAFF + "/{userid}", methods=("DELETE",), role="admin", audit="console_staff.remove",
             answer="console.StaffRole")
def remove_console_staff(ctx, account_id, userid):
    """Take a staff member's console role away (answered as it was): their sessions stop working at once"""
    from scrm.services import console_sessions

    return console_sessions.remove_staff(ctx.scope, account_id, userid)
