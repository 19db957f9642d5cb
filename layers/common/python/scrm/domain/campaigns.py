"""Campaign rules (pure): configuration, eligibility, per-user limits, prize choice, share thresholds.

Nothing here touches AWS. The service layer reads a campaign, asks these functions what the rules say,
and the data layer makes the decision exact (conditional writes in one transaction).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone

from ..errors import ValidationError

MAX_PRIZES = 17
MAX_SHARDS = 64
MAX_THRESHOLDS = 10
PRIZE_KINDS = ("coupon", "physical", "points", "thanks")
STATUSES = ("draft", "active", "paused", "ended")
ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,47}$")
DEFAULT_TZ_MINUTES = 480  # China Standard Time: per-day limits roll over at local midnight

# Reasons a draw or entry is refused; the user-facing API returns them as error codes.
OUTSIDE_WINDOW = "outside_window"
NOT_ACTIVE = "campaign_not_active"
NOT_FOLLOWING = "not_following"
NOT_CUSTOMER = "not_customer"
WRONG_CHANNEL = "channel_or_tag_not_eligible"
DAILY_LIMIT = "daily_draw_limit"
TOTAL_LIMIT = "total_draw_limit"


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
    draws_per_day: int | None = None
    draws_total: int | None = None
    wins_total: int | None = None
    prizes: tuple[Prize, ...] = ()
    thresholds: tuple[Threshold, ...] = ()
    lottery_prize_id: str | None = None
    lottery_winners: int = 0
    notify_template_id: str | None = None
    notify_text: str | None = None
    extra: dict = field(default_factory=dict)

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
                            "channels": list(self.channels), "tags": list(self.tags)},
            "limits": {"draws_per_day": self.draws_per_day, "draws_total": self.draws_total,
                       "wins_total": self.wins_total},
            "prizes": [p.to_dict() for p in self.prizes],
            "share": {"thresholds": [t.to_dict() for t in self.thresholds]},
            "notify": {"template_id": self.notify_template_id, "text": self.notify_text},
        }
        if self.lottery_prize_id:
            out["lottery"] = {"prize_id": self.lottery_prize_id, "winners": self.lottery_winners}
        return out


def iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat().replace("+00:00", "Z")


def parse_time(value, name: str) -> int:
    if isinstance(value, bool):
        raise ValidationError(f"{name} must be an ISO-8601 time or epoch seconds", field=name)
    if isinstance(value, (int, float)):
        return int(value)
    if isinstance(value, str) and value:
        try:
            dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ValidationError(f"{name} is not an ISO-8601 time: {value!r}", field=name) from None
        if dt.tzinfo is None:
            raise ValidationError(f"{name} must carry a timezone (e.g. Z or +08:00)", field=name)
        return int(dt.timestamp())
    raise ValidationError(f"{name} is required (ISO-8601 time or epoch seconds)", field=name)


def _int(body: dict, key: str, name: str, minimum: int = 0, maximum: int | None = None,
         default: int | None = None) -> int | None:
    value = body.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"{name} must be an integer", field=name)
    if value < minimum or (maximum is not None and value > maximum):
        bound = f"between {minimum} and {maximum}" if maximum is not None else f">= {minimum}"
        raise ValidationError(f"{name} must be {bound}, got {value}", field=name)
    return value


def _str_list(value, name: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ValidationError(f"{name} must be a list of non-empty strings", field=name)
    return tuple(dict.fromkeys(value))


def _id(value, name: str) -> str:
    if not isinstance(value, str) or not ID.match(value):
        raise ValidationError(f"{name} must be 1-48 lowercase letters, digits, '-' or '_'", field=name)
    return value


def parse_prize(raw: dict, index: int, existing: Prize | None = None) -> Prize:
    where = f"prizes[{index}]"
    if not isinstance(raw, dict):
        raise ValidationError(f"{where} must be an object", field=where)
    prize_id = _id(raw.get("prize_id"), f"{where}.prize_id")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 100:
        raise ValidationError(f"{where}.name must be 1-100 characters", field=f"{where}.name")
    kind = raw.get("kind")
    if kind not in PRIZE_KINDS:
        raise ValidationError(f"{where}.kind must be one of {', '.join(PRIZE_KINDS)}", field=f"{where}.kind")
    weight, probability = raw.get("weight"), raw.get("probability")
    if (weight is None) == (probability is None):
        raise ValidationError(f"{where} needs exactly one of weight or probability", field=f"{where}.weight")
    for key, value in (("weight", weight), ("probability", probability)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0):
            raise ValidationError(f"{where}.{key} must be a number >= 0", field=f"{where}.{key}")
    if probability is not None and probability > 1:
        raise ValidationError(f"{where}.probability must be between 0 and 1", field=f"{where}.probability")
    if kind == "coupon":  # its stock is the number of codes uploaded to it; a given value is ignored
        stock = existing.stock if existing else 0
    elif kind == "thanks":
        stock = 0
    else:
        stock = _int(raw, "stock", f"{where}.stock", minimum=0, maximum=10_000_000, default=None)
        if stock is None:
            raise ValidationError(f"{where}.stock is required for a {kind} prize", field=f"{where}.stock")
    shards = _int(raw, "shards", f"{where}.shards", minimum=1, maximum=MAX_SHARDS,
                  default=existing.shards if existing else default_shards(stock))
    if existing and kind == "coupon" and shards < existing.shards:  # codes already sit in every shard
        raise ValidationError(f"{where}.shards can only grow for a coupon prize (now {existing.shards})",
                              field=f"{where}.shards")
    if existing and kind != "coupon" and shards != existing.shards:
        raise ValidationError(f"{where}.shards cannot change once stock is laid out", field=f"{where}.shards")
    points = _int(raw, "points", f"{where}.points", minimum=1, default=None) if kind == "points" else 0
    if kind == "points" and not points:
        raise ValidationError(f"{where}.points is required for a points prize", field=f"{where}.points")
    return Prize(prize_id=prize_id, name=name.strip(), kind=kind, weight=weight, probability=probability,
                 stock=stock, shards=1 if kind == "thanks" else shards, points=points or 0)


def parse_campaign(account_id: str, body: dict, *, campaign_id: str | None = None,
                   existing: Campaign | None = None) -> Campaign:
    """Validate an admin's campaign document; raise ValidationError naming the field."""
    if not isinstance(body, dict):
        raise ValidationError("body must be a JSON object")
    cid = campaign_id or body.get("campaign_id")
    cid = _id(cid, "campaign_id")
    name = body.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        raise ValidationError("name must be 1-200 characters", field="name")
    starts_at = parse_time(body.get("starts_at"), "starts_at")
    ends_at = parse_time(body.get("ends_at"), "ends_at")
    if ends_at <= starts_at:
        raise ValidationError("ends_at must be after starts_at", field="ends_at")
    status = body.get("status", existing.status if existing else "draft")
    if status not in STATUSES:
        raise ValidationError(f"status must be one of {', '.join(STATUSES)}", field="status")
    tz = _int(body, "tz_minutes", "tz_minutes", minimum=-720, maximum=840, default=DEFAULT_TZ_MINUTES)

    elig = body.get("eligibility") or {}
    if not isinstance(elig, dict):
        raise ValidationError("eligibility must be an object", field="eligibility")
    for key in ("must_follow", "must_be_customer"):
        if key in elig and not isinstance(elig[key], bool):
            raise ValidationError(f"eligibility.{key} must be true or false", field=f"eligibility.{key}")

    limits = body.get("limits") or {}
    if not isinstance(limits, dict):
        raise ValidationError("limits must be an object", field="limits")
    per_day = _int(limits, "draws_per_day", "limits.draws_per_day", minimum=1, maximum=1000)
    total = _int(limits, "draws_total", "limits.draws_total", minimum=1, maximum=100_000)
    wins = _int(limits, "wins_total", "limits.wins_total", minimum=0, maximum=100_000)

    raw_prizes = body.get("prizes") or []
    if not isinstance(raw_prizes, list):
        raise ValidationError("prizes must be a list", field="prizes")
    if len(raw_prizes) > MAX_PRIZES:
        raise ValidationError(f"a campaign has at most {MAX_PRIZES} prizes, got {len(raw_prizes)}", field="prizes")
    old = {p.prize_id: p for p in existing.prizes} if existing else {}
    prizes = tuple(parse_prize(p, i, old.get(p.get("prize_id")) if isinstance(p, dict) else None)
                   for i, p in enumerate(raw_prizes))
    ids = [p.prize_id for p in prizes]
    if len(set(ids)) != len(ids):
        raise ValidationError("prize_id values must be unique", field="prizes")
    for pid in old:
        if pid not in ids:
            raise ValidationError(f"prize {pid!r} cannot be removed once created; set its weight to 0",
                                  field="prizes")
    modes = {"probability" if p.probability is not None else "weight" for p in prizes}
    if len(modes) > 1:
        raise ValidationError("use either weight for every prize or probability for every prize", field="prizes")
    if modes == {"probability"} and sum(p.probability for p in prizes) > 1 + 1e-9:
        raise ValidationError("prize probabilities add up to more than 1", field="prizes")

    share = body.get("share") or {}
    raw_thresholds = share.get("thresholds") or [] if isinstance(share, dict) else None
    if not isinstance(raw_thresholds, list) or len(raw_thresholds) > MAX_THRESHOLDS:
        raise ValidationError(f"share.thresholds must be a list of at most {MAX_THRESHOLDS}",
                              field="share.thresholds")
    thresholds = []
    for i, t in enumerate(raw_thresholds):
        where = f"share.thresholds[{i}]"
        if not isinstance(t, dict):
            raise ValidationError(f"{where} must be an object", field=where)
        tid = _id(t.get("threshold_id", f"t{i + 1}"), f"{where}.threshold_id")
        views = _int(t, "views", f"{where}.views", minimum=0, maximum=100_000, default=0)
        shares = _int(t, "shares", f"{where}.shares", minimum=0, maximum=100_000, default=0)
        if not views and not shares:
            raise ValidationError(f"{where} needs views or shares > 0", field=where)
        reward = t.get("reward") or {}
        extra = _int(reward, "extra_draws", f"{where}.reward.extra_draws", minimum=0, maximum=100, default=0)
        prize_id = reward.get("prize_id")
        if bool(extra) == bool(prize_id):
            raise ValidationError(f"{where}.reward needs exactly one of extra_draws or prize_id",
                                  field=f"{where}.reward")
        if prize_id and prize_id not in ids:
            raise ValidationError(f"{where}.reward.prize_id names no prize of this campaign",
                                  field=f"{where}.reward.prize_id")
        thresholds.append(Threshold(tid, views, shares, extra, prize_id))
    if len({t.threshold_id for t in thresholds}) != len(thresholds):
        raise ValidationError("threshold_id values must be unique", field="share.thresholds")

    lottery = body.get("lottery") or {}
    if not isinstance(lottery, dict):
        raise ValidationError("lottery must be an object", field="lottery")
    lottery_prize = lottery.get("prize_id")
    winners = _int(lottery, "winners", "lottery.winners", minimum=0, maximum=100_000, default=0)
    if lottery_prize is not None:
        if lottery_prize not in ids:
            raise ValidationError("lottery.prize_id names no prize of this campaign", field="lottery.prize_id")
        prize = prizes[ids.index(lottery_prize)]
        if prize.is_thanks:
            raise ValidationError("lottery.prize_id cannot be a thanks-for-playing prize", field="lottery.prize_id")
        if not winners:
            raise ValidationError("lottery.winners must be >= 1", field="lottery.winners")
        if prize.kind != "coupon" and winners > prize.stock:
            raise ValidationError("lottery.winners exceeds the prize's stock", field="lottery.winners")

    notify = body.get("notify") or {}
    if not isinstance(notify, dict):
        raise ValidationError("notify must be an object", field="notify")
    return Campaign(
        account_id=account_id, campaign_id=cid, name=name.strip(), starts_at=starts_at, ends_at=ends_at,
        status=status, tz_minutes=tz,
        must_follow=elig.get("must_follow", True), must_be_customer=elig.get("must_be_customer", False),
        channels=_str_list(elig.get("channels"), "eligibility.channels"),
        tags=_str_list(elig.get("tags"), "eligibility.tags"),
        draws_per_day=per_day, draws_total=total, wins_total=wins, prizes=prizes, thresholds=tuple(thresholds),
        lottery_prize_id=lottery_prize, lottery_winners=winners if lottery_prize else 0,
        notify_template_id=notify.get("template_id") or None, notify_text=notify.get("text") or None,
    )


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
