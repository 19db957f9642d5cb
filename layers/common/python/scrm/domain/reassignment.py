"""Staff-departure reassignment rules (离职继承 / 在职继承), pure: no AWS, no HTTP.

Words: the *handover* is the staff member whose customers and group chats move; a *takeover* receives
them. A plan holds one *item* per customer or group chat; items are sent in *batches* of at most 100
targets, all for one takeover. Every item ends in exactly one final state.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

MAX_BATCH = 100  # WeCom: at most 100 customers / 100 chats per transfer call
ONJOB_WINDOW_SECONDS = 90 * 86400
ONJOB_MAX_IN_WINDOW = 2  # 在职继承: each customer at most twice in 90 natural days

MODES = ("resigned", "onjob")
STRATEGIES = ("round_robin", "least_loaded", "same_department", "tag")

# item states
PLANNED = "planned"  # persisted, not sent yet (also: re-offered to a new takeover)
SENDING = "sending"  # in a batch whose call may or may not have reached WeCom
WAITING = "waiting"  # WeCom accepted; the takeover happens after 24 h unless refused
DONE = "done"
REFUSED = "refused"
LIMIT_EXCEEDED = "limit_exceeded"
FAILED = "failed"
FINAL = frozenset({DONE, REFUSED, LIMIT_EXCEEDED, FAILED})
OPEN = frozenset({PLANNED, SENDING, WAITING})

# batch states
B_PENDING = "pending"
B_SENDING = "sending"
B_SENT = "sent"

# Per-customer errcodes of transfer_customer and what they mean for the item.
IN_PROGRESS_CODES = frozenset({40100, 40129})  # already in a transfer: ours, sent before a crash
REOFFER_CODES = {40099: LIMIT_EXCEEDED}  # the takeover's customer limit: offer to the next one
CUSTOMER_ERRORS = {
    40096: "invalid external userid",
    40097: "handover has not resigned",
    40098: "takeover has not verified their real name",
    40128: "customer transferred too often (WeCom's 2-per-90-days rule)",
    40130: "handover and takeover are the same member",
    40131: "customer is not a customer of the handover",
}
# transfer_result statuses
RESULT_STATES = {1: DONE, 2: WAITING, 3: REFUSED, 4: LIMIT_EXCEEDED}
NO_RECORD = 5
# group chat errcodes that mean "already where it should be"
CHAT_ALREADY_MOVED = frozenset({90504, 90508})
CHAT_IN_PROGRESS = frozenset({90507})
FAIL_REASONS = {"customer_refused": REFUSED, "customer_limit_exceed": LIMIT_EXCEEDED}


class PlanError(ValueError):
    """A rule of reassignment was broken by the input (no takeovers, bad strategy...)."""


@dataclass(frozen=True)
class Policy:
    """Per-account choice of takeovers. `pool` empty = every active staff member with customer contact."""

    strategy: str = "round_robin"
    pool: tuple[str, ...] = ()
    departments: dict | None = None  # userid -> [department ids] (for staff the API no longer shows)
    staff_tags: dict | None = None  # userid -> [tag names]
    tag: str | None = None
    max_offers: int = 3  # how many takeovers a customer is offered before it stays refused/limited
    transfer_success_msg: str | None = None
    notify_agentid: int | None = None
    auto_on_departure: bool = True
    auto_sweep: bool = True

    def __post_init__(self):
        if self.strategy not in STRATEGIES:
            raise PlanError(f"strategy must be one of {', '.join(STRATEGIES)}, got {self.strategy!r}")
        if self.strategy == "tag" and not self.tag:
            raise PlanError("strategy 'tag' needs a tag")
        if not 1 <= int(self.max_offers) <= 10:
            raise PlanError("max_offers must be 1..10")
        if self.transfer_success_msg and len(self.transfer_success_msg) > 200:
            raise PlanError("transfer_success_msg must be at most 200 characters")


def candidates(policy: Policy, staff: Sequence[str], handover: str, *, departments: dict | None = None,
               handover_departments: Iterable | None = None) -> list[str]:
    """The takeovers a strategy may choose from, in a stable order, never the handover."""
    pool = [s for s in (policy.pool or staff) if s != handover]
    if policy.pool:
        active = set(staff)
        pool = [s for s in pool if s in active] if staff else pool
    pool = list(dict.fromkeys(pool))
    if policy.strategy == "same_department":
        depts = {**(policy.departments or {}), **(departments or {})}
        mine = set(handover_departments or depts.get(handover) or [])
        if not mine:
            raise PlanError(f"the department of {handover} is unknown: set it in the policy's departments")
        pool = [s for s in pool if mine & set(depts.get(s) or [])]
    elif policy.strategy == "tag":
        tags = policy.staff_tags or {}
        pool = [s for s in pool if policy.tag in (tags.get(s) or [])]
    if not pool:
        raise PlanError(f"no takeover staff available for strategy {policy.strategy}")
    return pool


def assign_round_robin(targets: Sequence[str], takeovers: Sequence[str], start: int = 0) -> dict[str, str]:
    if not takeovers:
        raise PlanError("no takeover staff")
    n = len(takeovers)
    return {t: takeovers[(start + i) % n] for i, t in enumerate(targets)}


def assign_least_loaded(targets: Sequence[str], loads: dict[str, int]) -> dict[str, str]:
    """Each target goes to the takeover with the fewest customers now (ties: pool order)."""
    if not loads:
        raise PlanError("no takeover staff")
    heap = [(int(load), i, s) for i, (s, load) in enumerate(loads.items())]
    heapq.heapify(heap)
    out = {}
    for t in targets:
        load, i, s = heapq.heappop(heap)
        out[t] = s
        heapq.heappush(heap, (load + 1, i, s))
    return out


def assign(policy: Policy, targets: Sequence[str], takeovers: Sequence[str],
           loads: dict[str, int] | None = None) -> dict[str, str]:
    if policy.strategy == "least_loaded":
        return assign_least_loaded(targets, {s: (loads or {}).get(s, 0) for s in takeovers})
    return assign_round_robin(targets, takeovers)


def next_takeover(takeovers: Sequence[str], tried: Iterable[str], received: dict[str, int]) -> str | None:
    """Re-offer: the untried takeover that received least so far (pool order breaks ties)."""
    tried = set(tried)
    left = [s for s in takeovers if s not in tried]
    if not left:
        return None
    return min(left, key=lambda s: (received.get(s, 0), takeovers.index(s)))


def batches(assignment: dict[str, str], size: int = MAX_BATCH) -> list[tuple[str, list[str]]]:
    """Group targets by takeover, then cut into batches of at most `size` (order kept)."""
    if not 1 <= size <= MAX_BATCH:
        raise PlanError(f"batch size must be 1..{MAX_BATCH}")
    by_takeover: dict[str, list[str]] = {}
    for target, takeover in assignment.items():
        by_takeover.setdefault(takeover, []).append(target)
    out = []
    for takeover, targets in by_takeover.items():
        for i in range(0, len(targets), size):
            out.append((takeover, targets[i:i + size]))
    return out


def onjob_allowed(previous_transfer_times: Iterable[float], now: float) -> bool:
    """在职继承 rule, on our own ledger: fewer than 2 transfers of this customer in the last 90 days."""
    recent = [t for t in previous_transfer_times if t > now - ONJOB_WINDOW_SECONDS]
    return len(recent) < ONJOB_MAX_IN_WINDOW


@dataclass(frozen=True)
class Outcome:
    state: str
    errcode: int = 0
    reason: str = ""


def submit_outcome(errcode: int) -> Outcome:
    """What one customer's errcode in a transfer_customer answer means."""
    if errcode == 0:
        return Outcome(WAITING)
    if errcode in IN_PROGRESS_CODES:
        return Outcome(WAITING, errcode, "already in transfer (sent before an interruption)")
    if errcode in REOFFER_CODES:
        return Outcome(REOFFER_CODES[errcode], errcode, "takeover reached the customer limit")
    return Outcome(FAILED, errcode, CUSTOMER_ERRORS.get(errcode, f"WeCom errcode {errcode}"))


def result_outcome(status: int) -> Outcome | None:
    """What a transfer_result status means; None = no record for this customer."""
    state = RESULT_STATES.get(int(status))
    if state is None:
        return None
    reason = {REFUSED: "customer refused", LIMIT_EXCEEDED: "takeover reached the customer limit"}.get(state, "")
    return Outcome(state, 0, reason)


def chat_outcome(errcode: int, errmsg: str = "") -> Outcome:
    """Group chats move at once: absent from failed_chat_list = done."""
    if errcode == 0 or errcode in CHAT_ALREADY_MOVED:
        return Outcome(DONE, errcode)
    if errcode in CHAT_IN_PROGRESS:
        return Outcome(WAITING, errcode, "chat transfer in progress")
    return Outcome(FAILED, errcode, errmsg or f"WeCom errcode {errcode}")


def needs_reoffer(state: str) -> bool:
    return state in (REFUSED, LIMIT_EXCEEDED)


def summarize(states: Iterable[str]) -> dict[str, int]:
    counts = {s: 0 for s in (PLANNED, SENDING, WAITING, DONE, REFUSED, LIMIT_EXCEEDED, FAILED)}
    for s in states:
        counts[s] = counts.get(s, 0) + 1
    counts["total"] = sum(v for k, v in counts.items())
    counts["open"] = sum(counts[s] for s in OPEN)
    return counts
