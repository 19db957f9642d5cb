"""Admin API for WeCom customer groups (客户群): the account's groups, one group with its members, its size per day."""

from chalice import Blueprint

from functions.admin_common import admin_route, page

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
