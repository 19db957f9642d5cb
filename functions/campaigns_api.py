"""Admin API for campaigns: configuration, coupon codes, signed user links, wins, redemptions, reports."""

from __future__ import annotations

from chalice import Blueprint

from functions.admin_common import admin_route, page
from scrm import errors

bp = Blueprint(__name__)
BASE = "/accounts/{account_id}/campaigns"


@admin_route(bp, BASE, methods=("POST",), role="operator", audit="campaign.create", status=201,
             idempotent_create=True, body="campaigns.CampaignBody", answer="answers.Campaign",
             raises=(errors.Conflict,))
def create_campaign(ctx, account_id):
    """Create a campaign (operator). A lottery gets its seed commitment (sha256 of a secret seed) now."""
    from scrm.services import campaigns

    return campaigns.create_campaign(ctx.scope, account_id, ctx.body)


@admin_route(bp, BASE, answer="answers.Campaign", paged=True)
def list_campaigns(ctx, account_id):
    """The account's campaigns, a page at a time (`next_cursor`)"""
    from scrm.services import campaigns

    return page(lambda limit, start: campaigns.query_campaigns(ctx.scope, account_id, limit=limit, start=start),
                ctx, view=campaigns.view)


@admin_route(bp, BASE + "/{campaign_id}", answer="answers.Campaign")
def get_campaign(ctx, account_id, campaign_id):
    """One campaign"""
    from scrm.services import campaigns

    return campaigns.get_campaign(ctx.scope, account_id, campaign_id)


@admin_route(bp, BASE + "/{campaign_id}", methods=("PUT",), role="operator", audit="campaign.update",
             body="campaigns.CampaignBody", answer="answers.Campaign", raises=(errors.Conflict,))
def update_campaign(ctx, account_id, campaign_id):
    """Replace a campaign's configuration (operator). Stock only grows; prizes are never removed; give `version`
    for optimistic concurrency. The configuration and the stock it adds are one transaction conditioned on the
    version read, so a concurrent change (another update, a code upload) makes this one 409 with nothing
    written. A change may touch at most 98 stock shard items (400 `prizes` otherwise).
    """
    from scrm.services import campaigns

    return campaigns.update_campaign(ctx.scope, account_id, campaign_id, ctx.body)


@admin_route(bp, BASE + "/{campaign_id}/prizes/{prize_id}/codes", methods=("POST",), role="operator",
             audit="campaign.codes.upload",
             body="campaigns.CodeUpload", answer="answers.UploadCodesAnswer", raises=(errors.Conflict,))
def upload_codes(ctx, account_id, campaign_id, prize_id):
    """Upload redemption codes to a coupon prize (operator; at most 5000 a call; duplicates skipped). The prize's
    stock is its codes; its shard count grows with them (8 from 200 codes). One upload per prize at a time (409
    otherwise); the codes, the stock and the campaign's configuration (a new `version`) change in one
    transaction that keeps concurrent edits; a failed upload can be retried as is.
    """
    from scrm.services import campaigns

    ctx.allow_only("codes")
    return campaigns.upload_codes(ctx.scope, account_id, campaign_id, prize_id, ctx.field("codes", list))


@admin_route(bp, BASE + "/{campaign_id}/links", methods=("POST",), role="operator", audit="campaign.link.issue",
             body="campaigns.LinkRequest", answer="answers.IssueLinkAnswer", raises=(errors.Conflict,))
def issue_link(ctx, account_id, campaign_id):
    """A signed link for one OA user (to send in a message); HMAC with the account's key in SSM, with expiry.
    `path` is the campaign page (GET /u/{account_id}/campaigns/{campaign_id}) with the token in its fragment
    (`#t=`), which browsers never send to a server; the page calls the user API with `Authorization Bearer`.
    """
    from scrm.services import campaigns

    ctx.allow_only("openid", "ttl_seconds")
    return campaigns.issue_link(ctx.scope, account_id, campaign_id, ctx.field("openid", max_length=128),
                                ttl=ctx.field("ttl_seconds", int, required=False, minimum=60,
                                              maximum=30 * 86400))


@admin_route(bp, BASE + "/{campaign_id}/draws",
             answer="answers.DrawResult", paged=True, query="queries.DrawsQuery")
def list_draws(ctx, account_id, campaign_id):
    """Draws of the campaign (default wins), with redemption and notification state, a page at a time (a filtered
    page may hold fewer than `limit`)
    """
    from scrm.services import campaigns

    outcome = ctx.query.get("outcome", "win")
    if outcome not in ("win", "thanks", "all"):
        raise errors.ValidationError("outcome must be win, thanks or all", field="outcome")
    outcome = None if outcome == "all" else outcome
    return page(lambda limit, start: campaigns.query_draws(ctx.scope, account_id, campaign_id, outcome, limit=limit,
                                                           start=start), ctx, view=campaigns.draw_admin_view)


@admin_route(bp, BASE + "/{campaign_id}/redemptions", methods=("POST",), role="operator",
             audit="campaign.prize.redeem", body="campaigns.Redemption", answer="answers.DrawResult",
             raises=(errors.Conflict,))
def redeem(ctx, account_id, campaign_id):
    """Record that a prize was handed over, by draw_id or coupon code (operator; once)"""
    from scrm.services import campaigns

    ctx.allow_only("draw_id", "code", "note")
    return campaigns.redeem(ctx.scope, account_id, campaign_id, ctx.body)


@admin_route(bp, BASE + "/{campaign_id}/report", answer="answers.ReportAnswer")
def report(ctx, account_id, campaign_id):
    """Participants, draws, wins and redemptions per prize, stock left, shares and views, lottery"""
    from scrm.services import campaigns

    return campaigns.report(ctx.scope, account_id, campaign_id)


@admin_route(bp, BASE + "/{campaign_id}/votes", answer="answers.VoteResults", raises=(errors.Conflict,))
def vote_results(ctx, account_id, campaign_id):
    """A vote campaign's live results: votes per option (counter shards summed), distinct voters, votes and
    first-time voters per campaign-local day (409 for a wheel campaign)"""
    from scrm.services import campaigns

    return campaigns.vote_results(ctx.scope, account_id, campaign_id)


@admin_route(bp, BASE + "/{campaign_id}/lottery", answer="answers.LotteryRecord")
def lottery(ctx, account_id, campaign_id):
    """The published lottery facts (commitment before the draw; participants digest, winners and seed after)"""
    from scrm.services import campaigns

    return campaigns.get_lottery(ctx.scope, account_id, campaign_id)
