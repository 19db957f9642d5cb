"""User draws: the wheel (`draw`), joining the lottery, what a user sees of their campaign; admins' redemptions.

Exactness lives in the store's draw step (scrm.stores.campaigns: record, counters, stock and code together).
"""

from __future__ import annotations

import random
import re

from ...contracts import parse
from ...contracts.campaigns import Redemption
from ...domain import campaigns as rules
from ...errors import Conflict, NotFound, RateLimited
from ...stores.campaigns import AlreadyRedeemed, DrawPlan, DuplicateDraw, LedgerBusy, LimitReached, instant_id
from ...tenancy import Scope
from .common import (
    DrawRefused,
    _now,
    campaign_path,
    draw_view,
    load,
    load_for_user,
    lottery_view,
    share_id_for,
    store,
    to_domain,
)
from .eligibility import active_campaign
from .user_tokens import check_account

REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")

_rng = random.SystemRandom()


def _bonus(account_id: str, campaign_id: str, openid: str) -> int:
    db = store()
    user = db.participant(account_id, campaign_id, openid)
    return user.bonus_draws if user else 0


def draw(account_id: str, campaign_id: str, openid: str, request_id: str, now: float | None = None,
         rng=None) -> dict:
    """One spin of the wheel for an authenticated user. Retrying the same request id returns the same draw."""
    db = store()
    now = _now(now)
    if not isinstance(request_id, str) or not REQUEST_ID.match(request_id):
        raise DrawRefused("bad_request_id", "request_id must be 8-64 letters, digits or ._:-", status=400)
    draw_id = instant_id(openid, request_id)
    done = db.get_draw(account_id, campaign_id, draw_id)
    if done is not None:  # a retry of a finished draw answers from the record, whatever the campaign state is now
        return _answer(account_id, campaign_id, done, replayed=True)
    campaign = active_campaign(account_id, campaign_id, openid, now)
    if campaign.is_vote:
        raise DrawRefused(rules.NOT_A_WHEEL, "this campaign is a vote: POST …/votes", status=400)
    rng = rng or _rng
    total_cap = (rules.draw_cap(campaign, _bonus(account_id, campaign_id, openid))
                 if campaign.draws_total is not None else None)
    plan = DrawPlan(
        account_id=account_id, campaign_id=campaign_id, draw_id=draw_id, openid=openid, source="instant", now=now,
        prize=rules.pick_prize(campaign, rng), day=rules.local_day(campaign, now), daily_cap=campaign.draws_per_day,
        total_cap=total_cap, wins_cap=campaign.wins_total, notify=bool(campaign.notify_template_id
                                                                     or campaign.notify_text),
        enter_lottery=bool(campaign.lottery_prize_id))
    try:
        record = db.commit_draw(plan, rng=rng)
    except DuplicateDraw as dup:
        return _answer(account_id, campaign_id, dup.record, replayed=True)
    except LimitReached as limit:  # a refusal, not throttling: 429 would make clients retry
        raise DrawRefused(limit.reason, "you have no draws left" + (" today" if limit.reason == rules.DAILY_LIMIT
                                                                      else ""), status=403) from None
    except LedgerBusy:
        raise RateLimited("too many draws at once; retry with the same request_id") from None
    return _answer(account_id, campaign_id, record)


def _answer(account_id: str, campaign_id: str, record, replayed: bool = False) -> dict:
    """The draw's answer, its fact queued for the person's segment record (applied once per draw: a retry
    answered from the record queues it again, in case the first hand-off failed)."""
    from ..segments import hand_off

    hand_off.draw_made(account_id, campaign_id, {"draw_id": record.draw_id, "openid": record.openid,
                                              "outcome": record.outcome, "at": record.created_at,
                                              "prize_id": record.prize_id})
    return draw_view(record, replayed=replayed)


def enter(account_id: str, campaign_id: str, openid: str, now: float | None = None) -> dict:
    """Join the end-of-campaign lottery (eligibility checked now and again at the draw)."""
    db = store()
    now = _now(now)
    campaign = active_campaign(account_id, campaign_id, openid, now)
    if not campaign.lottery_prize_id:
        raise DrawRefused("no_lottery", "this campaign has no lottery", status=400)
    db.enter_lottery(account_id, campaign_id, openid, now)
    return {"entered": True}


def my_status(account_id: str, campaign_id: str, openid: str, now: float | None = None) -> dict:
    db = store()
    now = _now(now)
    campaign = to_domain(load(account_id, campaign_id))
    if campaign.is_vote:
        from .votes import my_votes

        return {"campaign": _status_head(campaign_id, campaign), "kind": "vote",
                "votes": my_votes(account_id, campaign_id, openid, campaign, now)}
    user = db.participant(account_id, campaign_id, openid)
    drawn = user.draws if user else 0
    today = db.draws_on(account_id, campaign_id, openid, rules.local_day(campaign, now))
    cap = rules.draw_cap(campaign, user.bonus_draws if user else 0)
    left = [x for x in (None if cap is None else cap - drawn,
                        None if campaign.draws_per_day is None else campaign.draws_per_day - today) if x is not None]
    wins = [draw_view(d) for d in db.user_wins(account_id, campaign_id, openid)]
    share_id = share_id_for(account_id, campaign_id, openid)
    link = db.share_link(account_id, campaign_id, share_id) if campaign.thresholds else None
    share = rules.share_progress(campaign.thresholds, link.views if link else 0, link.shares if link else 0,
                                 link.granted if link else ())
    return {"campaign": _status_head(campaign_id, campaign),
            "draws": drawn, "draws_today": today, "draws_left": max(0, min(left)) if left else None,
            "entered": bool(user and user.entered_at), "wins": wins,
            "share_id": share_id, "share": share}


def _status_head(campaign_id: str, campaign: rules.Campaign) -> dict:
    return {"campaign_id": campaign_id, "name": campaign.name, "starts_at": rules.iso(campaign.starts_at),
            "ends_at": rules.iso(campaign.ends_at), "status": campaign.status}


def public_campaign(account_id: str, campaign_id: str) -> dict:
    """What anyone may see of a published campaign (the page a link opens): no user data, no token needed."""
    check_account(account_id)
    record = load_for_user(account_id, campaign_id)
    campaign = to_domain(record)
    if campaign.status == "draft":  # not published yet
        raise DrawRefused("unknown_campaign", f"campaign {campaign_id!r} not found", status=404)
    out = {"campaign_id": campaign_id, "name": campaign.name, "status": campaign.status,
           "starts_at": rules.iso(campaign.starts_at), "ends_at": rules.iso(campaign.ends_at),
           "prizes": [{"prize_id": p.prize_id, "name": p.name, "kind": p.kind} for p in campaign.prizes],
           "api": {"draws": f"{campaign_path(account_id, campaign_id)}/draws",
                   "me": f"{campaign_path(account_id, campaign_id)}/me"}}
    if campaign.is_vote:  # the page shows options and a vote button instead of the wheel
        out.update(kind="vote", options=[o.to_dict() for o in campaign.options],
                   voting={"votes_per_day": campaign.votes_per_day, "one_per_option": campaign.one_vote_per_option})
        out["api"] = {"votes": f"{campaign_path(account_id, campaign_id)}/votes",
                      "results": f"{campaign_path(account_id, campaign_id)}/results",
                      "me": f"{campaign_path(account_id, campaign_id)}/me"}
    if campaign.follow_channel:  # the code the page shows a user who does not follow yet
        out["api"]["follow_qr"] = f"{campaign_path(account_id, campaign_id)}/follow-qr.svg"
    if record.lottery_commitment:  # the commitment is public by design; who entered and won is not (openids)
        out["lottery"] = {k: v for k, v in lottery_view(record).items() if k not in ("participants", "winners")}
    return out


# ---------------------------------------------------------------------------------------------- redemptions


def _draw_of_code(account_id: str, campaign_id: str, campaign: rules.Campaign, code: str) -> str:
    """The draw that was handed `code`: NotFound if no coupon prize has it, Conflict if nobody got it yet."""
    db = store()
    for prize in campaign.prizes:
        if prize.kind != "coupon":
            continue
        slot = db.find_code(account_id, campaign_id, prize.prize_id, code)
        if slot is None:
            continue
        if not slot.draw_id:
            raise Conflict(f"code {code!r} was never handed out")
        return slot.draw_id
    raise NotFound(f"code {code!r} is not one of this campaign's codes")


def redeem(scope: Scope, account_id: str, campaign_id: str, body: dict, now: float | None = None) -> dict:
    """Record that a prize was handed over (by draw_id, or by coupon code). Once."""
    scope.check(account_id)
    campaign = to_domain(load(account_id, campaign_id))
    request = parse(Redemption, body)  # every error at once, with its field
    draw_id = request.draw_id or _draw_of_code(account_id, campaign_id, campaign, request.code)
    db = store()
    record = db.get_draw(account_id, campaign_id, draw_id)
    if record is None:
        raise NotFound(f"draw {draw_id!r} not found")
    if record.outcome != "win":
        raise Conflict("this draw won nothing to redeem")
    try:
        record = db.redeem_draw(account_id, campaign_id, draw_id, int(_now(now)), scope.key_id, request.note or None)
    except AlreadyRedeemed as done:
        _redeemed(account_id, campaign_id, done.record, draw_id)  # a retry fills in what a failure left out
        raise Conflict(f"already redeemed at {rules.iso(int(done.record.redeemed_at))}") from None
    _redeemed(account_id, campaign_id, record, draw_id)
    out = draw_view(record)
    out.update(draw_id=draw_id, openid=record.openid, redeemed_at=int(record.redeemed_at))
    return out


def _redeemed(account_id: str, campaign_id: str, record, draw_id: str) -> None:
    from ..segments import hand_off

    hand_off.prize_redeemed(account_id, campaign_id, record.openid, draw_id, int(record.redeemed_at))
