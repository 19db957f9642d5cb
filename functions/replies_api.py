"""Admin API for passive replies: keyword/menu-click rules and the welcome / default reply of an account."""

from chalice import Blueprint

from functions.admin_common import admin_route
from scrm import errors

bp = Blueprint(__name__)
RULE_FIELDS = ("match", "keywords", "reply", "priority", "enabled", "name")


@admin_route(bp, "/accounts/{account_id}/reply-rules", answer="answers.ReplyRule", paged=True)
def list_reply_rules(ctx, account_id):
    """The account's reply rules, highest priority first (all of them; at most 200)"""
    from scrm.services.replies import list_rules

    return list_rules(ctx.scope, account_id)


@admin_route(bp, "/accounts/{account_id}/reply-rules", methods=("POST",), role="operator",
             audit="reply_rule.create", status=201, idempotent_create=True,
             body="replies.ReplyRuleBody", answer="answers.ReplyRule", raises=(errors.Conflict,))
def create_reply_rule(ctx, account_id):
    """Create a keyword or menu-click reply rule (operator; Official Accounts only)"""
    from scrm.services.replies import create_rule

    ctx.allow_only(*RULE_FIELDS)
    return create_rule(ctx.scope, account_id, ctx.body)


@admin_route(bp, "/accounts/{account_id}/reply-rules/test", methods=("POST",), role="operator",
             body="replies.ReplyTestBody", answer="answers.ReplyTestAnswer")
def test_reply(ctx, account_id):
    """Test a message: which rule answers it and the reply that would be sent, decided as a real message is
    (operator; nothing is sent or recorded; rules saved a moment ago count)
    """
    from scrm.services.replies import test_message

    return test_message(ctx.scope, account_id, ctx.body["text"])


@admin_route(bp, "/accounts/{account_id}/reply-rules/{rule_id}", answer="answers.ReplyRule")
def get_reply_rule(ctx, account_id, rule_id):
    """One reply rule"""
    from scrm.services.replies import get_rule

    return get_rule(ctx.scope, account_id, rule_id)


@admin_route(bp, "/accounts/{account_id}/reply-rules/{rule_id}", methods=("PUT",), role="operator",
             audit="reply_rule.update", body="replies.ReplyRuleBody", answer="answers.ReplyRule")
def update_reply_rule(ctx, account_id, rule_id):
    """Replace a reply rule (operator)"""
    from scrm.services.replies import update_rule

    ctx.allow_only(*RULE_FIELDS)
    return update_rule(ctx.scope, account_id, rule_id, ctx.body)


@admin_route(bp, "/accounts/{account_id}/reply-rules/{rule_id}", methods=("DELETE",), role="operator",
             audit="reply_rule.delete", answer="answers.DeleteReplyRuleAnswer")
def delete_reply_rule(ctx, account_id, rule_id):
    """Delete a reply rule (operator)"""
    from scrm.services.replies import delete_rule

    delete_rule(ctx.scope, account_id, rule_id)
    return {"deleted": rule_id}


@admin_route(bp, "/accounts/{account_id}/welcome", answer="replies.WelcomeSettings")
def get_welcome(ctx, account_id):
    """The follow welcome (OA) or new-customer welcome (WeCom), and the OA default reply"""
    from scrm.services.replies import get_welcome

    return get_welcome(ctx.scope, account_id)


@admin_route(bp, "/accounts/{account_id}/welcome", methods=("PUT",), role="operator", audit="welcome.update",
             body="replies.WelcomeSettings", answer="replies.WelcomeSettings")
def put_welcome(ctx, account_id):
    """Replace the welcome and default reply (operator); null or absent removes one"""
    from scrm.services.replies import put_welcome

    ctx.allow_only("welcome", "default_reply")
    return put_welcome(ctx.scope, account_id, ctx.body)
