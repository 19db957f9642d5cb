"""Admin API for passive replies: keyword/menu-click rules and the welcome / default reply of an account."""

from chalice import Blueprint

from functions.admin_common import admin_route

bp = Blueprint(__name__)
RULE_FIELDS = ("match", "keywords", "reply", "priority", "enabled", "name")


@admin_route(bp, "/accounts/{account_id}/reply-rules")
def list_reply_rules(ctx, account_id):
    from scrm.services.replies import list_rules

    return list_rules(ctx.scope, account_id)


@admin_route(bp, "/accounts/{account_id}/reply-rules", methods=("POST",), role="operator",
             audit="reply_rule.create", status=201, idempotent_create=True)
def create_reply_rule(ctx, account_id):
    from scrm.services.replies import create_rule

    ctx.allow_only(*RULE_FIELDS)
    return create_rule(ctx.scope, account_id, ctx.body)


@admin_route(bp, "/accounts/{account_id}/reply-rules/{rule_id}")
def get_reply_rule(ctx, account_id, rule_id):
    from scrm.services.replies import get_rule

    return get_rule(ctx.scope, account_id, rule_id)


@admin_route(bp, "/accounts/{account_id}/reply-rules/{rule_id}", methods=("PUT",), role="operator",
             audit="reply_rule.update")
def update_reply_rule(ctx, account_id, rule_id):
    from scrm.services.replies import update_rule

    ctx.allow_only(*RULE_FIELDS)
    return update_rule(ctx.scope, account_id, rule_id, ctx.body)


@admin_route(bp, "/accounts/{account_id}/reply-rules/{rule_id}", methods=("DELETE",), role="operator",
             audit="reply_rule.delete")
def delete_reply_rule(ctx, account_id, rule_id):
    from scrm.services.replies import delete_rule

    delete_rule(ctx.scope, account_id, rule_id)
    return {"deleted": rule_id}


@admin_route(bp, "/accounts/{account_id}/welcome")
def get_welcome(ctx, account_id):
    from scrm.services.replies import get_welcome

    return get_welcome(ctx.scope, account_id)


@admin_route(bp, "/accounts/{account_id}/welcome", methods=("PUT",), role="operator", audit="welcome.update")
def put_welcome(ctx, account_id):
    from scrm.services.replies import put_welcome

    ctx.allow_only("welcome", "default_reply")
    return put_welcome(ctx.scope, account_id, ctx.body)
