"""Campaign rules (pure): configuration, eligibility, per-user limits, prize choice, share thresholds.

Nothing here touches AWS. The service layer reads a campaign, asks these functions what the rules say,
and the data layer makes the decision exact (conditional writes in one transaction).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from pydantic_core import PydanticCustomError

from ..contracts import campaigns as contract
from ..contracts import parse
from ..contracts.campaigns import (  # noqa: F401 (the campaign rules' names, re-exported)
    DEFAULT_TZ_MINUTES,
    MAX_PRIZES,
    MAX_SHARDS,
    MAX_THRESHOLDS,
    PRIZE_KINDS,
    STATUSES,
)
from ..contracts.fields import epoch_seconds
from ..errors import ValidationError
from .instants import answer_time

# Reasons a draw or entry is refused; the user-facing API returns them as error codes.
OUTSIDE_WINDOW = "outside_window"
NOT_ACTIVE = "campaign_not_active"
NOT_FOLLOWING = "not_following"
NOT_CUSTOMER = "not_customer"
WRONG_CHANNEL = "channel_or_tag_not_eligible"
DAILY_LIMIT = "daily_draw_limit"
TOTAL_LIMIT = "total_draw_limit"
# Reasons a vote is refused (the same window and eligibility reasons as draws come first)
DAILY_VOTE_LIMIT = "daily_vote_limit"
OPTION_VOTE_LIMIT = "option_vote_limit"  # one vote per option per day, and this one has it
UNKNOWN_OPTION = "unknown_option"
NOT_A_VOTE = "not_a_vote_campaign"
NOT_A_WHEEL = "not_a_wheel_campaign"


@dataclass(frozen=True)
class Prize:
    prize_id: str
    name: str
    kind: str
    weight: float | None = None
    probability: float | None = None
    stock: int = 0  # coupon: number of uploaded codes (kept by the upload, not by the config)
    shards: int = 1
    points: int = 0

    @property
    def is_thanks(self) -> bool:
        return self.kind == "thanks"

    def to_dict(self) -> dict:
        out = {"prize_id": self.prize_id, "name": self.name, "kind": self.kind, "stock": self.stock,
               "shards": self.shards}
        if self.weight is not None:
            out["weight"] = self.weight
        if self.probability is not None:
            out["probability"] = self.probability
        if self.kind == "points":
            out["points"] = self.points
        return out


@dataclass(frozen=True)
class VoteOption:
    option_id: str
    title: str
    description: str | None = None
    image: str | None = None

    def to_dict(self) -> dict:
        return {"option_id": self.option_id, "title": self.title, "description": self.description,
                "image": self.image}


@dataclass(frozen=True)
class Threshold:
    threshold_id: str
    views: int = 0
    shares: int = 0
    extra_draws: int = 0
    prize_id: str | None = None

    def reached(self, views: int, shares: int) -> bool:
        return views >= self.views and shares >= self.shares

    def to_dict(self) -> dict:
        reward = {"extra_draws": self.extra_draws} if self.extra_draws else {"prize_id": self.prize_id}
        return {"threshold_id": self.threshold_id, "views": self.views, "shares": self.shares, "reward": reward}


@dataclass(frozen=True)
class Campaign:
    account_id: str
    campaign_id: str
    name: str
    starts_at: int
    ends_at: int
    status: str = "draft"
    tz_minutes: int = DEFAULT_TZ_MINUTES
    must_follow: bool = True
    must_be_customer: bool = False
    channels: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    follow_channel: str | None = None  # the oa_qr channel whose code the page shows a user who does not follow
    draws_per_day: int | None = None
    draws_total: int | None = None
    wins_total: int | None = None
    prizes: tuple[Prize, ...] = ()
    thresholds: tuple[Threshold, ...] = ()
    lottery_prize_id: str | None = None
    lottery_winners: int = 0
    notify_template_id: str | None = None
    notify_text: str | None = None
    kind: str = "wheel"
    options: tuple[VoteOption, ...] = ()
    votes_per_day: int = 1
    one_vote_per_option: bool = False
    tally_shards: int = contract.DEFAULT_TALLY_SHARDS
    extra: dict = field(default_factory=dict)

    @property
    def is_vote(self) -> bool:
        return self.kind == "vote"

    def option(self, option_id: str) -> VoteOption | None:
        return next((o for o in self.options if o.option_id == option_id), None)

    def prize(self, prize_id: str) -> Prize:
        for p in self.prizes:
            if p.prize_id == prize_id:
                return p
        raise KeyError(prize_id)

    @property
    def has_eligibility_rules(self) -> bool:
        return self.must_follow or self.must_be_customer or bool(self.channels or self.tags)

    def to_dict(self) -> dict:
        out = {
            "campaign_id": self.campaign_id, "name": self.name, "status": self.status,
            "starts_at": iso(self.starts_at), "ends_at": iso(self.ends_at), "tz_minutes": self.tz_minutes,
            "eligibility": {"must_follow": self.must_follow, "must_be_customer": self.must_be_customer,
                            "channels": list(self.channels), "tags": list(self.tags),
                            "follow_channel": self.follow_channel},
            "limits": {"draws_per_day": self.draws_per_day, "draws_total": self.draws_total,
                       "wins_total": self.wins_total},
            "prizes": [p.to_dict() for p in self.prizes],
            "share": {"thresholds": [t.to_dict() for t in self.thresholds]},
            "notify": {"template_id": self.notify_template_id, "text": self.notify_text},
        }
        if self.lottery_prize_id:
            out["lottery"] = {"prize_id": self.lottery_prize_id, "winners": self.lottery_winners}
        if self.is_vote:  # a wheel's document stays as it was
            out.update(kind="vote", options=[o.to_dict() for o in self.options],
                       voting={"votes_per_day": self.votes_per_day, "one_per_option": self.one_vote_per_option,
                               "shards": self.tally_shards})
        return out


def iso(epoch: int) -> str:
    return answer_time(epoch)


def parse_time(value, name: str) -> int:
    """ISO-8601 with an offset, or epoch seconds, as epoch seconds; ValidationError naming `name`."""
    try:
        return epoch_seconds(value)
    except PydanticCustomError as why:
        raise ValidationError(f"{name} {why.message()}", field=name) from None


def parse_prize(raw: dict, index: int, existing: Prize | None = None) -> Prize:
    """One prize of a campaign document (at `prizes[index]`), checked against the prize stored before."""
    return _prize(parse(contract.PrizeInput, raw, at=f"prizes[{index}]"), index, existing)


def _prize(p: contract.PrizeInput, index: int, existing: Prize | None) -> Prize:
    where = f"prizes[{index}]"
    if p.kind == "coupon":  # its stock is the number of codes uploaded to it; a given value is ignored
        stock = existing.stock if existing else 0
    else:
        stock = 0 if p.kind == "thanks" else p.stock
    shards = p.shards if p.shards is not None else (existing.shards if existing else default_shards(stock))
    if existing and p.kind == "coupon" and shards < existing.shards:  # codes already sit in every shard
        raise ValidationError(f"{where}.shards can only grow for a coupon prize (now {existing.shards})",
                              field=f"{where}.shards")
    if existing and p.kind != "coupon" and shards != existing.shards:
        raise ValidationError(f"{where}.shards cannot change once stock is laid out", field=f"{where}.shards")
    return Prize(prize_id=p.prize_id, name=p.name.strip(), kind=p.kind, weight=p.weight,
                 probability=p.probability, stock=stock, shards=1 if p.kind == "thanks" else shards,
                 points=(p.points or 0) if p.kind == "points" else 0)


def parse_campaign(account_id: str, body: dict, *, campaign_id: str | None = None,
                   existing: Campaign | None = None) -> Campaign:
    """Validate an admin's campaign document (contracts.campaigns.CampaignBody) against the campaign stored
    before it, if any; ValidationError names every field that is wrong (the first in `.field`)."""
    if isinstance(body, dict) and campaign_id:
        body = {**body, "campaign_id": campaign_id}
    doc = parse(contract.CampaignBody, body)
    if doc.campaign_id is None:
        raise ValidationError("campaign_id must be 1-48 lowercase letters, digits, '-' or '_'", field="campaign_id")
    vote = _vote_rules(doc, existing)  # first: a kind that changes is the one thing wrong
    old = {p.prize_id: p for p in existing.prizes} if existing else {}
    prizes = tuple(_prize(p, i, old.get(p.prize_id)) for i, p in enumerate(doc.prizes or []))
    for pid in old:
        if pid not in {p.prize_id for p in prizes}:
            raise ValidationError(f"prize {pid!r} cannot be removed once created; set its weight to 0",
                                  field="prizes")
    elig, limits = doc.eligibility or contract.Eligibility(), doc.limits or contract.Limits()
    lottery, notify = doc.lottery or contract.Lottery(), doc.notify or contract.Notify()
    return Campaign(
        account_id=account_id, campaign_id=doc.campaign_id, name=doc.name.strip(), starts_at=doc.starts_at,
        ends_at=doc.ends_at, status=doc.status or (existing.status if existing else "draft"),
        tz_minutes=DEFAULT_TZ_MINUTES if doc.tz_minutes is None else doc.tz_minutes,
        must_follow=elig.must_follow, must_be_customer=elig.must_be_customer,
        channels=tuple(dict.fromkeys(elig.channels or ())), tags=tuple(dict.fromkeys(elig.tags or ())),
        follow_channel=elig.follow_channel.strip() if elig.follow_channel else None,
        draws_per_day=limits.draws_per_day, draws_total=limits.draws_total, wins_total=limits.wins_total,
        prizes=prizes, thresholds=_thresholds(doc.share), lottery_prize_id=lottery.prize_id,
        lottery_winners=lottery.winners if lottery.prize_id else 0,
        notify_template_id=notify.template_id or None, notify_text=notify.text or None, **vote,
    )


def _vote_rules(doc: contract.CampaignBody, existing: Campaign | None) -> dict:
    """A vote campaign's options and rules, checked against the campaign stored before (counts name options)."""
    kind = doc.kind or (existing.kind if existing else "wheel")
    if existing and kind != existing.kind:
        raise ValidationError(f"kind cannot change (this campaign is a {existing.kind} campaign)", field="kind")
    if kind != "vote":
        return {}
    options = tuple(VoteOption(o.option_id, o.title.strip(), (o.description or "").strip() or None, o.image)
                    for o in doc.options or ())
    kept = {o.option_id for o in options}
    for old in existing.options if existing else ():
        if old.option_id not in kept:
            raise ValidationError(f"option {old.option_id!r} cannot be removed once created (its votes are "
                                  "counted)", field="options")
    voting = doc.voting or contract.Voting()
    shards = voting.shards or (existing.tally_shards if existing else contract.DEFAULT_TALLY_SHARDS)
    if existing and shards < existing.tally_shards:
        raise ValidationError(f"voting.shards can only grow (now {existing.tally_shards})", field="voting.shards")
    return {"kind": "vote", "options": options, "votes_per_day": voting.votes_per_day,
            "one_vote_per_option": voting.one_per_option, "tally_shards": shards}


def vote_refusal(campaign: Campaign, option_id: str, votes_today: int, options_today) -> str | None:
    """Why this user may not cast this vote today (None: they may); the store makes the decision exact."""
    if not campaign.is_vote:
        return NOT_A_VOTE
    if campaign.option(option_id) is None:
        return UNKNOWN_OPTION
    if votes_today >= campaign.votes_per_day:
        return DAILY_VOTE_LIMIT
    if campaign.one_vote_per_option and option_id in set(options_today):
        return OPTION_VOTE_LIMIT
    return None


def votes_left(campaign: Campaign, votes_today: int) -> int:
    return max(0, campaign.votes_per_day - votes_today)


def _thresholds(share: contract.Share | None) -> tuple[Threshold, ...]:
    out = []
    for i, t in enumerate((share and share.thresholds) or []):
        reward = t.reward or contract.Reward()
        out.append(Threshold(t.threshold_id or f"t{i + 1}", t.views, t.shares, reward.extra_draws,
                             reward.prize_id or None))
    return tuple(out)


# --- rules applied at draw time


@dataclass(frozen=True)
class ContactFacts:
    """What the contact directory knows about one OA user (see scrm.services.campaigns.contact_facts)."""

    known: bool = False
    follows: bool = False
    is_customer: bool = False
    channels: frozenset[str] = frozenset()  # every channel that brought this person (any touch)
    tags: frozenset[str] = frozenset()


def window_refusal(campaign: Campaign, now: float) -> str | None:
    if campaign.status != "active":
        return NOT_ACTIVE
    if not (campaign.starts_at <= now < campaign.ends_at):
        return OUTSIDE_WINDOW
    return None


def eligibility_refusal(campaign: Campaign, facts: ContactFacts) -> str | None:
    if campaign.must_follow and not facts.follows:
        return NOT_FOLLOWING
    if campaign.must_be_customer and not facts.is_customer:
        return NOT_CUSTOMER
    if campaign.channels or campaign.tags:
        by_channel = bool(set(campaign.channels) & set(facts.channels))
        by_tag = bool(set(campaign.tags) & set(facts.tags))
        if not (by_channel or by_tag):
            return WRONG_CHANNEL
    return None


def local_day(campaign: Campaign, now: float) -> str:
    """The campaign-local calendar day (per-day limits roll over at local midnight)."""
    tz = timezone(timedelta(minutes=campaign.tz_minutes))
    return datetime.fromtimestamp(now, tz).strftime("%Y-%m-%d")


def draw_cap(campaign: Campaign, bonus_draws: int) -> int | None:
    """Total draws a user may make: the campaign limit plus draws earned by sharing (None: unlimited)."""
    if campaign.draws_total is None:
        return None
    return campaign.draws_total + max(0, bonus_draws)


def wheel_prizes(campaign: Campaign) -> list[Prize]:
    return [p for p in campaign.prizes if (p.weight or p.probability)]


def pick_prize(campaign: Campaign, rng) -> Prize | None:
    """Choose what the wheel lands on. None means "thanks for playing" (no prize item at all).

    Weights: each prize's chance is weight / sum(weights). Probabilities: each prize's chance is its
    probability, and the remainder (1 - sum) lands on nothing. `rng.random()` must be in [0, 1).
    """
    prizes = wheel_prizes(campaign)
    if not prizes:
        return None
    r = rng.random()
    if prizes[0].probability is not None:
        edge = 0.0
        for p in prizes:
            edge += p.probability
            if r < edge:
                return p
        return None
    total = sum(p.weight for p in prizes)
    edge = 0.0
    for p in prizes:
        edge += p.weight / total
        if r < edge:
            return p
    return prizes[-1]


def shard_order(shards: int, rng) -> list[int]:
    """Start at a random shard so concurrent draws spread over the stock items, then try the rest."""
    start = int(rng.random() * shards) % shards
    return [(start + i) % shards for i in range(shards)]


def default_shards(stock: int) -> int:
    """Shard items for a prize of this stock: one item takes ~500 winning draws/s (see scrm.data.draw_ledger), so
    small prizes keep one and larger ones spread. Coupon prizes grow to this as their uploaded codes grow."""
    return 1 if stock < 200 else min(8, MAX_SHARDS)


def split_stock(stock: int, shards: int) -> list[int]:
    """Stock laid out over shard items: sizes differ by at most one and add up to the stock."""
    base, rest = divmod(stock, shards)
    return [base + (1 if i < rest else 0) for i in range(shards)]


def newly_reached(thresholds, views: int, shares: int, granted) -> list[Threshold]:
    return [t for t in thresholds if t.threshold_id not in set(granted or ()) and t.reached(views, shares)]


def share_progress(thresholds, views: int, shares: int, granted) -> dict:
    """How far a share link is ("已邀请 3/5 位好友"): its counts, and the first threshold not granted yet (None once
    every threshold is), with its reward."""
    pending = [t for t in thresholds if t.threshold_id not in set(granted or ())]
    nxt = min(pending, key=lambda t: (t.views, t.shares)) if pending else None
    return {"views": views, "shares": shares, "thresholds": len(thresholds),
            "granted": len(thresholds) - len(pending), "next": nxt.to_dict() if nxt else None}
