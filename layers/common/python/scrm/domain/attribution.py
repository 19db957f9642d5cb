"""Attribution: one contact per person, the touches that brought them, and what each touch is worth
to per-channel statistics. Pure rules.

A contact keeps its touches (every subscribe, SCAN, unsubscribe, WeCom add and delete), each with the
event time, channel and dedupe key. Statistics are a function of that *set* of touches, not of the
order events arrived in: `contribution(touches)` says what one contact adds to every
(account, channel, day, metric) counter. Applying an event means adding the touch and writing the
difference `contribution(after) - contribution(before)` to the counters, in the same transaction as
the contact. So a duplicate changes nothing (its dedupe key is already among the touches), and events
arriving out of order (SCAN before subscribe, unfollow before follow) still give exact numbers: a
late-arriving earlier follow turns the previously "new" follow into a "re-follow", and so on.
"""

from __future__ import annotations

from collections import Counter

from .channels import DIRECT, UNKNOWN, day_of

# Touch kinds
FOLLOW = "follow"  # OA subscribe (with or without a scene)
SCAN = "scan"  # OA SCAN by someone already following
UNFOLLOW = "unfollow"  # OA unsubscribe
ADD = "add"  # WeCom add_external_contact (customer added a staff member)
DELETE = "del"  # WeCom del_follow_user (customer deleted the staff) / del_external_contact (staff deleted them)

JOINS = (FOLLOW, ADD)
LEAVES = (UNFOLLOW, DELETE)

METRICS = ("scans", "new_follows", "refollows", "unfollows", "customers_added", "customers_lost",
           "lost_d1", "lost_d7", "lost_d30", "group_joins", "group_quits")
RETENTION_DAYS = (1, 7, 30)
MAX_TOUCHES = 1000  # per contact; beyond this the oldest scans are dropped first (see `trim`)

Key = tuple[str, str, str, str]  # (account_id, channel_id, day, metric)


def make_touch(*, kind: str, t: int, account_id: str, identity: str, channel: str, dedupe_key: str,
               scan: bool = False, staff: str | None = None, scene: str | None = None) -> dict:
    touch = {"k": kind, "t": int(t), "a": account_id, "i": identity, "c": channel, "d": dedupe_key}
    if scan:
        touch["s"] = 1
    if staff:
        touch["u"] = staff
    if scene is not None and channel in (UNKNOWN,):
        touch["sc"] = scene[:64]  # keep what we could not resolve, for later analysis
    return touch


def _order(touch: dict):
    # Event time first; within one second a join sorts before a leave (subscribe and unsubscribe in
    # the same second are most likely in that order), then the dedupe key for a total order.
    rank = {FOLLOW: 0, ADD: 0, SCAN: 1, UNFOLLOW: 2, DELETE: 2}.get(touch["k"], 3)
    return touch["t"], rank, touch["d"]


def contribution(touches: list[dict]) -> Counter:
    """What one contact's touches add to the (account, channel, day, metric) counters."""
    out: Counter = Counter()
    stints: dict[tuple, dict | None] = {}
    joined: set[tuple] = set()
    for touch in sorted(touches, key=_order):
        a, ch, day, kind = touch["a"], touch["c"], day_of(touch["t"]), touch["k"]
        if touch.get("s"):
            out[(a, ch, day, "scans")] += 1
        relation = (a, touch["i"], touch.get("u"))  # a follow, or one customer-staff relationship
        if kind in JOINS:
            if kind == FOLLOW:
                out[(a, ch, day, "refollows" if relation in joined else "new_follows")] += 1
            else:
                out[(a, ch, day, "customers_added")] += 1
            joined.add(relation)
            stints[relation] = touch
        elif kind in LEAVES:
            start = stints.get(relation)
            metric = "unfollows" if kind == UNFOLLOW else "customers_lost"
            if start is None:  # they joined before we were watching (or that event is still on its way)
                out[(a, UNKNOWN, day, metric)] += 1
                continue
            out[(a, start["c"], day, metric)] += 1
            lasted = touch["t"] - start["t"]
            for n in RETENTION_DAYS:
                if lasted < n * 86400:
                    out[(a, start["c"], day_of(start["t"]), f"lost_d{n}")] += 1
            stints[relation] = None
    return out


def delta(before: list[dict], after: list[dict]) -> dict[Key, int]:
    """Counter changes that turn the contribution of `before` into that of `after` (zeros left out)."""
    b, a = contribution(before), contribution(after)
    out = {}
    for key in set(a) | set(b):
        d = a.get(key, 0) - b.get(key, 0)
        if d:
            out[key] = d
    return out


def is_duplicate(touches: list[dict], account_id: str, dedupe_key: str) -> bool:
    """Dedupe keys are unique within an account only: a shared contact book holds several accounts' touches."""
    return any(t["d"] == dedupe_key and t["a"] == account_id for t in touches)


def trim(touches: list[dict]) -> list[dict]:
    """Keep a contact's history bounded: drop the oldest pure scans first (they only feed the scans
    metric of days long past), then the oldest touches. Callers must compute the delta on the
    untrimmed list and store the trimmed one."""
    if len(touches) <= MAX_TOUCHES:
        return touches
    ordered = sorted(touches, key=_order)
    excess = len(ordered) - MAX_TOUCHES
    keep = []
    for t in ordered:
        if excess and t["k"] == SCAN:
            excess -= 1
            continue
        keep.append(t)
    return keep[excess:]


def summary(touches: list[dict]) -> dict:
    """First-touch and last-touch channel, and whether each relationship is current (by event time)."""
    ordered = sorted(touches, key=_order)
    channel_touches = [t for t in ordered if t["k"] in (FOLLOW, SCAN, ADD)]
    first = channel_touches[0] if channel_touches else None
    last = channel_touches[-1] if channel_touches else None
    state: dict[str, dict] = {}
    for t in ordered:
        if t["k"] in JOINS + LEAVES:
            rel = f"{t['a']}|{t['i']}" + (f"|{t['u']}" if t.get("u") else "")
            state[rel] = {"active": t["k"] in JOINS, "since": t["t"], "channel": t["c"]}
    def view(t):
        return None if t is None else {"channel": t["c"], "at": t["t"], "account_id": t["a"], "kind": t["k"]}
    return {"first_touch": view(first), "last_touch": view(last), "relations": state}


def channel_for_scene(scene: str | None, lookup) -> str:
    """DIRECT for no scene; the channel that owns the scene; UNKNOWN if nobody does. Never drops."""
    if scene is None or scene == "":
        return DIRECT
    return lookup(scene) or UNKNOWN
