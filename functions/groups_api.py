"""Admin API for WeCom customer groups (客户群): the account's groups, one group with its members, its size per day;
a group's VIP flag and tags; the customer group tags (客户群标签); the corp's group welcome templates
(入群欢迎语素材); a group code's pool."""

from chalice import Blueprint

from functions.admin_common import admin_route, page
from scrm import errors

bp = Blueprint(__name__)


@admin_route(bp, "/accounts/{account_id}/groups", answer="answers.CustomerGroup", paged=True)
def list_groups(ctx, account_id):
    """The account's customer groups in chat id order, paged (as kept from change_external_chat callbacks)"""
    from scrm.services.groups.admin import list_groups_page

    return page(lambda limit, start: list_groups_page(ctx.scope, account_id, limit=limit, start=start), ctx)


@admin_route(bp, "/accounts/{account_id}/groups/{chat_id}", answer="answers.CustomerGroup")
def get_group(ctx, account_id, chat_id):
    """One customer group: owner, name, status, size"""
    from scrm.services.groups.admin import get_group

    return get_group(ctx.scope, account_id, chat_id)


@admin_route(bp, "/accounts/{account_id}/groups/{chat_id}/members", answer="answers.CustomerGroupMember",
             paged=True)
def list_group_members(ctx, account_id, chat_id):
    """A group's members, in and out, in userid order, paged: join scene, invitor, join and quit times, state"""
    from scrm.services.groups.admin import members_page

    return page(lambda limit, start: members_page(ctx.scope, account_id, chat_id, limit=limit, start=start), ctx)


@admin_route(bp, "/accounts/{account_id}/groups/{chat_id}/sizes", answer="answers.CustomerGroupSizes",
             query="queries.GroupSizesQuery")
def group_sizes(ctx, account_id, chat_id):
    """A group's joins, quits and size per China day (?from, ?to; at most 366 days)"""
    from scrm import bootstrap
    from scrm.services.groups.admin import sizes

    return sizes(ctx.scope, account_id, chat_id, ctx.query, bootstrap.container().now())


@admin_route(bp, "/accounts/{account_id}/groups/{chat_id}/vip", methods=("PUT",), role="operator",
             audit="group.vip", body="groups.GroupVip", answer="groups.GroupVipAnswer", raises=(errors.Conflict,))
def put_group_vip(ctx, account_id, chat_id):
    """Flag a customer group VIP (or not): a customer leaving it is a loss alert (event vip_group_leave of the
    loss-alert settings) to its owner or the supervisor"""
    from scrm.services.groups.admin import set_vip

    return set_vip(ctx.scope, account_id, chat_id, ctx.body)


# ---- customer group tags (客户群标签): the company's own catalogue (WeCom's server API keeps no group tags)

@admin_route(bp, "/accounts/{account_id}/group-tags", answer="groups.GroupTags")
def list_group_tags(ctx, account_id):
    """The account's customer group tags (客户群标签), deleted ones marked (what refers to them shows them so)"""
    from scrm.services.groups.tags import list_tags

    return {"items": list_tags(ctx.scope, account_id)}


@admin_route(bp, "/accounts/{account_id}/group-tags", methods=("POST",), role="operator", audit="group_tag.create",
             status=201, idempotent_create=True, body="groups.GroupTagBody", answer="groups.GroupTag",
             raises=(errors.Conflict,))
def create_group_tag(ctx, account_id):
    """Add a customer group tag (a name unique among the live tags; 409 otherwise)"""
    from scrm import bootstrap
    from scrm.services.groups.tags import create_tag

    return create_tag(ctx.scope, account_id, ctx.body, bootstrap.container().now())


@admin_route(bp, "/accounts/{account_id}/group-tags/{tag_id}", methods=("DELETE",), role="operator",
             audit="group_tag.delete", answer="groups.GroupTag")
def delete_group_tag(ctx, account_id, tag_id):
    """Delete a customer group tag, even while groups or pushes refer to it: they show it deleted, an audience by
    it reaches nobody through it (and says so), no group can be given it any more"""
    from scrm import bootstrap
    from scrm.services.groups.tags import delete_tag

    return delete_tag(ctx.scope, account_id, tag_id, bootstrap.container().now())


@admin_route(bp, "/accounts/{account_id}/groups/{chat_id}/tags", methods=("PUT",), role="operator",
             audit="group.tags", body="groups.GroupTagsChange", answer="groups.GroupTagsAnswer",
             raises=(errors.Conflict,))
def put_group_tags(ctx, account_id, chat_id):
    """A customer group's tags, all of them (live tags of the catalogue; an empty list clears); a push to customer
    groups can name them (audience `{"type": "groups", "group_tags": [...]}`)"""
    from scrm.services.groups.tags import set_tags

    return set_tags(ctx.scope, account_id, chat_id, ctx.body)


# ---- group welcome templates (入群欢迎语素材): WeCom's group_welcome_template/add|edit|get|del

WECOM_ERRORS = (errors.WeChatError, errors.WeChatUnavailable, errors.RateLimited)


@admin_route(bp, "/accounts/{account_id}/group-welcome-templates", answer="groups.GroupWelcomeTemplates")
def list_group_welcome_templates(ctx, account_id):
    """The corp's group welcome templates (入群欢迎语素材) made through this API, with the group codes using each"""
    from scrm.services.groups.templates import list_templates

    return {"items": list_templates(ctx.scope, account_id)}


@admin_route(bp, "/accounts/{account_id}/group-welcome-templates", methods=("POST",), role="operator",
             audit="group_welcome_template.create", status=201, idempotent_create=True,
             body="groups.GroupWelcomeTemplateBody", answer="groups.GroupWelcomeTemplate",
             raises=(errors.Conflict, *WECOM_ERRORS))
def create_group_welcome_template(ctx, account_id):
    """Add a group welcome template to the corp's library (group_welcome_template/add): text (%NICKNAME% for the
    customer's nickname) and/or one image, link or miniprogram attachment, in WeCom's shape"""
    from scrm import bootstrap
    from scrm.services.groups.templates import create_template

    return create_template(ctx.scope, account_id, ctx.body, bootstrap.container().now())


@admin_route(bp, "/accounts/{account_id}/group-welcome-templates/{template_id}", answer="groups.GroupWelcomeTemplate")
def get_group_welcome_template(ctx, account_id, template_id):
    """One group welcome template"""
    from scrm.services.groups.templates import get_template

    return get_template(ctx.scope, account_id, template_id)


@admin_route(bp, "/accounts/{account_id}/group-welcome-templates/{template_id}", methods=("PUT",), role="operator",
             audit="group_welcome_template.update", body="groups.GroupWelcomeTemplateBody",
             answer="groups.GroupWelcomeTemplate", raises=(errors.Conflict, *WECOM_ERRORS))
def update_group_welcome_template(ctx, account_id, template_id):
    """Replace a group welcome template (group_welcome_template/edit); the group codes using it keep it"""
    from scrm import bootstrap
    from scrm.services.groups.templates import update_template

    return update_template(ctx.scope, account_id, template_id, ctx.body, bootstrap.container().now())


@admin_route(bp, "/accounts/{account_id}/group-welcome-templates/{template_id}", methods=("DELETE",),
             role="operator", audit="group_welcome_template.delete", answer="groups.GroupWelcomeTemplateDeleted",
             raises=(errors.Conflict, *WECOM_ERRORS))
def delete_group_welcome_template(ctx, account_id, template_id):
    """Delete a group welcome template (group_welcome_template/del); refused (409) while a group code uses it"""
    from scrm.services.groups.templates import delete_template

    return delete_template(ctx.scope, account_id, template_id)


@admin_route(bp, "/accounts/{account_id}/channels/{channel_id}/pool", methods=("PATCH",), role="operator",
             audit="channel.pool", body="groups.GroupPoolChange", answer="answers.Channel",
             raises=(errors.Conflict, *WECOM_ERRORS))
def change_group_pool(ctx, account_id, channel_id):
    """Change a group code's pool: groups added at the end (live groups of the corp, in no other code), removed,
    a new cap; the code (update_join_way) changes only when the groups it shows change"""
    from scrm import bootstrap
    from scrm.services.groups.pool import change_pool

    return change_pool(ctx.scope, account_id, channel_id, ctx.body, bootstrap.container().now())
