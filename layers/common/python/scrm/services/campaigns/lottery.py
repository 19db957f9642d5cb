"""The end-of-campaign lottery (committed seed, frozen winner list, idempotent awards), winner notifications,
and the campaign_draw schedule that runs both."""

from __future__ import annotations

import hashlib
from dataclasses import replace

from ... import accounts, secrets
from ...domain import campaigns as rules
from ...domain import lottery
from ...errors import AccountDisabled, ConfigError, Conflict, ScrmError, UnknownAccount
from ...stores.campaigns import CampaignRow, DrawPlan, DuplicateDraw, lottery_id
from ...tenancy import Scope
from .common import _now, load, lottery_view, store, to_domain
from .eligibility import contact_facts

NOTIFY_MAX_ATTEMPTS = 5
PUBLISH_PARTICIPANTS_MAX = 5000
NOTIFY_DAYS_AFTER_END = 30


def get_lottery(scope: Scope, account_id: str, campaign_id: str) -> dict:
    """The published lottery facts: commitment before the draw; winners, digest and seed after."""
    scope.check(account_id)
    return lottery_view(load(account_id, campaign_id)) or {"state": None}


def _eligible_entrants(campaign: rules.Campaign) -> list[str]:
    # who has won as often as the campaign allows is not in the draw
    db = store()
    people = db.lottery_entrants(campaign.account_id, campaign.campaign_id, wins_below=campaign.wins_total)
    if not campaign.has_eligibility_rules:
        return people
    return [o for o in people
            if rules.eligibility_refusal(campaign, contact_facts(campaign.account_id, o, bool(campaign.tags))) is None]


def _freeze_winners(record: CampaignRow, campaign: rules.Campaign, seed: str, now: float) -> CampaignRow:
    """Select the winners once and store them (state `drawing`); a re-run reuses the list a first run froze."""
    db = store()
    people = lottery.canonical(_eligible_entrants(campaign))
    winners = lottery.select_winners(seed, people, campaign.lottery_winners)
    result = {"participants_count": len(people), "participants_digest": lottery.participants_digest(people),
              "winners_requested": campaign.lottery_winners, "winners": winners, "drawn_at": int(now)}
    if len(people) <= PUBLISH_PARTICIPANTS_MAX:
        result["participants"] = people
    if db.set_lottery(record.account_id, record.campaign_id, "drawing", result, expect_state="pending"):
        return replace(record, lottery_state="drawing", lottery_result=result)
    return load(record.account_id, record.campaign_id)


def _award(campaign: rules.Campaign, winners: list[str], now: float) -> tuple[int, int]:
    """Record each winner's lottery draw (keyed by winner: idempotent), each win handed to journeys; (awarded,
    unfulfilled)."""
    from ..segments import hand_off

    db = store()
    prize = campaign.prize(campaign.lottery_prize_id)
    awarded = unfulfilled = 0
    for openid in winners:
        plan = DrawPlan(account_id=campaign.account_id, campaign_id=campaign.campaign_id, draw_id=lottery_id(openid),
                        openid=openid, source="lottery", now=now, prize=prize, counts_as_draw=False, notify=True,
                        wins_cap=campaign.wins_total)
        try:
            rec = db.commit_draw(plan)
        except DuplicateDraw as dup:
            rec = dup.record
        if rec.outcome == "win":
            awarded += 1
            hand_off.prize_awarded(campaign.account_id, campaign.campaign_id, {
                "draw_id": rec.draw_id, "openid": rec.openid, "at": rec.created_at, "prize_id": rec.prize_id})
        else:
            unfulfilled += 1
    return awarded, unfulfilled


def run_lottery(account_id: str, campaign_id: str, now: float | None = None) -> dict:
    """Draw the lottery of an ended campaign: freeze the winners, award each (idempotent), reveal the seed.

    Safe to re-run after a crash: the frozen winner list is reused and each award is keyed by winner.
    """
    db = store()
    now = _now(now)
    record = load(account_id, campaign_id)
    campaign = to_domain(record)
    if record.lottery_state == "drawn":
        return lottery_view(record)
    if record.lottery_state not in ("pending", "drawing") or not campaign.lottery_prize_id:
        raise Conflict("this campaign has no pending lottery")
    if now < campaign.ends_at:
        raise Conflict(f"the lottery is drawn after the campaign ends ({rules.iso(campaign.ends_at)})")
    seed = secrets.campaign_seed(account_id, campaign_id)
    if lottery.commitment(seed) != record.lottery_commitment:  # never draw with a seed nobody committed to
        raise ConfigError(f"campaign {campaign_id!r}: the stored lottery seed does not match its commitment")
    if record.lottery_state == "pending":
        record = _freeze_winners(record, campaign, seed, now)
    awarded, unfulfilled = _award(campaign, list(dict(record.lottery_result)["winners"]), now)
    result = {**dict(record.lottery_result), "seed": seed, "awarded": awarded, "unfulfilled": unfulfilled}
    db.set_lottery(account_id, campaign_id, "drawn", result)
    return lottery_view(replace(record, lottery_state="drawn", lottery_result=result))


# ---------------------------------------------------------------------------------------------- notifications


def _notify_text(campaign: rules.Campaign, rec) -> str:
    base = campaign.notify_text or "Congratulations! You won {prize} in {campaign}."
    text = base.replace("{prize}", rec.prize_name or "").replace("{campaign}", campaign.name)
    if rec.code:
        text += f" Code: {rec.code}"
    return text


def _send(gateway, campaign: rules.Campaign, rec) -> None:
    if campaign.notify_template_id:
        # the message id is stable per win (it was derived from the draws table key), so WeChat sends it once
        msg_id = hashlib.sha256(f"{campaign.account_id}#{campaign.campaign_id}|{rec.draw_id}".encode()).hexdigest()
        gateway.send_template(rec.openid, campaign.notify_template_id, {
            "prize": {"value": rec.prize_name or ""}, "campaign": {"value": campaign.name},
            "code": {"value": rec.code or ""}}, client_msg_id=msg_id[:32])
    else:
        gateway.post("message/custom/send", {"touser": rec.openid, "msgtype": "text",
                                             "text": {"content": _notify_text(campaign, rec)}})


def notify_winners(account_id: str, campaign_id: str, now: float | None = None, limit: int = 200) -> dict:
    """Tell pending winners (template message when configured, else a customer-service text)."""
    db = store()
    from ...gateway import gateway_for

    campaign = to_domain(load(account_id, campaign_id))
    pending = db.pending_notifications(account_id, campaign_id, limit)
    if not pending:
        return {"sent": 0, "failed": 0}
    gateway = gateway_for(accounts.get(account_id))
    sent = failed = 0
    for rec in pending:
        try:
            _send(gateway, campaign, rec)
            db.mark_notified(account_id, campaign_id, rec.draw_id, int(_now(now)))
            sent += 1
        except ScrmError as exc:
            attempts = int(rec.notify_attempts or 0) + 1
            db.mark_notify_failed(account_id, campaign_id, rec.draw_id, str(exc)[:300], attempts,
                                       give_up=attempts >= NOTIFY_MAX_ATTEMPTS)
            failed += 1
    return {"sent": sent, "failed": failed}


def _run_one(record: CampaignRow, now: float, summary: dict) -> None:
    try:  # a disabled account's lotteries wait (they are drawn once it is enabled again)
        accounts.get(record.account_id)
    except (AccountDisabled, UnknownAccount):
        summary["skipped_disabled"] += 1
        return
    if record.lottery_state in ("pending", "drawing") and record.ends_at <= now:
        run_lottery(record.account_id, record.campaign_id, now)
        summary["lotteries"] += 1
    if record.starts_at <= now <= record.ends_at + NOTIFY_DAYS_AFTER_END * 86400:
        result = notify_winners(record.account_id, record.campaign_id, now)
        summary["notified"] += result["sent"]
        summary["notify_failed"] += result["failed"]


def run_schedule(now: float | None = None) -> dict:
    """The campaign_draw schedule: draw due lotteries, then notify pending winners of recent campaigns.

    Campaigns are few (a handful per account), so this scans the campaigns table.
    """
    db = store()
    from ...observability import logger

    now = _now(now)
    summary = {"lotteries": 0, "notified": 0, "notify_failed": 0, "errors": 0, "skipped_disabled": 0}
    for record in db.all_campaigns():
        try:
            _run_one(record, now, summary)
        except Exception:
            summary["errors"] += 1
            logger().exception("campaign schedule failed", extra={"account_id": record.account_id,
                                                                   "campaign_id": record.campaign_id})
    return summary
