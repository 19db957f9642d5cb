"""Admin API for tags. A WeCom corp's customer tags (企业客户标签): the catalogue (tags with their groups), create,
rename or reorder, delete (refused while referred to, unless forced), and sync from WeCom. An Official Account's
user tags (用户标签, /oa-tags): the same through WeChat's tag API."""

from chalice import Blueprint

from functions.admin_common import admin_route, page
from scrm import errors

bp = Blueprint(__name__)
WECHAT = (errors.WeChatError, errors.WeChatUnavailable, errors.RateLimited)


@admin_route(bp, "/accounts/{account_id}/tags", answer="tags.Tag", paged=True, raises=WECHAT)
def list_tags(ctx, account_id):
    """The corp's tags in WeCom's display order, each with its group (paged; the catalogue is read from WeCom the
    first time)"""
    from scrm.services.tags import list_tags_page

    return page(lambda limit, start: list_tags_page(ctx.scope, account_id, limit=limit, start=start), ctx)


@admin_route(bp, "/accounts/{account_id}/tags", methods=("POST",), role="operator", audit="tag.create", status=201,
             idempotent_create=True, body="tags.TagCreate", answer="tags.TagGroup",
             raises=(errors.Conflict, *WECHAT))
def create_tags(ctx, account_id):
    """Create tags (operator): a new group with its tags (group_name), or tags into a group (group_id)"""
    from scrm.services.tags import create

    return create(ctx.scope, account_id, ctx.body)


@admin_route(bp, "/accounts/{account_id}/tags/sync", methods=("POST",), role="operator", audit="tag.sync",
             answer="tags.TagSync", raises=WECHAT)
def sync_tags(ctx, account_id):
    """Read the whole catalogue from WeCom again (operator): tags made or removed in WeCom's console show up"""
    from scrm.services.tags import sync

    return sync(ctx.scope, account_id)


@admin_route(bp, "/accounts/{account_id}/tags/{tag_id}", methods=("PATCH",), role="operator", audit="tag.update",
             body="tags.TagChange", answer="tags.Tag", raises=(errors.Conflict, *WECHAT))
def change_tag(ctx, account_id, tag_id):
    """Rename and/or reorder a tag (operator)"""
    from scrm.services.tags import change

    return change(ctx.scope, account_id, tag_id, ctx.body)


@admin_route(bp, "/accounts/{account_id}/tags/{tag_id}", methods=("DELETE",), role="operator", audit="tag.delete",
             query="tags.TagDeleteQuery", answer="tags.TagDeleted", raises=(errors.Conflict, *WECHAT))
def delete_tag(ctx, account_id, tag_id):
    """Delete a tag (operator): 409 listing the channels, pushes and segments that refer to it, unless
    force=true"""
    from scrm.services.tags import delete

    return delete(ctx.scope, account_id, tag_id, force=_force(ctx))


@admin_route(bp, "/accounts/{account_id}/tag-groups/{group_id}", methods=("PATCH",), role="operator",
             audit="tag_group.update", body="tags.TagChange", answer="tags.TagGroup",
             raises=(errors.Conflict, *WECHAT))
def change_tag_group(ctx, account_id, group_id):
    """Rename and/or reorder a tag group (operator)"""
    from scrm.services.tags import change

    return change(ctx.scope, account_id, group_id, ctx.body, group=True)


@admin_route(bp, "/accounts/{account_id}/tag-groups/{group_id}", methods=("DELETE",), role="operator",
             audit="tag_group.delete", query="tags.TagDeleteQuery", answer="tags.TagDeleted",
             raises=(errors.Conflict, *WECHAT))
def delete_tag_group(ctx, account_id, group_id):
    """Delete a tag group with all its tags (operator): 409 with the references to any of them, unless
    force=true"""
    from scrm.services.tags import delete

    return delete(ctx.scope, account_id, group_id, group=True, force=_force(ctx))


def _force(ctx) -> bool:
    value = ctx.query.get("force")
    if value not in (None, "", "true", "false", "1", "0"):
        raise errors.ValidationError("force: true or false", field="force")
    return value in ("true", "1")


# An Official Account's user tags (用户标签): WeChat's tags have no groups, so they have routes of their own.


@admin_route(bp, "/accounts/{account_id}/oa-tags", answer="tags.OaTag", paged=True, raises=WECHAT)
def list_oa_tags(ctx, account_id):
    """The Official Account's user tags by id (paged; read from WeChat the first time)"""
    from scrm.services.tags import official

    return page(lambda limit, start: official.list_page(ctx.scope, account_id, limit=limit, start=start), ctx)


@admin_route(bp, "/accounts/{account_id}/oa-tags", methods=("POST",), role="operator", audit="oa_tag.create",
             status=201, idempotent_create=True, body="tags.OaTagBody", answer="tags.OaTag",
             raises=(errors.Conflict, *WECHAT))
def create_oa_tag(ctx, account_id):
    """Create a user tag (operator): at most 100 an account, names unique"""
    from scrm.services.tags import official

    return official.create(ctx.scope, account_id, ctx.body["name"])


@admin_route(bp, "/accounts/{account_id}/oa-tags/sync", methods=("POST",), role="operator", audit="oa_tag.sync",
             answer="tags.TagSync", raises=WECHAT)
def sync_oa_tags(ctx, account_id):
    """Read the user tags from WeChat again (operator): tags made or removed in WeChat's console show up"""
    from scrm.services.tags import official

    return official.sync(ctx.scope, account_id)


@admin_route(bp, "/accounts/{account_id}/oa-tags/{tag_id}", methods=("PATCH",), role="operator",
             audit="oa_tag.update", body="tags.OaTagChange", answer="tags.OaTag", raises=(errors.Conflict, *WECHAT))
def rename_oa_tag(ctx, account_id, tag_id):
    """Rename a user tag (operator; WeChat's reserved tags 0, 1, 2 cannot change)"""
    from scrm.services.tags import official

    return official.rename(ctx.scope, account_id, tag_id, ctx.body["name"])


@admin_route(bp, "/accounts/{account_id}/oa-tags/{tag_id}", methods=("DELETE",), role="operator",
             audit="oa_tag.delete", query="tags.TagDeleteQuery", answer="tags.TagDeleted",
             raises=(errors.Conflict, *WECHAT))
def delete_oa_tag(ctx, account_id, tag_id):
    """Delete a user tag (operator): 409 listing the channels, pushes, segments and journeys that refer to it,
    unless force=true (WeChat refuses a tag more than 100,000 followers carry)"""
    from scrm.services.tags import official

    return official.delete(ctx.scope, account_id, tag_id, force=_force(ctx))
