"""Campaign user endpoints (lucky wheel, lottery entry, share-to-win) and the end-of-campaign schedule.

These routes are for OA users, not admins: they authenticate with a signed user token (issued after
WeChat OAuth, or carried by a signed link in a message) in `Authorization: Bearer <token>` or `?t=`,
checked by scrm.services.campaigns.authenticate, never by admin_route. Errors are
`{"error": {"code", "message"}}` with a stable code (e.g. outside_window, daily_draw_limit, token_expired).
"""

from __future__ import annotations

import json

from chalice import Blueprint, Rate, Response

from scrm.observability import traced

bp = Blueprint(__name__)
PREFIX = "/u/{account_id}/campaigns/{campaign_id}"


def _json(status: int, body) -> Response:
    return Response(body=json.dumps(body, default=str), status_code=status,
                    headers={"Content-Type": "application/json", "Cache-Control": "no-store"})


def _error(status: int, code: str, message: str, field: str | None = None) -> Response:
    err = {"code": code, "message": message}
    if field:
        err["field"] = field
    return _json(status, {"error": err})


def _body(request) -> dict:
    raw = request.raw_body or b""
    if not raw.strip():
        return {}
    body = json.loads(raw)
    if not isinstance(body, dict):
        raise ValueError("the JSON body must be an object")
    return body


def _token(request) -> str | None:
    header = request.headers.get("authorization") or ""
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return (request.query_params or {}).get("t")


def _user_call(fn, *, campaign_id_param: bool = True, needs_user: bool = True):
    """Run a user use case with the caller's openid; map refusals and errors to JSON."""
    request = bp.current_request
    params = request.uri_params or {}
    from scrm import errors
    from scrm.services import campaigns

    try:
        body = _body(request) if request.method == "POST" else {}
    except (ValueError, UnicodeDecodeError):
        return _error(400, "bad_body", "the body must be a JSON object")
    try:
        openid = None
        if needs_user:
            openid = campaigns.authenticate(params["account_id"], params.get("campaign_id") if campaign_id_param
                                            else None, _token(request))
        return _json(200, fn(params, body, openid, request))
    except campaigns.DrawRefused as refused:
        return _error(refused.status, refused.reason, str(refused))
    except errors.RateLimited as exc:
        return _error(429, "busy", str(exc))
    except errors.ValidationError as exc:
        return _error(400, exc.code, str(exc), exc.field)
    except errors.NotFound as exc:
        return _error(404, exc.code, str(exc))
    except (errors.UnknownAccount, errors.AccountDisabled):
        return _error(404, "unknown_account", "unknown account")
    except errors.ScrmError as exc:
        return _error(503, exc.code, "temporarily unavailable, retry")


@bp.route(PREFIX + "/draws", methods=["POST"], authorizer=None)
def user_draw(account_id, campaign_id):
    def run(p, body, openid, request):
        from scrm.services import campaigns

        request_id = body.get("request_id") or request.headers.get("idempotency-key")
        return campaigns.draw(p["account_id"], p["campaign_id"], openid, request_id)

    return _user_call(run)


@bp.route(PREFIX + "/me", methods=["GET"], authorizer=None)
def user_status(account_id, campaign_id):
    def run(p, body, openid, request):
        from scrm.services import campaigns

        return campaigns.my_status(p["account_id"], p["campaign_id"], openid)

    return _user_call(run)


@bp.route(PREFIX + "/entries", methods=["POST"], authorizer=None)
def user_enter(account_id, campaign_id):
    def run(p, body, openid, request):
        from scrm.services import campaigns

        return campaigns.enter(p["account_id"], p["campaign_id"], openid)

    return _user_call(run)


@bp.route(PREFIX + "/shares", methods=["POST"], authorizer=None)
def user_share(account_id, campaign_id):
    def run(p, body, openid, request):
        from scrm.services import campaigns

        parent = body.get("parent")
        if parent is not None and not isinstance(parent, str):
            raise campaigns.DrawRefused("bad_parent", "parent must be a share id", status=400)
        return campaigns.create_share(p["account_id"], p["campaign_id"], openid, parent=parent)

    return _user_call(run)


@bp.route(PREFIX + "/shares/{share_id}/views", methods=["POST"], authorizer=None)
def user_view_share(account_id, campaign_id, share_id):
    def run(p, body, openid, request):
        from scrm.services import campaigns

        return campaigns.view_share(p["account_id"], p["campaign_id"], p["share_id"], openid)

    return _user_call(run)


@bp.route("/u/{account_id}/oauth", methods=["POST"], authorizer=None)
def user_oauth(account_id):
    """Exchange a WeChat web-OAuth code (snsapi_base) for a signed user token."""
    def run(p, body, openid, request):
        from scrm.services import campaigns

        code = body.get("code")
        if not isinstance(code, str) or not code or len(code) > 512:
            raise campaigns.DrawRefused("missing_code", "code is required", status=400)
        return campaigns.login_with_oauth_code(p["account_id"], code)

    return _user_call(run, needs_user=False)


@bp.schedule(Rate(5, unit=Rate.MINUTES))
@traced
def campaign_draw(event):
    """Draw the lotteries of ended campaigns (committed seed) and notify pending winners."""
    from scrm.observability import bind_context
    from scrm.services import campaigns

    bind_context("campaign_draw", event.context)
    return campaigns.run_schedule()
