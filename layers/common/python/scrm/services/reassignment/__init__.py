"""Staff-departure reassignment use cases (离职继承 / 在职继承): plan, preview, execute, follow up, sweep, status.

Resumability (the order of writes is the design):
1. A plan's items (one per customer / group chat, with takeover and batch id) and its batch records
   are stored before any WeCom call.
2. A batch is claimed with a conditional write (pending -> sending, with a lease) BEFORE the call.
3. The call is made; the per-target results are stored; the batch is marked sent AFTER that.
4. A batch found `sending` with an expired lease (the function died, timed out, or WeCom answered
   -1/45009) is reconciled first: transfer_result (customers) or groupchat/get (chats) tells which
   targets WeCom already has; only the others are sent again, and 40100/40129 ("already in
   transfer") count as in progress, never as failures.
Only one worker works on a plan at a time (a plan lease); the transfer_fail callback changes only
items that are `waiting`, with conditional writes.

Modules, one concern each: `policy` (the account's policy), `wecom` (the WeCom reads a plan needs), `planning`
(preview, create_plan), `execution` (advance: one pass under the plan lease), `batches` (one transfer call:
claim, reconcile, call, store), `followup` (transfer_result polling, re-offers), `ledger` (the on-job 2-per-90-days
ledger), `notices`, `triggers` (callbacks, sweep, queue), `views` (status and listings). Every read and write goes
through the reassignment store (`scrm.bootstrap.reassignment_store()`).

`_now` and `crash_hook` are looked up here, on the package, at every call: tests replace them on the package
(`monkeypatch.setattr(reassignment, "crash_hook", ...)`) and every module sees the replacement.
"""

from __future__ import annotations

from ... import bootstrap
from .batches import LEASE_SECONDS
from .execution import PLAN_LEASE_SECONDS, advance
from .followup import MISSES_BEFORE_FAILED
from .planning import create_plan, preview
from .policy import POLICY_FIELDS, get_policy, set_policy
from .triggers import QUEUE, active_plans, enqueue, on_departure, on_transfer_fail, sweep, wecom_accounts
from .views import (
    STATUS_STATES,
    account_plans,
    customer_item_view,
    customer_items,
    customer_status,
    get_plan,
    item_view,
    list_items,
    plan_items,
    plan_view,
    staff_history,
    staff_plans,
)

__all__ = [
    "LEASE_SECONDS", "MISSES_BEFORE_FAILED", "PLAN_LEASE_SECONDS", "POLICY_FIELDS", "QUEUE", "STATUS_STATES",
    "SimulatedCrash", "account_plans", "active_plans", "advance", "create_plan", "crash_hook", "customer_item_view",
    "customer_items", "customer_status", "enqueue", "get_plan", "get_policy", "item_view", "list_items",
    "on_departure", "on_transfer_fail", "plan_items", "plan_view", "preview", "set_policy", "staff_history",
    "staff_plans", "sweep", "wecom_accounts",
]


class SimulatedCrash(BaseException):
    """Raised by tests through `crash_hook` to play the function dying (nothing is cleaned up)."""


def crash_hook(point: str, **info) -> None:  # replaced in tests
    return None


def _now() -> float:
    """Business "now": the container's clock (tests fix it with bootstrap.reset(clock=...) or replace _now)."""
    return bootstrap.container().now()
