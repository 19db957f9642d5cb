"""Share-to-win: each participant's share link, distinct viewers and onward sharers, thresholds rewarded once."""

from __future__ import annotations

from ...domain import campaigns as rules
from ...stores.campaigns import DrawPlan, DuplicateDraw, ShareLink, share_reward_id
from .common import DrawRefused, _now, load_for_user, share_id_for, share_path, store, to_domain
from .draws import public_campaign
from .eligibility import active_campaign
from .user_tokens import check_account


def _link_or_refuse(account_id: str, campaign_id: str, share_id: str) -> ShareLink:
    db = store()
    link = db.share_link(account_id, campaign_id, share_id)
    if link is None:
        raise DrawRefused("unknown_share", "the share link does not exist", status=404)
    return link


def public_share(account_id: str, campaign_id: str, share_id: str) -> dict:
    """A share link's page: its campaign, and where to count the view (POST …/views with the viewer's token)."""
    out = {"campaign": public_campaign(account_id, campaign_id), "share_id": share_id}
    _link_or_refuse(account_id, campaign_id, share_id)
    out["api"] = {"views": f"{share_path(account_id, campaign_id, share_id)}/views"}
    return out


def create_share(account_id: str, campaign_id: str, openid: str, parent: str | None = None,
                 now: float | None = None) -> dict:
    """The user's own share link; sharing onward from someone else's link counts for that link once."""
    db = store()
    now = _now(now)
    campaign = active_campaign(account_id, campaign_id, openid, now)
    sid = share_id_for(account_id, campaign_id, openid)
    db.create_share_link(account_id, campaign_id, ShareLink(sid, openid, parent, created_at=int(now)))
    granted = []
    if parent and parent != sid:
        parent_link = _link_or_refuse(account_id, campaign_id, parent)
        if parent_link.owner != openid and db.first_mark(account_id, campaign_id, "forward", parent, openid,
                                                              now):
            db.count_share(account_id, campaign_id, parent, "shares")
            granted = _grant_thresholds(campaign, parent, now)
    return {"share_id": sid, "path": share_path(account_id, campaign_id, sid), "granted": granted}


def view_share(account_id: str, campaign_id: str, share_id: str, viewer: str, now: float | None = None) -> dict:
    """A person opened a share link. Counts once per distinct viewer; the owner's own views never count."""
    db = store()
    now = _now(now)
    check_account(account_id)
    campaign = to_domain(load_for_user(account_id, campaign_id, "campaign not found"))
    link = _link_or_refuse(account_id, campaign_id, share_id)
    counted = False
    granted = []
    open_now = rules.window_refusal(campaign, now) is None
    if open_now and link.owner != viewer and db.first_mark(account_id, campaign_id, "view", share_id, viewer,
                                                                now):
        db.count_share(account_id, campaign_id, share_id, "views")
        counted = True
        granted = _grant_thresholds(campaign, share_id, now)
    return {"counted": counted, "granted": granted,
            "campaign": {"campaign_id": campaign_id, "name": campaign.name}}


def _grant_thresholds(campaign: rules.Campaign, share_id: str, now: float) -> list[str]:
    """Reward the thresholds the link has newly reached: bonus draws, or a prize (a share-reward draw), once each."""
    db = store()
    account_id, campaign_id = campaign.account_id, campaign.campaign_id
    link = db.share_link(account_id, campaign_id, share_id)
    granted = []
    for threshold in rules.newly_reached(campaign.thresholds, link.views, link.shares, link.granted):
        if threshold.extra_draws:
            if db.grant_bonus_draws(account_id, campaign_id, share_id, link.owner, threshold.threshold_id,
                                         threshold.extra_draws, now):
                granted.append(threshold.threshold_id)
            continue
        plan = DrawPlan(account_id=account_id, campaign_id=campaign_id,
                        draw_id=share_reward_id(share_id, threshold.threshold_id), openid=link.owner, source="share",
                        now=now, prize=campaign.prize(threshold.prize_id), counts_as_draw=False, notify=True)
        try:
            db.commit_draw(plan)
            granted.append(threshold.threshold_id)
        except DuplicateDraw:
            pass  # won before (a crash before the mark): handed off again below, applied once by its key
        _won(plan, threshold.prize_id)
        db.mark_threshold(account_id, campaign_id, share_id, threshold.threshold_id)
    return granted


def _won(plan: DrawPlan, prize_id: str) -> None:
    """The share reward reaches the owner's segment facts and journeys (won_prize, goal_prize) as a win."""
    from ..segments import hand_off

    hand_off.prize_awarded(plan.account_id, plan.campaign_id, {"draw_id": plan.draw_id, "openid": plan.openid,
                                                              "at": int(plan.now), "prize_id": prize_id})
