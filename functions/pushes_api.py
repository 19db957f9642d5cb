"""Admin API for content pushes and saved segments.

Flow: create (a draft; validated, nothing sent) -> preview (audience size and quota effect; 400 if nobody
would receive it) -> confirm (scheduled) -> the content_push schedule sends it. Cancel before it runs.
"""

from chalice import Blueprint

from functions.admin_common import admin_route, page
from scrm import errors

bp = Blueprint(__name__)
PUSH_FIELDS = ("name", "content", "audience", "send_at", "timezone", "recurrence")


def _service(ctx):
    from scrm.services.pushes import service

    return service(ctx.scope)


@admin_route(bp, "/accounts/{account_id}/pushes",
             answer="answers.Push", paged=True, raises=(errors.RateLimited, errors.WeChatUnavailable))
def list_pushes(ctx, account_id):
    """The account's content pushes, newest first, with status and delivery figures per run (paged)"""
    svc = _service(ctx)
    return page(lambda limit, start: svc.list_page(ctx.scope, account_id, limit=limit, start=start), ctx)


@admin_route(bp, "/accounts/{account_id}/pushes", methods=("POST",), role="operator", audit="push.create",
             status=201, idempotent_create=True,
             body="pushes.PushBody", answer="answers.Push",
             raises=(errors.Conflict, errors.RateLimited, errors.WeChatUnavailable))
def create_push(ctx, account_id):
    """Create a push as a draft (operator). Nothing is sent; preview, then confirm it"""
    ctx.allow_only(*PUSH_FIELDS)
    return _service(ctx).create(ctx.scope, account_id, ctx.body, created_by=getattr(ctx.scope, "key_id", None))


@admin_route(bp, "/accounts/{account_id}/pushes/{push_id}",
             answer="answers.Push", raises=(errors.ValidationError, errors.RateLimited, errors.WeChatUnavailable))
def get_push(ctx, account_id, push_id):
    """One push, its status, its runs' delivery figures and the current run's progress"""
    return _service(ctx).get(ctx.scope, account_id, push_id)


@admin_route(bp, "/accounts/{account_id}/pushes/{push_id}/preview", methods=("POST",), role="operator",
             answer="answers.PushPreview", raises=(errors.RateLimited, errors.WeChatError, errors.WeChatUnavailable))
def preview_push(ctx, account_id, push_id):
    """Resolve the audience now; its size, who is already at quota, batches and API calls (operator)"""
    return _service(ctx).preview_push(ctx.scope, account_id, push_id)


@admin_route(bp, "/accounts/{account_id}/pushes/{push_id}/confirm", methods=("POST",), role="operator",
             audit="push.confirm",
             answer="answers.Push",
             raises=(errors.Conflict, errors.RateLimited, errors.WeChatError, errors.WeChatUnavailable))
def confirm_push(ctx, account_id, push_id):
    """Schedule a draft (operator); previews it first if nobody did; 400 if the audience is empty or the time
    passed
    """
    return _service(ctx).confirm(ctx.scope, account_id, push_id)


@admin_route(bp, "/accounts/{account_id}/pushes/{push_id}/cancel", methods=("POST",), role="operator",
             audit="push.cancel",
             answer="answers.Push", raises=(errors.Conflict, errors.RateLimited, errors.WeChatUnavailable))
def cancel_push(ctx, account_id, push_id):
    """Cancel a draft or scheduled push (operator); 409 once it runs"""
    return _service(ctx).cancel(ctx.scope, account_id, push_id)


@admin_route(bp, "/accounts/{account_id}/pushes/{push_id}/results", methods=("POST",), role="operator",
             audit="push.results", answer="answers.Push",
             raises=(errors.RateLimited, errors.WeChatError, errors.WeChatUnavailable))
def refresh_push_results(ctx, account_id, push_id):
    """Collect a WeCom push's results now (operator): get_groupmsg_task and get_groupmsg_send_result for its sent
    group messages, instead of at the next poll (every 10 minutes for 3 days)
    """
    return _service(ctx).refresh_results(ctx.scope, account_id, push_id)


@admin_route(bp, "/accounts/{account_id}/pushes/{push_id}/batches",
             answer="answers.PushBatchesItem", paged=True, query="queries.BatchesQuery",
             raises=(errors.RateLimited, errors.WeChatUnavailable))
def push_batches(ctx, account_id, push_id):
    """The batches of a run (default the current one) with state, msg_id, counts, fail_list and reason (paged; a
    page may hold fewer than `limit`)
    """
    from scrm.errors import ValidationError

    run = ctx.query.get("run")
    if run is not None and (not str(run).isdigit() or not 1 <= int(run) <= 100000):
        raise ValidationError("run must be a run number (1, 2, ...)", field="run")
    svc = _service(ctx)
    return page(lambda limit, start: svc.batches_page(ctx.scope, account_id, push_id, int(run) if run else None,
                                                      limit=limit, start=start), ctx)


@admin_route(bp, "/accounts/{account_id}/segments",
             answer="answers.Segment", paged=True,
             raises=(errors.RateLimited, errors.WeChatUnavailable))
def list_segments(ctx, account_id):
    """Saved audiences (segments) a push can target (paged)"""
    svc = _service(ctx)
    return page(lambda limit, start: svc.segments_page(ctx.scope, account_id, limit=limit, start=start), ctx)


@admin_route(bp, "/accounts/{account_id}/segments", methods=("POST",), role="operator", audit="segment.create",
             status=201, idempotent_create=True,
             body="pushes.SegmentBody", answer="answers.Segment",
             raises=(errors.Conflict, errors.RateLimited, errors.WeChatUnavailable))
def create_segment(ctx, account_id):
    """Save an audience as a segment (operator)"""
    ctx.allow_only("name", "audience")
    return _service(ctx).create_segment(ctx.scope, account_id, ctx.body)
