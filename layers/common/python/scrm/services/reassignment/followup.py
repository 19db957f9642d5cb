"""Following a plan up: transfer_result polling to final states, and re-offers of refused customers."""

from __future__ import annotations

from collections import defaultdict

from ...domain import reassignment as rules
from .. import reassignment as package
from . import ledger
from .planning import batch_id, new_batch
from .policy import plan_policy
from .run import Run, record

MISSES_BEFORE_FAILED = 3  # polls in which transfer_result does not know a waiting customer


def _wants_another_takeover(it: dict, max_offers: int) -> bool:
    gone = it["state"] == rules.FAILED and (it.get("reason") or "").startswith("takeover unav")
    return it.get("batch_id") is not None and (rules.needs_reoffer(it["state"]) or gone) and \
        len(it.get("tried") or []) < max_offers


def _next_takeovers(run: Run, items: dict) -> dict[str, str]:
    """item_key -> the next takeover by the plan's strategy, for every item that wants one and may have one."""
    plan = run.plan
    max_offers = int(plan_policy(plan).get("max_offers", 3))
    received = defaultdict(int)
    for it in items.values():
        if it.get("takeover_userid") and it["state"] in (rules.PLANNED, rules.WAITING, rules.DONE):
            received[it["takeover_userid"]] += 1
    assignment = {}
    for it in items.values():
        if not _wants_another_takeover(it, max_offers):
            continue
        nxt = rules.next_takeover(plan["takeovers"], it.get("tried") or [], received)
        if nxt is None:
            continue
        if plan["mode"] == "onjob" and it["kind"] == "customer" and \
                ledger.blocked(run.account_id, [it["target_id"]], package._now()):
            continue
        received[nxt] += 1
        assignment[it["item_key"]] = nxt
    return assignment


def reoffer(run: Run, items: dict) -> int:
    """Refused / over-limit / takeover-gone items get the next takeover by the plan's strategy."""
    assignment = _next_takeovers(run, items)
    if not assignment:
        return 0
    groups = rules.batches(assignment)
    plan = run.store.add_round(run.account_id, run.plan_id, len(groups))
    run.plan.update(next_batch=plan["next_batch"], rounds=plan["rounds"])
    first = int(plan["next_batch"]) - len(groups) + 1
    now = package._now()
    for n, (takeover, keys) in enumerate(groups, start=first):
        bid = batch_id(n)
        for key in keys:
            it = items[key]
            it.update(tried=list(it.get("tried") or []) + [takeover], takeover_userid=takeover, batch_id=bid)
            record(it, rules.Outcome(rules.PLANNED, 0, "offered to the next takeover"), takeover, now, "reoffer")
        run.store.save_items(run.account_id, [items[k] for k in keys])
        run.store.add_batches(run.account_id, [new_batch(run.account_id, run.plan_id, bid, items[keys[0]]["kind"],
                                                         takeover, [items[k]["target_id"] for k in keys],
                                                         int(plan["rounds"]), now)])
    return len(assignment)


def _misses(it: dict) -> int:
    return sum(1 for h in it.get("history") or [] if h.get("source") == "poll-miss")


def _poll_one(it: dict, row: dict | None, takeover: str, now: float) -> bool:
    """Apply transfer_result's row for one waiting customer; True if the item changed."""
    outcome = rules.result_outcome(row["status"]) if row else None
    if outcome is None:
        if _misses(it) + 1 < MISSES_BEFORE_FAILED:
            it["history"] = list(it.get("history") or []) + [
                {"at": int(now), "takeover": takeover, "source": "poll-miss", "state": it["state"]}]
            return True
        outcome = rules.Outcome(rules.FAILED, rules.NO_RECORD, "WeCom has no transfer record")
    if outcome.state == rules.WAITING:
        return False
    record(it, outcome, takeover, now, "poll", takeover_time=int((row or {}).get("takeover_time") or 0))
    return True


def poll_results(run: Run, items: dict) -> int:
    """transfer_result for every takeover with waiting customers; apply final states.

    Runs under the plan lease. WeCom's answer is the truth, so results are written in batches (a
    transfer_fail callback racing with this can only have written the same final state).
    """
    waiting = defaultdict(list)
    for it in items.values():
        if it["state"] == rules.WAITING and it["kind"] == "customer":
            waiting[it["takeover_userid"]].append(it)
    changed = []
    now = package._now()
    for takeover, its in waiting.items():
        rows = run.results_for(takeover, refresh=True)
        changed += [it for it in its if _poll_one(it, rows.get(it["target_id"]), takeover, now)]
    run.store.save_items(run.account_id, changed)
    for it in changed:
        if rules.needs_reoffer(it["state"]):
            ledger.void(run.plan, it)
    return len(changed)
