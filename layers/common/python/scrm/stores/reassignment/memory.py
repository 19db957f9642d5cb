"""The in-memory twin of the reassignment store: the same conditions as DynamoDB (one lock, copies out).

Backs the unit tests of the reassignment use cases (tests/unit/test_reassignment_service.py); the shared contract
test (tests/contract/test_reassignment_store.py) holds it to the DynamoDB store's behaviour.
"""

from __future__ import annotations

import copy
import threading

from ...tenancy import Scope
from .base import LeaseLost, Page, check_plans_start, may_see
from .memory_privacy import MemoryReassignmentPrivacy

LEDGER_KEEP_SECONDS = 100 * 86400


def _s(value) -> dict:
    return {"S": str(value)}


def _n(value) -> dict:
    return {"N": str(value)}


def _page(rows: list[dict], order, key_of, limit: int | None, after) -> Page:
    """One page of `rows` (already in listing order) after the position `after` (an order value), if given."""
    if after is not None:
        rows = [r for r in rows if after(order(r))]
    if limit is None or len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, key_of(rows[-1])


class MemoryReassignmentStore(MemoryReassignmentPrivacy):
    """Plans, items, batches, ledger and notices in dicts, behind one lock."""

    def __init__(self, scope: Scope | None = None):
        self.scope = scope or Scope.system()
        self.lock = threading.RLock()
        self.policies: dict[str, dict] = {}
        self.plans: dict[tuple[str, str], dict] = {}
        self.item_rows: dict[tuple[str, str], dict[str, dict]] = {}
        self.batch_rows: dict[tuple[str, str], dict[str, dict]] = {}
        self.ledger: dict[tuple[str, str], dict[str, dict]] = {}
        self.notice_rows: dict[tuple[str, str], dict[str, dict]] = {}

    def _c(self, account_id: str) -> str:
        return self.scope.check(account_id)

    # ---- policy
    def get_policy(self, account_id: str) -> dict | None:
        self._c(account_id)
        with self.lock:
            return copy.deepcopy(self.policies.get(account_id, {}).get("policy"))

    def put_policy(self, account_id: str, policy: dict, *, updated_at: int, updated_by: str | None) -> None:
        self._c(account_id)
        with self.lock:
            self.policies[account_id] = {"policy": copy.deepcopy(policy), "updated_at": updated_at,
                                         "updated_by": updated_by}

    # ---- plans
    def create_plan(self, plan: dict, items: list[dict], batches: list[dict]) -> None:
        account_id = self._c(plan["account_id"])
        self.save_items(account_id, items)
        self.add_batches(account_id, batches)
        with self.lock:
            self.plans[(account_id, plan["plan_id"])] = copy.deepcopy(plan)

    def get_plan(self, account_id: str, plan_id: str) -> dict | None:
        self._c(account_id)
        with self.lock:
            return copy.deepcopy(self.plans.get((account_id, plan_id)))

    def _handover_plans(self, account_id: str, handover: str) -> list[dict]:
        with self.lock:
            rows = [copy.deepcopy(p) for (a, _), p in self.plans.items()
                    if a == account_id and p["handover_userid"] == handover]
        return sorted(rows, key=lambda p: (p["created_at"], p["plan_id"]))

    def plans_of_handover(self, account_id: str, handover: str) -> list[dict]:
        self._c(account_id)
        return self._handover_plans(account_id, handover)

    def page_plans_of_handover(self, account_id: str, handover: str, *, limit: int | None,
                               start: dict | None = None) -> Page:
        self._c(account_id)
        rows = list(reversed(self._handover_plans(account_id, handover)))
        after = None
        if start is not None:
            mark = (int(start["created_at"]["N"]), start["plan_id"]["S"])
            after = lambda o: o < mark  # noqa: E731 - newest first
        return _page(rows, lambda p: (p["created_at"], p["plan_id"]), lambda p: {
            "account_id": _s(account_id), "plan_id": _s(p["plan_id"]), "handover_key": _s(f"{account_id}#{handover}"),
            "created_at": _n(p["created_at"])}, limit, after)

    def page_plans(self, account_id: str, *, handover: str | None = None, limit: int | None,
                   start: dict | None = None) -> Page:
        self._c(account_id)
        check_plans_start(account_id, handover, start)
        if handover is not None:
            return self.page_plans_of_handover(account_id, handover, limit=limit, start=start)
        with self.lock:
            rows = sorted((copy.deepcopy(p) for (a, _), p in self.plans.items() if a == account_id),
                          key=lambda p: p["plan_id"], reverse=True)
        after = None
        if start is not None:
            mark = start["plan_id"]["S"]
            after = lambda plan_id: plan_id < mark  # noqa: E731 - newest first
        return _page(rows, lambda p: p["plan_id"], lambda p: {"account_id": _s(account_id),
                                                              "plan_id": _s(p["plan_id"])}, limit, after)

    def active_plans(self) -> list[tuple[str, str]]:
        with self.lock:
            return sorted(k for k, p in self.plans.items()
                          if p.get("status") == "running" and may_see(self.scope, k[0]))

    def _plan(self, account_id: str, plan_id: str) -> dict:
        plan = self.plans.get((account_id, plan_id))
        if plan is None:
            raise KeyError(f"plan {account_id}/{plan_id} does not exist")
        return plan

    def update_plan(self, account_id: str, plan_id: str, changes: dict) -> None:
        self._c(account_id)
        with self.lock:
            plan = self._plan(account_id, plan_id)
            plan.update(copy.deepcopy(changes))  # None clears a field (DynamoDB removes the attribute)

    def add_round(self, account_id: str, plan_id: str, batches: int) -> dict:
        self._c(account_id)
        with self.lock:
            plan = self._plan(account_id, plan_id)
            plan["next_batch"] = int(plan.get("next_batch") or 0) + batches
            plan["rounds"] = int(plan.get("rounds") or 0) + 1
            return copy.deepcopy(plan)

    def acquire_plan_lease(self, account_id: str, plan_id: str, owner: str, now: float, until: float) -> bool:
        self._c(account_id)
        with self.lock:
            plan = self.plans.get((account_id, plan_id))
            if plan is None:
                return False
            if plan.get("lease_until") is not None and not plan["lease_until"] < now:
                return False
            plan["lease_owner"], plan["lease_until"] = owner, until
            return True

    def release_plan_lease(self, account_id: str, plan_id: str, owner: str) -> None:
        self._c(account_id)
        with self.lock:
            plan = self.plans.get((account_id, plan_id))
            if plan is not None and plan.get("lease_owner") == owner:
                plan.update(lease_owner=None, lease_until=None)

    # ---- items
    def items_of_plan(self, account_id: str, plan_id: str) -> list[dict]:
        self._c(account_id)
        with self.lock:
            rows = self.item_rows.get((account_id, plan_id), {})
            return [copy.deepcopy(rows[k]) for k in sorted(rows)]

    def save_items(self, account_id: str, items: list[dict]) -> None:
        self._c(account_id)
        with self.lock:
            for it in items:
                self._c(it["account_id"])
                self.item_rows.setdefault((account_id, it["plan_id"]), {})[it["item_key"]] = copy.deepcopy(it)

    def save_item_if(self, account_id: str, item: dict, expect: dict) -> bool:
        self._c(account_id)
        with self.lock:
            stored = self.item_rows.get((account_id, item["plan_id"]), {}).get(item["item_key"])
            if stored is None or any(stored.get(k) != v for k, v in expect.items()):
                return False
            self.item_rows[(account_id, item["plan_id"])][item["item_key"]] = copy.deepcopy(item)
            return True

    def _target_rows(self, account_id: str, target_id: str) -> list[dict]:
        with self.lock:
            rows = [copy.deepcopy(it) for (a, _), its in self.item_rows.items() if a == account_id
                    for it in its.values() if it["target_id"] == target_id]
        return sorted(rows, key=lambda it: (it["updated_at"], it["plan_id"], it["item_key"]))

    def items_of_target(self, account_id: str, target_id: str) -> list[dict]:
        self._c(account_id)
        return self._target_rows(account_id, target_id)

    def page_plan_items(self, account_id: str, plan_id: str, *, states: tuple[str, ...] | None = None,
                        limit: int | None, start: dict | None = None) -> Page:
        rows = [it for it in self.items_of_plan(account_id, plan_id) if not states or it["state"] in states]
        after = None
        if start is not None:
            mark = start["item_key"]["S"]
            after = lambda o: o > mark  # noqa: E731
        return _page(rows, lambda it: it["item_key"], lambda it: {
            "plan_key": _s(f"{account_id}#{plan_id}"), "item_key": _s(it["item_key"])}, limit, after)

    def page_target_items(self, account_id: str, target_id: str, *, limit: int | None,
                          start: dict | None = None) -> Page:
        self._c(account_id)
        after = None
        if start is not None:
            mark = (int(start["updated_at"]["N"]), start["plan_key"]["S"].partition("#")[2], start["item_key"]["S"])
            after = lambda o: o > mark  # noqa: E731
        return _page(self._target_rows(account_id, target_id),
                     lambda it: (it["updated_at"], it["plan_id"], it["item_key"]), lambda it: {
                         "plan_key": _s(f"{account_id}#{it['plan_id']}"), "item_key": _s(it["item_key"]),
                         "target_key": _s(f"{account_id}#{target_id}"), "updated_at": _n(it["updated_at"])},
                     limit, after)

    # ---- batches
    def batches_of_plan(self, account_id: str, plan_id: str) -> list[dict]:
        self._c(account_id)
        with self.lock:
            rows = self.batch_rows.get((account_id, plan_id), {})
            return [copy.deepcopy(rows[k]) for k in sorted(rows)]

    def add_batches(self, account_id: str, batches: list[dict]) -> None:
        self._c(account_id)
        with self.lock:
            for b in batches:
                self._c(b["account_id"])
                row = {"attempts": 0, "lease_owner": None, "lease_until": None, "sent_at": None, "last_error": None,
                       "summary": {}, **copy.deepcopy(b)}
                self.batch_rows.setdefault((account_id, b["plan_id"]), {})[b["batch_id"]] = row

    def _batch(self, account_id: str, plan_id: str, batch_id: str) -> dict:
        batch = self.batch_rows.get((account_id, plan_id), {}).get(batch_id)
        if batch is None:
            raise KeyError(f"batch {account_id}/{plan_id}/{batch_id} does not exist")
        return batch

    def claim_batch(self, account_id: str, plan_id: str, batch_id: str, owner: str, now: float,
                    until: float) -> bool:
        self._c(account_id)
        with self.lock:
            b = self.batch_rows.get((account_id, plan_id), {}).get(batch_id)
            if b is None:
                return False
            lapsed = b["state"] == "sending" and b.get("lease_until") is not None and b["lease_until"] < now
            if not (b["state"] == "pending" or lapsed):
                return False
            b.update(state="sending", lease_owner=owner, lease_until=until, attempts=int(b.get("attempts") or 0) + 1)
            return True

    def release_batch(self, account_id: str, plan_id: str, batch_id: str, error: str) -> None:
        self._c(account_id)
        with self.lock:
            self._batch(account_id, plan_id, batch_id).update(lease_until=0, last_error=error[:500])

    def finish_batch(self, account_id: str, plan_id: str, batch_id: str, owner: str, summary: dict,
                     now: float) -> None:
        self._c(account_id)
        with self.lock:
            b = self._batch(account_id, plan_id, batch_id)
            if b.get("lease_owner") != owner:
                raise LeaseLost(f"batch {batch_id} of plan {plan_id} is leased by another worker")
            b.update(state="sent", sent_at=int(now), summary=copy.deepcopy(summary), lease_owner=None,
                     lease_until=None)

    # ---- ledger
    def ledger_times(self, account_id: str, customer: str, since: float) -> list[int]:
        self._c(account_id)
        with self.lock:
            entries = self.ledger.get((account_id, customer), {})
            return [e["at"] for _, e in sorted(entries.items()) if e["at"] >= int(since) and not e["void"]]

    def record_transfer(self, account_id: str, customer: str, *, at: int, plan_id: str, takeover: str,
                        mode: str, now: float) -> None:
        self._c(account_id)
        with self.lock:
            self.ledger.setdefault((account_id, customer), {})[f"{at:010d}#{plan_id}#{takeover}"] = {
                "at": at, "plan_id": plan_id, "takeover_userid": takeover, "mode": mode, "void": False,
                "expires": int(now) + LEDGER_KEEP_SECONDS}

    def void_transfers(self, account_id: str, customer: str, plan_id: str, takeover: str) -> None:
        self._c(account_id)
        with self.lock:
            for e in self.ledger.get((account_id, customer), {}).values():
                if e["plan_id"] == plan_id and e["takeover_userid"] == takeover:
                    e["void"] = True

    # ---- notices
    def add_notice(self, account_id: str, plan_id: str, notice: dict) -> bool:
        self._c(account_id)
        with self.lock:
            rows = self.notice_rows.setdefault((account_id, plan_id), {})
            if notice["notice_key"] in rows:
                return False
            rows[notice["notice_key"]] = copy.deepcopy(notice)
            return True

    def set_notice_delivery(self, account_id: str, plan_id: str, notice_key: str, delivery: str) -> None:
        self._c(account_id)
        with self.lock:
            self.notice_rows[(account_id, plan_id)][notice_key]["delivery"] = delivery

    def notices_of_plan(self, account_id: str, plan_id: str) -> list[dict]:
        self._c(account_id)
        with self.lock:
            rows = self.notice_rows.get((account_id, plan_id), {})
            return [copy.deepcopy(rows[k]) for k in sorted(rows)]
