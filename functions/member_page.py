"""The verification page of a members-only group code (H5 in WeChat's browser) and its user routes.

`GET /m/{account_id}/{channel_id}` is the page the code's link opens; its script signs the customer in through
WeChat (snsapi_base on the Official Account the code names), then takes member id and phone and, on a match, shows
the group code's QR (scrm.services.members.verify). The files are in functions/static/members/ (no inline script or
style: the Content-Security-Policy allows only our own files and data: images). The user routes under
/u/{account_id}/member-codes/{channel_id} take the user token in `Authorization: Bearer` only, like the campaign
page's (functions/campaign_draw.py), and answer errors in the API's shape with a stable code.
"""

from __future__ import annotations

from chalice import Blueprint, Response

from functions.answers import error_for
from functions.campaign_draw import NO_STORE, USER_ERRORS, _body, _json, _query, _token
from functions.campaign_page import CSP, HEADERS, ID, _not_found, _read
from functions.routes import public_route
from scrm import errors

bp = Blueprint(__name__)
PREFIX = "/u/{account_id}/member-codes/{channel_id}"
ASSETS = {  # name in /m/assets/ -> (file under static/, media type)
    "members.js": ("members/members.js", "text/javascript"),
    "members.css": ("members/members.css", "text/css"),
}
assert "data:" in CSP.split("img-src", 1)[1].split(";", 1)[0]  # the QR comes as a data: URI


def _user_call(fn):
    request = bp.current_request
    try:
        body = _body(request) if request.method == "POST" else {}
        return _json(200, fn(request.uri_params or {}, body, request))
    except Exception as exc:  # refusals and errors through the one mapping (scrm.errors); bugs are logged
        return error_for(exc, (request.context or {}).get("requestId"), NO_STORE)


@public_route(bp, "/m/{account_id}/{channel_id}", methods=["GET"], media={"text/html": "text"})
def member_h5_page(account_id, channel_id):
    """A members-only group code's verification page (H5): WeChat sign-in, member id and phone, then the group's
    QR code; Simplified Chinese first (`?lang=en` for English)"""
    if not (ID.match(account_id) and ID.match(channel_id)):
        return _not_found("no such page")
    return Response(body=_read("members/index.html"), status_code=200,
                    headers={"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-cache", **HEADERS})


@public_route(bp, "/m/assets/{name}", methods=["GET"], media={"text/javascript": "text", "text/css": "text"})
def member_h5_asset(name):
    """A static file of the verification page (its script and style sheet)"""
    asset = ASSETS.get(name)
    if asset is None:
        return _not_found("no such asset")
    relative, media = asset
    return Response(body=_read(relative), status_code=200,
                    headers={"Content-Type": f"{media}; charset=utf-8", "Cache-Control": "public, max-age=300",
                             **HEADERS})


@public_route(bp, PREFIX, methods=["GET"], answer="members.MemberCodePage", raises=USER_ERRORS)
def member_code_page(account_id, channel_id):
    """The code's public facts for its page (its name; no QR, no token needed)"""
    def run(p, body, request):
        from scrm.services.members.verify import public_code

        return public_code(p["account_id"], p["channel_id"])

    return _user_call(run)


@public_route(bp, PREFIX + "/authorize-url", methods=["GET"], query="queries.SignInQuery",
              answer="answers.SignInUrl", raises=USER_ERRORS)
def member_sign_in_url(account_id, channel_id):
    """WeChat's authorize URL (snsapi_base, on the code's sign-in Official Account) returning to this code's page
    with ?code=&state=; exchange the code at POST …/oauth"""
    def run(p, body, request):
        from functions.admin_context import base_url_of
        from scrm.services.members.verify import sign_in_url

        return sign_in_url(p["account_id"], p["channel_id"], _query(request, "redirect_uri"),
                           _query(request, "state", 128), base_url_of(request))

    return _user_call(run)


@public_route(bp, PREFIX + "/oauth", methods=["POST"], body="campaigns.OAuthExchange",
              answer="members.MemberSignIn", raises=USER_ERRORS)
def member_oauth(account_id, channel_id):
    """Exchange the WeChat OAuth code for a user token bound to this code"""
    def run(p, body, request):
        from scrm.services.campaigns import DrawRefused
        from scrm.services.members.verify import login

        code = body.get("code")
        if not isinstance(code, str) or not code or len(code) > 512:
            raise DrawRefused("missing_code", "code is required", status=errors.ValidationError.status)
        return login(p["account_id"], p["channel_id"], code)

    return _user_call(run)


@public_route(bp, PREFIX + "/verify", methods=["POST"], body="members.MemberVerifyRequest",
              answer="members.MemberVerifyAnswer", raises=USER_ERRORS)
def member_verify(account_id, channel_id):
    """Check member id and phone against the member list: a match answers the group code's QR (and counts
    `verified` once); a mismatch is 403 `member_mismatch` (counted `refused`); more than 5 tries an hour is 429
    `too_many_tries`"""
    def run(p, body, request):
        from scrm.services.members.verify import verify

        return verify(p["account_id"], p["channel_id"], _token(request), body)

    return _user_call(run)
