"""Admin API for an Official Account's custom menus: drafts, publish, versions, rollback, delete, conditional menus,
and menu analytics."""

from chalice import Blueprint

from functions.admin_common import admin_route
from scrm import errors

bp = Blueprint(__name__)
DRAFTS = "/accounts/{account_id}/menu-drafts"
MENU = "/accounts/{account_id}/menu"


def _version(value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= 999999:
        raise errors.ValidationError("version must be a positive integer", field="version")
    return int(value)


@admin_route(bp, DRAFTS, answer="menus.MenuDraft", paged=True)
def list_menu_drafts(ctx, account_id):
    """The account's menu drafts (at most 100)"""
    from scrm.services.menus import admin as menus

    return menus.list_drafts(ctx.scope, account_id)


@admin_route(bp, DRAFTS, methods=("POST",), role="operator", audit="menu_draft.create", status=201,
             idempotent_create=True, body="menus.MenuBody", answer="menus.MenuDraft", raises=(errors.Conflict,))
def create_menu_draft(ctx, account_id):
    """Create a menu draft, validated against WeChat's limits (every problem named at its field)"""
    from scrm.services.menus import admin as menus

    return menus.create_draft(ctx.scope, account_id, ctx.body)


@admin_route(bp, DRAFTS + "/{draft_id}", answer="menus.MenuDraft")
def get_menu_draft(ctx, account_id, draft_id):
    """One menu draft"""
    from scrm.services.menus import admin as menus

    return menus.get_draft(ctx.scope, account_id, draft_id)


@admin_route(bp, DRAFTS + "/{draft_id}", methods=("PUT",), role="operator", audit="menu_draft.update",
             body="menus.MenuBody", answer="menus.MenuDraft", raises=(errors.Conflict,))
def replace_menu_draft(ctx, account_id, draft_id):
    """Replace a menu draft (operator)"""
    from scrm.services.menus import admin as menus

    return menus.replace_draft(ctx.scope, account_id, draft_id, ctx.body)


@admin_route(bp, DRAFTS + "/{draft_id}", methods=("DELETE",), role="operator", audit="menu_draft.delete",
             answer="menus.DeletedAnswer")
def delete_menu_draft(ctx, account_id, draft_id):
    """Delete a menu draft (operator; published versions stay)"""
    from scrm.services.menus import admin as menus

    return menus.delete_draft(ctx.scope, account_id, draft_id)


@admin_route(bp, MENU + "/publish", methods=("POST",), role="operator", audit="menu.publish",
             body="menus.PublishBody", answer="menus.PublishAnswer",
             raises=(errors.Conflict, errors.WeChatError, errors.WeChatUnavailable))
def publish_menu(ctx, account_id):
    """Publish a draft as the account's menu (menu/create); the menu already published is not sent again"""
    from scrm.services.menus import admin as menus

    return menus.publish(ctx.scope, account_id, ctx.body["draft_id"])


@admin_route(bp, MENU + "/current", answer="menus.CurrentMenu",
             raises=(errors.WeChatError, errors.WeChatUnavailable))
def current_menu(ctx, account_id):
    """The published version and WeChat's current menu (get_current_selfmenu_info), and whether they agree"""
    from scrm.services.menus import admin as menus

    return menus.current_menu(ctx.scope, account_id)


@admin_route(bp, MENU + "/versions", answer="menus.MenuVersion", paged=True)
def list_menu_versions(ctx, account_id):
    """Published versions, newest first"""
    from functions.paging import page
    from scrm.services.menus import admin as menus

    return page(lambda limit, start: menus.page_versions(ctx.scope, account_id, limit, start), ctx)


@admin_route(bp, MENU + "/versions/{version}", answer="menus.MenuVersion")
def get_menu_version(ctx, account_id, version):
    """One published version (the buttons exactly as sent to WeChat)"""
    from scrm.services.menus import admin as menus

    return menus.get_version(ctx.scope, account_id, _version(version))


@admin_route(bp, MENU + "/versions/{version}/rollback", methods=("POST",), role="operator", audit="menu.rollback",
             answer="menus.PublishAnswer", raises=(errors.Conflict, errors.WeChatError, errors.WeChatUnavailable))
def rollback_menu(ctx, account_id, version):
    """Republish an earlier version exactly, as a new version (operator)"""
    from scrm.services.menus import admin as menus

    return menus.rollback(ctx.scope, account_id, _version(version))


@admin_route(bp, MENU, methods=("DELETE",), role="operator", audit="menu.delete", answer="menus.DeletedAnswer",
             raises=(errors.WeChatError, errors.WeChatUnavailable))
def delete_menu(ctx, account_id):
    """Delete the menu at WeChat (menu/delete: the conditional menus go too); versions stay for a rollback"""
    from scrm.services.menus import admin as menus

    return menus.delete_menu(ctx.scope, account_id)


@admin_route(bp, MENU + "/conditionals", answer="menus.ConditionalMenu", paged=True)
def list_conditional_menus(ctx, account_id):
    """The conditional menus WeChat accepted"""
    from scrm.services.menus import admin as menus

    return menus.list_conditionals(ctx.scope, account_id)


@admin_route(bp, MENU + "/conditionals", methods=("POST",), role="operator", audit="menu.conditional.create",
             status=201, idempotent_create=True, body="menus.ConditionalMenuBody", answer="menus.ConditionalMenu",
             raises=(errors.Conflict, errors.WeChatError, errors.WeChatUnavailable))
def add_conditional_menu(ctx, account_id):
    """Add a conditional menu by user tag or client platform (menu/addconditional; needs a published menu)"""
    from scrm.services.menus import admin as menus

    return menus.add_conditional(ctx.scope, account_id, ctx.body)


@admin_route(bp, MENU + "/conditionals/{menuid}", methods=("DELETE",), role="operator",
             audit="menu.conditional.delete", answer="menus.DeletedAnswer",
             raises=(errors.WeChatError, errors.WeChatUnavailable))
def delete_conditional_menu(ctx, account_id, menuid):
    """Delete a conditional menu (menu/delconditional)"""
    from scrm.services.menus import admin as menus

    return menus.delete_conditional(ctx.scope, account_id, menuid)


@admin_route(bp, MENU + "/trymatch", methods=("POST",), role="operator", body="menus.TryMatchBody",
             answer="menus.TryMatchAnswer", raises=(errors.WeChatError, errors.WeChatUnavailable))
def try_match_menu(ctx, account_id):
    """The menu a follower sees (menu/trymatch)"""
    from scrm.services.menus import admin as menus

    return menus.try_match(ctx.scope, account_id, ctx.body["user_id"])


@admin_route(bp, "/accounts/{account_id}/menu-stats", answer="menus.MenuStats", query="menus.MenuStatsQuery")
def menu_stats(ctx, account_id):
    """Clicks and unique users per menu entry and China day, joined with the published menu, and the entries nobody
    used

    ?from=YYYY-MM-DD&to=YYYY-MM-DD (China days; default the last 30, at most 92). Every CLICK and VIEW event is
    counted once; `user_days` sums each day's unique users.
    """
    from scrm import bootstrap
    from scrm.services.menus import stats

    return stats.report(ctx.scope, account_id, ctx.query, bootstrap.container().now())
