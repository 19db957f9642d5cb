"""Execution: one worker's pass over one plan, under the plan lease (send batches, poll, re-offer, finish)."""

from __future__ import annotations

import time
import uuid

from ... import bootstrap
from ...domain import reassignment as rules
from ...errors import NotFound
from .. import reassignment as package
from . import wecom
from .batches import send_batch
from .followup import poll_results, reoffer
from .notices import notify
from .run import Run

PLAN_LEASE_SECONDS = 900
MAX_ROUNDS_A_PASS = 12  # send -> poll -> re-offer rounds in one pass


def advance(account_id: str, plan_id: str, *, gw=None, budget_seconds: float | None = None,
            poll: bool = True) -> dict:
    """Do everything a plan needs now: send pending batches, poll results, re-offer, finish, notify.

    Safe to call any number of times from anywhere (queue worker, schedule, admin); returns
    {"state": ..., "more": bool, ...}. `more` means call again later (WeCom busy, out of time, waiting).
    """
    store = bootstrap.reassignment_store()
    plan = store.get_plan(account_id, plan_id)
    if plan is None:
        raise NotFound(f"plan {plan_id} not found")
    if plan["status"] != "running":
        return {"plan_id": plan_id, "status": plan["status"], "more": False}
    owner = uuid.uuid4().hex
    now = package._now()
    if not store.acquire_plan_lease(account_id, plan_id, owner, now, now + PLAN_LEASE_SECONDS):
        return {"plan_id": plan_id, "status": plan["status"], "more": True, "busy": True}
    deadline = time.monotonic() + budget_seconds if budget_seconds else None
    run = Run(plan, wecom.gateway(account_id, gw), owner, deadline)
    try:
        result = _advance(run, poll)
    except Exception:
        store.release_plan_lease(account_id, plan_id, owner)
        raise
    store.release_plan_lease(account_id, plan_id, owner)
    return result


def _send_pending(run: Run, items: dict) -> bool:
    """Send every batch not sent yet; True when the pass must stop and come back later (busy, out of time, a
    batch leased by another worker)."""
    retry = False
    for b in run.store.batches_of_plan(run.account_id, run.plan_id):
        if b["state"] == rules.B_SENT:
            continue
        if not run.time_left():
            return True
        outcome = send_batch(run, b, items)
        if outcome == "retry":
            return True
        retry = retry or outcome == "skipped"
    return retry


def _advance(run: Run, poll: bool) -> dict:
    retry = False
    # One read of the items per pass: under the plan lease nobody else moves them, except a
    # transfer_fail callback on a waiting item, which the next poll sees anyway.
    items = run.read_items()
    for _round in range(MAX_ROUNDS_A_PASS):
        retry = _send_pending(run, items)
        if retry:
            break
        if poll:
            poll_results(run, items)
        if not reoffer(run, items):
            break
    counts = rules.summarize(it["state"] for it in items.values())
    now = package._now()
    changes = {"counts": counts, "updated_at": int(now)}
    done = counts["open"] == 0 and not retry
    if done:
        changes.update(status="done", finished_at=int(now))
    run.store.update_plan(run.account_id, run.plan_id, changes)
    run.plan.update(changes)
    if done:
        notify(run, items)
    return {"plan_id": run.plan_id, "status": run.plan["status"], "more": not done, "counts": counts,
            "transfer_calls": run.stats["transfer_calls"], "result_calls": run.stats["result_calls"],
            "reconciled_batches": run.stats["reconciled_batches"]}
