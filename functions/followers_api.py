"""Admin API for an Official Account's follower profiles: start a sync from WeChat (the event worker does it page
by page), its progress, the breakdowns by language, subscribe scene, tag and subscribe month (JSON and CSV), and
one follower's profile."""

from chalice import Blueprint

from functions.admin_common import admin_route
from scrm import errors

bp = Blueprint(__name__)


@admin_route(bp, "/accounts/{account_id}/followers/sync", methods=("POST",), role="operator",
             audit="followers.sync", status=202, answer="followers.FollowerSync", raises=(errors.Conflict,))
def start_follower_sync(ctx, account_id):
    """Start a sync of the account's followers from WeChat (operator): user/get pages of 10,000 and
    user/info/batchget calls of 100, done by the event worker page by page and resumed from its cursor after a
    failure; followers who unfollowed since are marked so. 409 while a sync is running."""
    from scrm.services.followers import start_sync

    return start_sync(ctx.scope, account_id)


@admin_route(bp, "/accounts/{account_id}/followers/sync", answer="followers.FollowerSync")
def follower_sync(ctx, account_id):
    """The latest follower sync: its phase, pages and WeChat calls so far"""
    from scrm.services.followers import sync_status

    return sync_status(ctx.scope, account_id)


@admin_route(bp, "/accounts/{account_id}/followers/breakdown", answer="followers.FollowerBreakdown")
def follower_breakdown(ctx, account_id):
    """Current followers by language, subscribe scene, tag (with its name) and subscribe month (China time)

    Read from counters kept per account, never from every follower. WeChat no longer gives gender, region, avatar
    or nickname (since 2021-12-27): `notes` says so in Chinese and English.
    """
    from scrm.services.followers import breakdown

    return breakdown(ctx.scope, account_id)


@admin_route(bp, "/accounts/{account_id}/followers/breakdown.csv", media={"text/csv": "text"})
def follower_breakdown_csv(ctx, account_id):
    """The breakdowns as CSV (UTF-8 with a BOM): dimension, value, name, count; the notes as the last rows"""
    from chalice import Response

    from scrm.services.followers import breakdown_csv

    return Response(body=breakdown_csv(ctx.scope, account_id), status_code=200, headers={
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": f'attachment; filename="follower-breakdown-{account_id}.csv"'})


@admin_route(bp, "/accounts/{account_id}/followers/{openid}", answer="followers.FollowerProfile")
def follower_profile(ctx, account_id, openid):
    """One follower's profile as last synced: language, subscribe scene and time, tags, remark, unionid (audited:
    personal data)"""
    from scrm.services.followers import profile

    return profile(ctx.scope, account_id, openid)
