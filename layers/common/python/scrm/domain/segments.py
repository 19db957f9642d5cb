"""Segments: rules over the unified contact's facts, RFM scores, and the index a rule is evaluated through. Pure.

A contact's **facts** (one record per person of a contact book, scrm.services.segments.facts keeps it) are what a
rule can test: tags, channels, first touch, the last message / menu click / draw / redemption / any interaction,
counts (messages, menu_clicks, draws, wins, redemptions, push_deliveries) and the interactions per China day of
the last `DAYS_KEPT` days (the frequency window). A fact is changed by one event at a time through
`apply_event`; the event's marker makes it exactly once (the store refuses a marker seen before).

**RFM** (`rfm_scores`): recency = days since the last interaction, frequency = interactions in the account's
window, value = Σ weight × count (wins, redemptions, draws); each scored 1..5 by the account's bands
(`RfmBands`: four ascending thresholds; `DEFAULT_BANDS`). The default **VIP** segment is R ≥ 4, F ≥ 4, M ≥ 4.

**The index** (`index_entries`): per profile, a few entries a rule can be answered from without reading every
contact: set terms `tag:<id>`, `ch:<channel_id>`, `all`; ordered terms (`first`, `last`: epoch seconds; `draws`,
`wins`, `redemptions`, `messages`, `menu_clicks`, `push_deliveries`: counts, only when > 0: sparse). `plan(rule)`
picks, for a rule, the index ranges whose union holds every match (`Plan.ranges`), preferring the most selective
kind (value and counts, then tags and channels, then first touch, then recency); a rule with nothing indexable
falls back to `all` (`Plan.scan`: it reads every contact, said so in the answer). Candidates are then tested
against the whole rule (`matches`), so the index only has to be a superset.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from .instants import CHINA

DAY = 86400
DAYS_KEPT = 370  # interactions per day kept for the frequency window (a window is at most 365 days)
COUNTS = ("messages", "menu_clicks", "draws", "wins", "redemptions", "push_deliveries")
LASTS = ("last_message", "last_menu_click", "last_draw", "last_redemption", "last_interaction")
DATES = ("first_touch", *LASTS)
RFM_FIELDS = ("rfm.r", "rfm.f", "rfm.m")
SET_FIELDS = ("tag", "channel")
FIELDS = (*SET_FIELDS, *DATES, *COUNTS, *RFM_FIELDS)
VALUE_SOURCES = ("wins", "redemptions", "draws")

# event kinds a fact changes on (scrm.services.segments.facts maps callbacks and draws to these)
FOLLOW, UNFOLLOW, MESSAGE, MENU_CLICK, DRAW, WIN, REDEMPTION, PUSH_DELIVERY, OA_TAGS = (
    "follow", "unfollow", "message", "menu_click", "draw", "win", "redemption", "push_delivery", "oa_tags")
PRIZE_AWARDED = "prize_awarded"  # a win without a draw (a lottery award, a share reward): counts the win alone
INTERACTIONS = {MESSAGE: "last_message", MENU_CLICK: "last_menu_click", DRAW: "last_draw", WIN: "last_draw",
                REDEMPTION: "last_redemption"}
COUNTED = {MESSAGE: "messages", MENU_CLICK: "menu_clicks", DRAW: "draws", REDEMPTION: "redemptions",
           PUSH_DELIVERY: "push_deliveries", PRIZE_AWARDED: "wins"}

VIP_ID = "vip"
VIP_RULE = {"all": [{"field": "rfm.r", "op": "gte", "value": 4}, {"field": "rfm.f", "op": "gte", "value": 4},
                    {"field": "rfm.m", "op": "gte", "value": 4}]}
MAX_INDEXED_TAGS = 40  # per person: keeps a fact write within one transaction (<= 100 items)


# ---------------------------------------------------------------- RFM


@dataclass(frozen=True)
class RfmBands:
    """Four ascending thresholds per score. recency_days: days since the last interaction at most 1st → 5, at
    most 2nd → 4, ... beyond the 4th → 1; frequency and value: at least 1st → 2, ... at least 4th → 5, else 1."""

    recency_days: tuple[int, ...] = (7, 30, 90, 180)
    frequency: tuple[int, ...] = (2, 5, 10, 20)
    value: tuple[int, ...] = (1, 3, 6, 12)
    window_days: int = 90
    weights: tuple[tuple[str, int], ...] = (("wins", 1), ("redemptions", 3), ("draws", 0))

    @classmethod
    def of(cls, d: dict | None) -> RfmBands:
        if not d:
            return cls()
        return cls(recency_days=tuple(d["recency_days"]), frequency=tuple(d["frequency"]), value=tuple(d["value"]),
                   window_days=int(d["window_days"]), weights=tuple(sorted((d.get("weights") or {}).items())))

    def to_dict(self) -> dict:
        return {"recency_days": list(self.recency_days), "frequency": list(self.frequency),
                "value": list(self.value), "window_days": self.window_days, "weights": dict(self.weights)}


DEFAULT_BANDS = RfmBands()


def _score_up(n: int, thresholds: Iterable[int]) -> int:
    return 1 + sum(1 for t in thresholds if n >= t)


def recency_score(last: int | None, now: float, bands: RfmBands) -> int:
    if last is None:
        return 1
    days = max(0, int((now - last) // DAY))
    return 5 - sum(1 for t in bands.recency_days if days > t)


def frequency_of(facts: dict, now: float, bands: RfmBands) -> int:
    first_day = day_key(now - (bands.window_days - 1) * DAY)
    return sum(n for d, n in (facts.get("days") or {}).items() if d >= first_day)


def value_of(facts: dict, bands: RfmBands) -> int:
    counts = facts.get("counts") or {}
    return sum(w * int(counts.get(k, 0)) for k, w in bands.weights)


def rfm_scores(facts: dict, now: float, bands: RfmBands) -> dict:
    return {"r": recency_score(facts.get("last_interaction"), now, bands),
            "f": _score_up(frequency_of(facts, now, bands), bands.frequency),
            "m": _score_up(value_of(facts, bands), bands.value)}


# ---------------------------------------------------------------- facts


def day_key(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, CHINA).strftime("%Y%m%d")


def china_day_start(day: str) -> int:
    """Epoch seconds of a China date's midnight (YYYY-MM-DD)."""
    return int(datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=CHINA).timestamp())


def empty_facts(key: str) -> dict:
    return {"key": key, "identities": [], "gone": [], "tags": [], "channels": [], "counts": {}, "days": {}}


def _later(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else max(a, b)


def _earlier(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else min(a, b)


def _add_unique(items: list, new: Iterable) -> list:
    out = list(items)
    out.extend(x for x in new if x and x not in out)
    return out


def apply_event(facts: dict, event: dict) -> dict:
    """The facts after one event {kind, t (epoch s), identity, channel?, tags?}. Pure; the caller makes it happen
    once per event (the marker). Events may arrive in any order: dates take the earliest / latest seen."""
    out = {**facts, "counts": dict(facts.get("counts") or {}), "days": dict(facts.get("days") or {})}
    kind, t = event["kind"], int(event["t"])
    if event.get("identity"):
        out["identities"] = _add_unique(out.get("identities") or [], [event["identity"]])
    if event.get("channel"):
        out["channels"] = _add_unique(out.get("channels") or [], [event["channel"]])
    if kind == OA_TAGS or event.get("tags"):
        given = [str(x) for x in event["tags"]]
        out["tags"] = oa_tags_seen(out, given, t) if kind == OA_TAGS else _add_unique(out.get("tags") or [], given)
        out["tags_at"] = _later(out.get("tags_at"), t)
    if kind in (FOLLOW,) or event.get("channel"):
        out["first_touch"] = _earlier(out.get("first_touch"), t)
    # a sync's answer may arrive after a later unfollow: only events of the person's own doing say they are back
    gone = [i for i in out.get("gone") or [] if i != event.get("identity") or kind == OA_TAGS]
    if kind == UNFOLLOW and event.get("identity"):  # unfollowed / no longer a customer: a push leaves it out
        gone.append(event["identity"])
    out["gone"] = gone
    if kind in COUNTED:
        out["counts"][COUNTED[kind]] = int(out["counts"].get(COUNTED[kind], 0)) + 1
    if kind == WIN:  # a win is a draw that won: both counted
        out["counts"]["draws"] = int(out["counts"].get("draws", 0)) + 1
        out["counts"]["wins"] = int(out["counts"].get("wins", 0)) + 1
    if kind in INTERACTIONS:
        last = INTERACTIONS[kind]
        out[last] = _later(out.get(last), t)
        out["last_interaction"] = _later(out.get("last_interaction"), t)
        out["first_touch"] = _earlier(out.get("first_touch"), t)
        d = day_key(t)
        out["days"][d] = int(out["days"].get(d, 0)) + 1
    keep_from = day_key(max(int(out.get("last_interaction") or t), t) - DAYS_KEPT * DAY)
    out["days"] = {d: n for d, n in out["days"].items() if d >= keep_from}
    return out


def is_oa_tag(tag: str) -> bool:
    """An Official Account's tag id is a number (tags/get); WeCom's customer tag ids are strings ("et…")."""
    return tag.isdigit()


def oa_tags_seen(facts: dict, tags: list[str], t: int) -> list[str]:
    """The person's tags once WeChat said which OA tags they have at `t` (a follower sync's user/info): the OA
    tags are replaced when nothing added tags after `t`; otherwise (a channel's tags given since) only added, so
    an older answer never takes off a newer tag. WeCom tags are kept either way."""
    current = facts.get("tags") or []
    if int(facts.get("tags_at") or 0) > t:
        return _add_unique(current, tags)
    return _add_unique([x for x in current if not is_oa_tag(x)], tags)


def merge_facts(into: dict, other: dict) -> dict:
    """One person's facts from two records (the unionid became known: the openid's record folds into it)."""
    out = {**into, "counts": dict(into.get("counts") or {}), "days": dict(into.get("days") or {})}
    for k in ("identities", "tags", "channels"):
        out[k] = _add_unique(into.get(k) or [], other.get(k) or [])
    for k, n in (other.get("counts") or {}).items():
        out["counts"][k] = int(out["counts"].get(k, 0)) + int(n)
    for d, n in (other.get("days") or {}).items():
        out["days"][d] = int(out["days"].get(d, 0)) + int(n)
    out["first_touch"] = _earlier(into.get("first_touch"), other.get("first_touch"))
    out["tags_at"] = _later(into.get("tags_at"), other.get("tags_at"))
    for k in LASTS:
        out[k] = _later(into.get(k), other.get(k))
    out["gone"] = _add_unique(into.get("gone") or [], other.get("gone") or [])
    return out


# ---------------------------------------------------------------- the index


@dataclass(frozen=True, order=True)
class Entry:
    term: str
    n: int  # the ordered value (0 for a set term)


def index_entries(facts: dict) -> set[Entry]:
    """What the index holds for one person (see the module)."""
    out = {Entry("all", 0)}
    out.update(Entry(f"tag:{t}", 0) for t in (facts.get("tags") or [])[:MAX_INDEXED_TAGS])
    out.update(Entry(f"ch:{c}", 0) for c in (facts.get("channels") or [])[:MAX_INDEXED_TAGS])
    if facts.get("first_touch") is not None:
        out.add(Entry("first", int(facts["first_touch"])))
    if facts.get("last_interaction") is not None:
        out.add(Entry("last", int(facts["last_interaction"])))
    for k, n in (facts.get("counts") or {}).items():
        if int(n) > 0:
            out.add(Entry(k, int(n)))
    return out


@dataclass(frozen=True)
class Range:
    """Index entries of `term` with low <= n <= high."""

    term: str
    low: int = 0
    high: int = 10 ** 12


@dataclass
class Plan:
    ranges: list[Range] = field(default_factory=list)
    scan: bool = False

    def describe(self) -> dict:
        return {"index": "all (no condition an index can answer: every contact is read)" if self.scan
                else [r.term for r in self.ranges], "scan": self.scan}


ANY_TIME = 10 ** 12


def _date_bounds(cond: dict, now: float) -> tuple[int, int] | None:
    """(low, high) epoch seconds a date condition holds within, None when it can hold for a missing date."""
    op, v = cond["op"], cond["value"]
    if op == "within_days":
        return int(now - int(v) * DAY), ANY_TIME
    if op == "after":
        return china_day_start(v) + DAY, ANY_TIME
    if op == "on_or_after":
        return china_day_start(v), ANY_TIME
    if op == "before":
        return 0, china_day_start(v) - 1
    return None  # not_within_days: also true of whoever never did it


def _cond_ranges(cond: dict, now: float, bands: RfmBands) -> tuple[int, list[Range]] | None:
    """(selectivity rank, ranges) of one condition, None when no index answers it (lower rank: more selective)."""
    f, op, v = cond["field"], cond["op"], cond.get("value")
    if f in SET_FIELDS:
        return (1, [Range(("tag:" if f == "tag" else "ch:") + str(v))]) if op == "has" else None
    if f in COUNTS:
        low = {"gte": int(v), "eq": int(v), "gt": int(v) + 1}.get(op)
        return (0, [Range(f, low, int(v) if op == "eq" else ANY_TIME)]) if low and low > 0 else None
    if f in DATES:
        bounds = _date_bounds(cond, now)
        if bounds is None:
            return None
        low, high = bounds
        if f == "first_touch":
            return 2, [Range("first", low, high)]
        # a last message (menu click, ...) is at most the last interaction: "since" holds there too, "before" not
        return (3, [Range("last", low, ANY_TIME)]) if high == ANY_TIME else None
    return _rfm_ranges(f, op, int(v), now, bands)


def _rfm_ranges(f: str, op: str, v: int, now: float, bands: RfmBands) -> tuple[int, list[Range]] | None:
    least = {"gte": v, "eq": v, "gt": v + 1}.get(op)
    if least is None or least <= 1:
        return None  # score 1 is also whoever never did anything: not in a sparse index
    if f == "rfm.r":  # score >= s: the last interaction at most recency_days[5 - s] days ago
        days = bands.recency_days[5 - least] if least <= 5 else 0
        return 3, [Range("last", int(now - (days + 1) * DAY) + 1, ANY_TIME)]
    if f == "rfm.f":  # some interaction in the window
        return 3, [Range("last", int(now - bands.window_days * DAY), ANY_TIME)]
    threshold = bands.value[least - 2] if least <= 5 else math.inf
    weighted = [(k, w) for k, w in bands.weights if w > 0]
    if not weighted or threshold == math.inf:
        return None
    # Σ w·c >= T means some term has w·c >= T / k (k weighted terms): the union of those ranges holds every match
    return 0, [Range(k, max(1, math.ceil(threshold / (len(weighted) * w)))) for k, w in weighted]


def plan(rule: dict, now: float, bands: RfmBands) -> Plan:
    found = _plan(rule, now, bands)
    return Plan(ranges=found[1]) if found else Plan(ranges=[Range("all")], scan=True)


def _plan(rule: dict, now: float, bands: RfmBands) -> tuple[int, list[Range]] | None:
    if "all" in rule:
        options = [p for p in (_plan(r, now, bands) for r in rule["all"]) if p is not None]
        return min(options, key=lambda p: (p[0], len(p[1]))) if options else None
    if "any" in rule:
        parts = [_plan(r, now, bands) for r in rule["any"]]
        if not parts or any(p is None for p in parts):
            return None
        return max(p[0] for p in parts), [r for p in parts for r in p[1]]
    return _cond_ranges(rule, now, bands)


# ---------------------------------------------------------------- testing a person


def _test_date(value: int | None, cond: dict, now: float) -> bool:
    op, v = cond["op"], cond["value"]
    if op == "not_within_days":
        return value is None or value < now - int(v) * DAY
    if value is None:
        return False
    low, high = _date_bounds(cond, now)
    return low <= value <= high


def _compare(n: int, op: str, v: int) -> bool:
    return {"gte": n >= v, "gt": n > v, "lte": n <= v, "lt": n < v, "eq": n == v}[op]


def test_condition(facts: dict, cond: dict, now: float, bands: RfmBands) -> bool:
    f, op, v = cond["field"], cond["op"], cond.get("value")
    if f in SET_FIELDS:
        held = str(v) in [str(x) for x in facts.get("tags" if f == "tag" else "channels") or []]
        return held if op == "has" else not held
    if f in COUNTS:
        return _compare(int((facts.get("counts") or {}).get(f, 0)), op, int(v))
    if f in DATES:
        return _test_date(facts.get(f), cond, now)
    return _compare(rfm_scores(facts, now, bands)[f[-1]], op, int(v))


def matches(facts: dict, rule: dict, now: float, bands: RfmBands) -> bool:
    if "all" in rule:
        return all(matches(facts, r, now, bands) for r in rule["all"])
    if "any" in rule:
        return any(matches(facts, r, now, bands) for r in rule["any"])
    return test_condition(facts, rule, now, bands)


def conditions(rule: dict, path: str = "rule") -> Iterable[tuple[str, dict]]:
    """Every condition of a rule with its field path (`rule.all[1].any[0]`)."""
    for group in ("all", "any"):
        if group in rule:
            for i, r in enumerate(rule[group]):
                yield from conditions(r, f"{path}.{group}[{i}]")
            return
    yield path, rule


def identities_on(facts: dict, account_id: str, *, reachable: bool = False) -> list[str]:
    """The person's identities on one account ("oa:<account>:<openid>" → the openid); `reachable`: without those
    that unfollowed or are no longer a customer."""
    gone = set(facts.get("gone") or []) if reachable else set()
    out = []
    for i in facts.get("identities") or []:
        _platform, _, rest = i.partition(":")
        acct, _, ident = rest.partition(":")
        if acct == account_id and ident and i not in gone:
            out.append(ident)
    return out


def iso_day(epoch: int | None) -> str | None:
    return None if epoch is None else (datetime.fromtimestamp(epoch, CHINA)).strftime("%Y-%m-%d")

