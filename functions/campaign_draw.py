"""Campaign user endpoints (lucky wheel, votes and their results, lottery entry, share-to-win) and the
end-of-campaign schedule.

These routes are for OA users, not admins: they authenticate with a signed user token (issued after
WeChat OAuth, or carried in the fragment of a signed link) in `Authorization: Bearer <token>` only (a token
in the query string would be written whole into access logs, so `?t=` is refused), checked by
scrm.services.campaigns.authenticate, never by admin_route. The account is checked before any secret is read.
Errors are the API's `{"error": {"code", "message", ...}}` through the one mapping (scrm.errors.answer), with
a stable code (e.g. outside_window, daily_draw_limit, token_expired, account_disabled). Bodies are capped
(MAX_BODY_BYTES: body_too_large) and their nesting bounded (MAX_JSON_DEPTH: bad_body) before they are parsed.
"""

from __future__ import annotations

import json

from chalice import Blueprint, Rate, Response

from functions.answers import error_for, json_response
from functions.routes import public_route
from scrm import errors
from scrm.observability import traced

bp = Blueprint(__name__)
PREFIX = "/u/{account_id}/campaigns/{campaign_id}"
MAX_BODY_BYTES = 8 * 1024  # the largest body a user route takes is a request id or a share id
MAX_JSON_DEPTH = 8
NO_STORE = {"Cache-Control": "no-store"}
# what a user route may answer besides its success (the statuses are the classes': scrm/errors.py)
USER_ERRORS = (errors.ValidationError, errors.Unauthorized, errors.Forbidden, errors.PayloadTooLarge,
               errors.RateLimited, errors.WeChatUnavailable)


def _json(status: int, body) -> Response:
    return json_response(status, body, NO_STORE)


def _depth(text: str) -> int:
    """The deepest nesting of arrays/objects in a JSON text, in one pass and without recursion."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def _no_constant(name):
    raise ValueError(f"{name} is not valid JSON")


def _body(request) -> dict:
    raw = request.raw_body or b""
    if len(raw) > MAX_BODY_BYTES:
        raise errors.PayloadTooLarge(f"the body must be at most {MAX_BODY_BYTES} bytes")
    if not raw.strip():
        return {}
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError:
        raise errors.BadBody("the body must be UTF-8 JSON") from None
    if _depth(text) > MAX_JSON_DEPTH:
        raise errors.BadBody(f"the JSON body nests deeper than {MAX_JSON_DEPTH} levels")
    try:
        body = json.loads(text, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        raise errors.BadBody("the body must be a JSON object") from None
    if not isinstance(body, dict):
        raise errors.BadBody("the body must be a JSON object")
    return body


def _token(request) -> str | None:
    if "t" in (request.query_params or {}):
        from scrm.services.campaigns import DrawRefused

        raise DrawRefused("token_in_query", "send the user token in 'Authorization: Bearer <token>', never in the "
                          "URL", status=errors.ValidationError.status)
    header = request.headers.get("authorization") or ""
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def _user_call(fn, *, campaign_id_param: bool = True, needs_user: bool = True):
    """Run a user use case with the caller's openid; map refusals and errors to JSON (never a traceback)."""
    request = bp.current_request
    params = request.uri_params or {}
    from scrm.services import campaigns

    try:
        body = _body(request) if request.method == "POST" else {}
        openid = None
        if needs_user:
            openid = campaigns.authenticate(params["account_id"], params.get("campaign_id") if campaign_id_param
                                            else None, _token(request))
        else:
            campaigns.check_account(params["account_id"])
        return _json(200, fn(params, body, openid, request))
    except Exception as exc:  # refusals and errors through the one mapping (scrm.errors); bugs are logged
        return error_for(exc, (request.context or {}).get("requestId"), NO_STORE)


@public_route(bp, PREFIX, methods=["GET"], answer="answers.CampaignPageAnswer", raises=USER_ERRORS)
def campaign_page(account_id, campaign_id):
    """The campaign page a link opens (public facts, no token: the link's token stays in the URL fragment; draft
    campaigns are not found)"""
    def run(p, body, openid, request):
        from scrm.services import campaigns

        return campaigns.public_campaign(p["account_id"], p["campaign_id"])

    return _user_call(run, needs_user=False)


@public_route(bp, PREFIX + "/shares/{share_id}", methods=["GET"],
              answer="answers.SharePageAnswer", raises=USER_ERRORS)
def share_page(account_id, campaign_id, share_id):
    """The page a share link opens (public; the viewer's page then counts the view with POST …/views)"""
    def run(p, body, openid, request):
        from scrm.services import campaigns

        return campaigns.public_share(p["account_id"], p["campaign_id"], p["share_id"])

    return _user_call(run, needs_user=False)


@public_route(bp, PREFIX + "/draws", methods=["POST"],
              body="campaigns.DrawRequest", answer="answers.DrawResult", raises=USER_ERRORS)
def user_draw(account_id, campaign_id):
    """Spin the wheel. Retrying with the same request_id returns the same draw (replayed true). A reached limit is
    403 `daily_draw_limit` / `total_draw_limit` (a refusal, do not retry); 429 `rate_limited` only when the draw could
    not be written for contention (retry with the same request_id).
    """
    def run(p, body, openid, request):
        from scrm.services import campaigns

        request_id = body.get("request_id") or request.headers.get("idempotency-key")
        return campaigns.draw(p["account_id"], p["campaign_id"], openid, request_id)

    return _user_call(run)


@public_route(bp, PREFIX + "/votes", methods=["POST"],
              body="campaigns.VoteRequest", answer="answers.VoteResult", raises=USER_ERRORS)
def user_vote(account_id, campaign_id):
    """Vote for an option of a vote campaign. Retrying (or double-tapping) with the same request_id counts once
    (replayed true). A reached limit is 403 `daily_vote_limit` / `option_vote_limit` (a refusal, do not retry); 400
    `unknown_option`, `not_a_vote_campaign`; 429 `rate_limited` only for contention (retry with the same request_id).
    """
    def run(p, body, openid, request):
        from scrm.services import campaigns

        request_id = body.get("request_id") or request.headers.get("idempotency-key")
        return campaigns.vote(p["account_id"], p["campaign_id"], openid, body.get("option_id"), request_id)

    return _user_call(run)


@public_route(bp, PREFIX + "/results", methods=["GET"], answer="answers.VoteResults", raises=USER_ERRORS)
def vote_results_page(account_id, campaign_id):
    """A published vote campaign's live results: votes per option, distinct voters, votes per day (counts only,
    public, no token)"""
    def run(p, body, openid, request):
        from scrm.services import campaigns

        return campaigns.public_results(p["account_id"], p["campaign_id"])

    return _user_call(run, needs_user=False)


@public_route(bp, PREFIX + "/me", methods=["GET"], raises=USER_ERRORS)
def user_status(account_id, campaign_id):
    """The user's draws left, wins, lottery entry and share id; for a vote campaign, their votes today and votes
    left"""
    def run(p, body, openid, request):
        from scrm.services import campaigns

        return campaigns.my_status(p["account_id"], p["campaign_id"], openid)

    return _user_call(run)


@public_route(bp, PREFIX + "/entries", methods=["POST"], answer="answers.UserEnterAnswer", raises=USER_ERRORS)
def user_enter(account_id, campaign_id):
    """Enter the end-of-campaign lottery (a draw enters too)"""
    def run(p, body, openid, request):
        from scrm.services import campaigns

        return campaigns.enter(p["account_id"], p["campaign_id"], openid)

    return _user_call(run)


@public_route(bp, PREFIX + "/shares", methods=["POST"],
              body="campaigns.ShareRequest", answer="answers.UserShareAnswer", raises=USER_ERRORS)
def user_share(account_id, campaign_id):
    """The user's own share link; with `parent`, also counts an onward share for that link (once per person)"""
    def run(p, body, openid, request):
        from scrm.services import campaigns

        parent = body.get("parent")
        if parent is not None and (not isinstance(parent, str) or len(parent) > 64):
            raise campaigns.DrawRefused("bad_parent", "parent must be a share id", status=errors.ValidationError.status)
        return campaigns.create_share(p["account_id"], p["campaign_id"], openid, parent=parent)

    return _user_call(run)


@public_route(bp, PREFIX + "/shares/{share_id}/views", methods=["POST"],
              answer="answers.UserViewShareAnswer", raises=USER_ERRORS)
def user_view_share(account_id, campaign_id, share_id):
    """A user opened a share link (counts once per distinct viewer; owner's views never count); thresholds grant
    once
    """
    def run(p, body, openid, request):
        from scrm.services import campaigns

        return campaigns.view_share(p["account_id"], p["campaign_id"], p["share_id"], openid)

    return _user_call(run)


@public_route(bp, "/u/{account_id}/oauth", methods=["POST"],
              body="campaigns.OAuthExchange", answer="answers.UserOauthAnswer", raises=USER_ERRORS)
def user_oauth(account_id):
    """Exchange a WeChat web-OAuth code (snsapi_base) for a signed user token"""
    def run(p, body, openid, request):
        from scrm.services import campaigns

        code = body.get("code")
        if not isinstance(code, str) or not code or len(code) > 512:
            raise campaigns.DrawRefused("missing_code", "code is required", status=errors.ValidationError.status)
        return campaigns.login_with_oauth_code(p["account_id"], code)

    return _user_call(run, needs_user=False)


def _query(request, name: str, limit: int = 2048):
    from scrm.services import campaigns

    value = (request.query_params or {}).get(name)
    if not value or len(value) > limit:
        raise campaigns.DrawRefused(f"missing_{name}", f"?{name}= is required (at most {limit} characters)",
                                    status=errors.ValidationError.status)
    return value


@public_route(bp, "/u/{account_id}/oauth/authorize-url", methods=["GET"], query="queries.SignInQuery",
              answer="answers.SignInUrl", raises=USER_ERRORS)
def user_sign_in_url(account_id):
    """Where the campaign page sends the browser to sign in: WeChat's authorize URL (snsapi_base) returning to
    `redirect_uri` (one of this account's campaign pages) with ?code=&state=; exchange the code at POST …/oauth"""
    def run(p, body, openid, request):
        from functions.admin_context import base_url_of
        from scrm.services import campaigns

        return campaigns.sign_in_url(p["account_id"], _query(request, "redirect_uri"), _query(request, "state", 128),
                                     base_url_of(request))

    return _user_call(run, needs_user=False)


@public_route(bp, "/u/{account_id}/jssdk-config", methods=["GET"], query="queries.JssdkQuery",
              answer="answers.JssdkConfig", raises=USER_ERRORS)
def user_jssdk_config(account_id):
    """`wx.config` for one of this account's campaign pages (appId, timestamp, nonceStr, signature); any other URL
    is refused (400 foreign_url)"""
    def run(p, body, openid, request):
        from functions.admin_context import base_url_of
        from scrm.services import campaigns

        return campaigns.jssdk_config(p["account_id"], _query(request, "url"), base_url_of(request))

    return _user_call(run, needs_user=False)


@public_route(bp, PREFIX + "/follow-qr.svg", methods=["GET"], media={"image/svg+xml": "text"},
              raises=(errors.Conflict,))
def campaign_follow_qr(account_id, campaign_id):
    """The campaign's follow code as SVG: the QR of its `eligibility.follow_channel` (an oa_qr channel), which the
    campaign page shows a user who does not follow yet (public, no token; an `<img>` sends none). 404
    `unknown_campaign` for an unknown or draft campaign, 404 `no_follow_channel` when it names none, 409 when the
    channel's temporary code has expired"""
    request = bp.current_request
    try:
        from scrm.services import campaigns

        svg = campaigns.follow_qr_svg(account_id, campaign_id)
    except Exception as exc:  # refusals and errors through the one mapping (scrm.errors)
        return error_for(exc, (request.context or {}).get("requestId"), NO_STORE)
    # the code changes only when the campaign names another channel or a temporary code is renewed
    return Response(body=svg, status_code=200, headers={
        "Content-Type": "image/svg+xml", "Cache-Control": "public, max-age=300",
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
        "X-Content-Type-Options": "nosniff"})


@bp.schedule(Rate(5, unit=Rate.MINUTES))
@traced
def campaign_draw(event):
    """Draw the lotteries of ended campaigns (committed seed) and notify pending winners."""
    from scrm.observability import bind_context
    from scrm.services import campaigns

    bind_context("campaign_draw", event.context)
    return campaigns.run_schedule()
