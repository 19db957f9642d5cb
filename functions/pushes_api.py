"""Admin API for content pushes and saved segments.

Flow: create (a draft; validated, nothing sent) -> preview (audience size and quota effect; 400 if nobody
would receive it) -> confirm (scheduled) -> the content_push schedule sends it. Cancel before it runs.
"""

from chalice import Blueprint

from functions.admin_common import admin_route, page

bp = Blueprint(__name__)
PUSH_FIELDS = ("name", "content", "audience", "send_at", "timezone", "recurrence")


def _service(ctx):
    from scrm.services.pushes import service

    return service(ctx.scope)


@admin_route(bp, "/accounts/{account_id}/pushes")
def list_pushes(ctx, account_id):
    svc = _service(ctx)
    return page(lambda limit, start: svc.list_page(ctx.scope, account_id, limit=limit, start=start), ctx)


@admin_route(bp, "/accounts/{account_id}/pushes", methods=("POST",), role="operator", audit="push.create",
             status=201, idempotent_create=True)
def create_push(ctx, account_id):
    ctx.allow_only(*PUSH_FIELDS)
    return _service(ctx).create(ctx.scope, account_id, ctx.body, created_by=getattr(ctx.scope, "key_id", None))


@admin_route(bp, "/accounts/{account_id}/pushes/{push_id}")
def get_push(ctx, account_id, push_id):
    return _service(ctx).get(ctx.scope, account_id, push_id)


@admin_route(bp, "/accounts/{account_id}/pushes/{push_id}/preview", methods=("POST",), role="operator")
def preview_push(ctx, account_id, push_id):
    return _service(ctx).preview_push(ctx.scope, account_id, push_id)


@admin_route(bp, "/accounts/{account_id}/pushes/{push_id}/confirm", methods=("POST",), role="operator",
             audit="push.confirm")
def confirm_push(ctx, account_id, push_id):
    return _service(ctx).confirm(ctx.scope, account_id, push_id)


@admin_route(bp, "/accounts/{account_id}/pushes/{push_id}/cancel", methods=("POST",), role="operator",
             audit="push.cancel")
def cancel_push(ctx, account_id, push_id):
    return _service(ctx).cancel(ctx.scope, account_id, push_id)


@admin_route(bp, "/accounts/{account_id}/pushes/{push_id}/batches")
def push_batches(ctx, account_id, push_id):
    from scrm.errors import ValidationError

    run = ctx.query.get("run")
    if run is not None and (not str(run).isdigit() or not 1 <= int(run) <= 100000):
        raise ValidationError("run must be a run number (1, 2, ...)", field="run")
    svc = _service(ctx)
    return page(lambda limit, start: svc.batches_page(ctx.scope, account_id, push_id, int(run) if run else None,
                                                      limit=limit, start=start), ctx)


@admin_route(bp, "/accounts/{account_id}/segments")
def list_segments(ctx, account_id):
    svc = _service(ctx)
    return page(lambda limit, start: svc.segments_page(ctx.scope, account_id, limit=limit, start=start), ctx)


@admin_route(bp, "/accounts/{account_id}/segments", methods=("POST",), role="operator", audit="segment.create",
             status=201, idempotent_create=True)
def create_segment(ctx, account_id):
    ctx.allow_only("name", "audience")
    return _service(ctx).create_segment(ctx.scope, account_id, ctx.body)
