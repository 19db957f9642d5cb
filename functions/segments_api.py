"""Admin API for rule segments: a rule over the unified contact's facts (tags, channels, first touch, last
interaction, counts of draws, wins, redemptions, messages, menu clicks and push deliveries, RFM scores), its size
previewed before saving, saved segments (the built-in VIP one first), their CSV export, and the account's RFM
bands. A push names a saved rule segment as `{"type": "segment", "segment_id": "r…"}` (or `"vip"`)."""

from chalice import Blueprint, Response

from functions.admin_common import admin_route, page

bp = Blueprint(__name__)


def _segments():
    from scrm.services.segments import admin

    return admin


@admin_route(bp, "/accounts/{account_id}/segments/preview", methods=("POST",), body="segments.PreviewBody",
             answer="segments.SegmentPreview")
def preview_segment(ctx, account_id):
    """How many people a rule holds now, a sample of them, the index entries and facts read to answer, and the
    conditions naming deleted tags or channels (`flags`)

    Evaluated through the index of the contacts' facts: the items read grow with the people the index finds,
    not with every contact (`plan.scan` says when no condition could use an index).
    """
    return _segments().preview(ctx.scope, account_id, ctx.body)


@admin_route(bp, "/accounts/{account_id}/segments/rules", methods=("POST",), role="operator",
             audit="segment_rule.create", status=201, idempotent_create=True, body="segments.SegmentRuleBody",
             answer="segments.RuleSegment")
def create_rule_segment(ctx, account_id):
    """Save a rule as a segment (operator); conditions naming deleted tags or channels come back in `flags`"""
    return _segments().create(ctx.scope, account_id, ctx.body)


@admin_route(bp, "/accounts/{account_id}/segments/rules", answer="segments.RuleSegment", paged=True)
def list_rule_segments(ctx, account_id):
    """Rule segments, the built-in VIP segment first, then the saved ones in id order (paged)"""
    def items(limit, start):
        rows, after = _segments().page(ctx.scope, account_id, limit, (start or {}).get("after"))
        return rows, ({"after": after} if after else None)

    return page(items, ctx)


@admin_route(bp, "/accounts/{account_id}/segments/rules/{segment_id}", answer="segments.RuleSegment")
def get_rule_segment(ctx, account_id, segment_id):
    """A rule segment with its size now and its flags"""
    return _segments().get(ctx.scope, account_id, segment_id)


@admin_route(bp, "/accounts/{account_id}/segments/rules/{segment_id}", methods=("DELETE",), role="operator",
             audit="segment_rule.delete")
def delete_rule_segment(ctx, account_id, segment_id):
    """Delete a saved rule segment (operator; the VIP segment is built in)"""
    return _segments().delete(ctx.scope, account_id, segment_id)


@admin_route(bp, "/accounts/{account_id}/segments/rules/{segment_id}/export.csv", audit="segment_rule.export",
             media={"text/csv": "text"})
def export_rule_segment(ctx, account_id, segment_id):
    """Everyone the segment holds as CSV (UTF-8 with a BOM; audited: personal data): the person, this account's
    openids or external_userids, tags, channels, first touch, last interaction, counts and RFM scores"""
    body = _segments().export_csv(ctx.scope, account_id, segment_id)
    return Response(body=body, status_code=200, headers={
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": f'attachment; filename="segment-{segment_id}.csv"'})


@admin_route(bp, "/accounts/{account_id}/segments/rfm", answer="segments.Rfm")
def get_rfm(ctx, account_id):
    """The account's RFM bands (the defaults until changed)"""
    return _segments().get_rfm(ctx.scope, account_id)


@admin_route(bp, "/accounts/{account_id}/segments/rfm", methods=("PUT",), role="operator", audit="segment_rfm.set",
             body="segments.RfmSettings", answer="segments.Rfm")
def put_rfm(ctx, account_id):
    """Set the account's RFM bands (operator): recency in days, frequency in interactions within the window,
    value in Σ weight × count, four ascending thresholds each; scores move at once (nothing is rewritten)"""
    return _segments().put_rfm(ctx.scope, account_id, ctx.body)
