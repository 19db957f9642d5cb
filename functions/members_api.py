"""Admin API for member lists (会员名单) and member-verified group codes: upsert members (JSON rows or a CSV file),
read one member, a members-only code's figures (JSON and CSV). Writes are operator's and audited."""

from chalice import Blueprint, Response

from functions.admin_common import admin_route
from scrm import errors

bp = Blueprint(__name__)


@admin_route(bp, "/accounts/{account_id}/members", methods=("POST",), role="operator", audit="members.upsert",
             body="members.MemberUpsert", answer="members.MemberImportResult")
def upsert_members(ctx, account_id):
    """Add or change members (operator): 1..1000 rows of {member_id, phone, name?, level?}; each bad row is refused
    with its position (`line`, from 1) and the good rows applied; a row equal to the stored member is `unchanged`
    (phones are kept only as a keyed hash)"""
    from scrm.services.members.admin import upsert

    return upsert(ctx.scope, account_id, ctx.body)


@admin_route(bp, "/accounts/{account_id}/members/import", methods=("POST",), role="operator",
             audit="members.import", body="members.MemberImport", answer="members.MemberImportResult")
def import_members(ctx, account_id):
    """Import a CSV member list (operator): UTF-8 with or without BOM, header member_id, phone[, name][, level];
    each bad row (malformed id or phone, a member id repeated in the file) is refused with its line number and the
    good rows applied; re-importing the same file counts every row `unchanged`"""
    from scrm.services.members.admin import import_csv

    return import_csv(ctx.scope, account_id, ctx.body)


@admin_route(bp, "/accounts/{account_id}/members/{member_id}", answer="members.Member", audit="member.read")
def get_member(ctx, account_id, member_id):
    """One member: name, level, whether a phone is on file (the number itself is not kept)"""
    from scrm.services.members.admin import get_member

    return get_member(ctx.scope, account_id, member_id)


@admin_route(bp, "/accounts/{account_id}/channels/{channel_id}/member-figures", answer="members.MemberFigures")
def member_figures(ctx, account_id, channel_id):
    """A members-only group code's figures: verified, refused, joined, joined_verified"""
    from scrm.services.members.admin import figures

    return figures(ctx.scope, account_id, channel_id)


@admin_route(bp, "/accounts/{account_id}/channels/{channel_id}/member-figures.csv", media={"text/csv": "text"},
             raises=(errors.NotFound,))
def member_figures_csv(ctx, account_id, channel_id):
    """The same figures as CSV (UTF-8 with BOM)"""
    from scrm.services.members.admin import figures_csv

    return Response(body=figures_csv(ctx.scope, account_id, channel_id), status_code=200, headers={
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": f'attachment; filename="member-figures-{channel_id}.csv"'})
