"""Admin API for campaigns: configuration, coupon codes, signed user links, wins, redemptions, reports."""

from __future__ import annotations

from chalice import Blueprint

from functions.admin_common import admin_route, page

bp = Blueprint(__name__)
BASE = "/accounts/{account_id}/campaigns"


@admin_route(bp, BASE, methods=("POST",), role="operator", audit="campaign.create", status=201,
             idempotent_create=True)
def create_campaign(ctx, account_id):
    from scrm.services import campaigns

    return campaigns.create_campaign(ctx.scope, account_id, ctx.body)


@admin_route(bp, BASE)
def list_campaigns(ctx, account_id):
    from scrm.services import campaigns

    return page(lambda limit, start: campaigns.query_campaigns(ctx.scope, account_id, limit=limit, start=start),
                ctx, view=campaigns.view)


@admin_route(bp, BASE + "/{campaign_id}")
def get_campaign(ctx, account_id, campaign_id):
    from scrm.services import campaigns

    return campaigns.get_campaign(ctx.scope, account_id, campaign_id)


@admin_route(bp, BASE + "/{campaign_id}", methods=("PUT",), role="operator", audit="campaign.update")
def update_campaign(ctx, account_id, campaign_id):
    from scrm.services import campaigns

    return campaigns.update_campaign(ctx.scope, account_id, campaign_id, ctx.body)


@admin_route(bp, BASE + "/{campaign_id}/prizes/{prize_id}/codes", methods=("POST",), role="operator",
             audit="campaign.codes.upload")
def upload_codes(ctx, account_id, campaign_id, prize_id):
    from scrm.services import campaigns

    ctx.allow_only("codes")
    return campaigns.upload_codes(ctx.scope, account_id, campaign_id, prize_id, ctx.field("codes", list))


@admin_route(bp, BASE + "/{campaign_id}/links", methods=("POST",), role="operator", audit="campaign.link.issue")
def issue_link(ctx, account_id, campaign_id):
    from scrm.services import campaigns

    ctx.allow_only("openid", "ttl_seconds")
    return campaigns.issue_link(ctx.scope, account_id, campaign_id, ctx.field("openid", max_length=128),
                                ttl=ctx.field("ttl_seconds", int, required=False, minimum=60,
                                              maximum=30 * 86400))


@admin_route(bp, BASE + "/{campaign_id}/draws")
def list_draws(ctx, account_id, campaign_id):
    from scrm import errors
    from scrm.services import campaigns

    outcome = ctx.query.get("outcome", "win")
    if outcome not in ("win", "thanks", "all"):
        raise errors.ValidationError("outcome must be win, thanks or all", field="outcome")
    outcome = None if outcome == "all" else outcome
    return page(lambda limit, start: campaigns.query_draws(ctx.scope, account_id, campaign_id, outcome, limit=limit,
                                                           start=start), ctx, view=campaigns.draw_admin_view)


@admin_route(bp, BASE + "/{campaign_id}/redemptions", methods=("POST",), role="operator",
             audit="campaign.prize.redeem")
def redeem(ctx, account_id, campaign_id):
    from scrm.services import campaigns

    ctx.allow_only("draw_id", "code", "note")
    return campaigns.redeem(ctx.scope, account_id, campaign_id, ctx.body)


@admin_route(bp, BASE + "/{campaign_id}/report")
def report(ctx, account_id, campaign_id):
    from scrm.services import campaigns

    return campaigns.report(ctx.scope, account_id, campaign_id)


@admin_route(bp, BASE + "/{campaign_id}/lottery")
def lottery(ctx, account_id, campaign_id):
    from scrm.services import campaigns

    return campaigns.get_lottery(ctx.scope, account_id, campaign_id)
