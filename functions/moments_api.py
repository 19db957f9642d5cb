"""Admin API for customer moments (客户朋友圈).

Flow: create (scheduled at its send_at; validated, nothing sent) -> preview (the visible range now and how many of
its customers already saw 4 moments this month) -> the content_push schedule publishes it once and pulls its figures.
Cancel before it runs (or stop members who have not published yet).
"""

from chalice import Blueprint

from functions.admin_common import admin_route, page
from scrm import errors

bp = Blueprint(__name__)
MOMENT_FIELDS = ("name", "text", "attachments", "senders", "tag_ids", "send_at", "timezone")


def _service(ctx):
    from scrm.services.moments import service

    return service(ctx.scope)


@admin_route(bp, "/accounts/{account_id}/moments", answer="moments.Moment", paged=True,
             raises=(errors.RateLimited, errors.WeChatUnavailable))
def list_moments(ctx, account_id):
    """The account's customer moments, newest first, with status and figures (paged)"""
    svc = _service(ctx)
    return page(lambda limit, start: svc.list_page(ctx.scope, account_id, limit=limit, start=start), ctx)


@admin_route(bp, "/accounts/{account_id}/moments", methods=("POST",), role="operator", audit="moment.create",
             status=201, idempotent_create=True, body="moments.MomentBody", answer="moments.Moment",
             raises=(errors.Conflict, errors.RateLimited, errors.WeChatUnavailable))
def create_moment(ctx, account_id):
    """Schedule a customer moment (operator): text and/or attachments, senders, customer tags, time"""
    ctx.allow_only(*MOMENT_FIELDS)
    return _service(ctx).create(ctx.scope, account_id, ctx.body, created_by=getattr(ctx.scope, "key_id", None))


@admin_route(bp, "/accounts/{account_id}/moments/{moment_id}", answer="moments.Moment",
             raises=(errors.RateLimited, errors.WeChatUnavailable))
def get_moment(ctx, account_id, moment_id):
    """One moment: status, WeCom's job and moment ids, reserved counts, invalid senders and tags, figures"""
    return _service(ctx).get(ctx.scope, account_id, moment_id)


@admin_route(bp, "/accounts/{account_id}/moments/{moment_id}/preview", methods=("POST",), role="operator",
             answer="moments.MomentPreview",
             raises=(errors.RateLimited, errors.WeChatError, errors.WeChatUnavailable))
def preview_moment(ctx, account_id, moment_id):
    """The visible range now: customers in it, and how many are already at the monthly limit (operator)"""
    return _service(ctx).preview(ctx.scope, account_id, moment_id)


@admin_route(bp, "/accounts/{account_id}/moments/{moment_id}/cancel", methods=("POST",), role="operator",
             audit="moment.cancel", answer="moments.Moment",
             raises=(errors.Conflict, errors.RateLimited, errors.WeChatError, errors.WeChatUnavailable))
def cancel_moment(ctx, account_id, moment_id):
    """Cancel a scheduled moment, or stop members who have not published it yet (operator); 409 otherwise"""
    return _service(ctx).cancel(ctx.scope, account_id, moment_id)


@admin_route(bp, "/accounts/{account_id}/moments/{moment_id}/figures", answer="moments.MomentFigures",
             raises=(errors.RateLimited, errors.WeChatUnavailable))
def moment_figures(ctx, account_id, moment_id):
    """Staff who published it and who did not, comments and likes (as last pulled from WeCom)"""
    return _service(ctx).figures(ctx.scope, account_id, moment_id)
