"""The in-memory twin of the push store: MemoryPushStore backs the unit tests and the 1,000,000-recipient
benchmark. It honours the conditions stated in `base.PushStore` exactly as DynamoDB does (one lock, copies out,
refused conditions answer the same way), which tests/contract/test_push_store.py checks against both."""

from __future__ import annotations

import copy
import threading
from dataclasses import replace

from ...domain import service_window as window_rules
from ...tenancy import Scope
from .base import DuplicatePush
from .layout import (
    CHUNK,
    LEASE_STATUSES,
    TX_MAX,
    ScopedStore,
    batch_cursor,
    batch_sk,
    check_cursor,
    cursor,
    pack,
    run_pk,
    unpack,
)
from .memory_privacy import MemoryPushPrivacy


class MemoryPushStore(MemoryPushPrivacy, ScopedStore):
    """In-memory store with the same conditional semantics as DynamoDB (one lock, copies out)."""

    def __init__(self, scope: Scope | None = None):
        super().__init__(scope or Scope.system())
        self.lock = threading.RLock()
        self.pushes: dict[tuple[str, str], dict] = {}
        self.plans: dict[str, dict] = {}
        self.batches: dict[str, dict[int, dict]] = {}
        self.recipients: dict[tuple[str, int], bytes] = {}
        self.markers: set[tuple[str, str]] = set()
        self.msg_index: dict[tuple[str, str], dict] = {}
        self.ledger: dict[str, dict] = {}
        self.holdings: dict[tuple[str, str], int] = {}  # (row, holder) -> units held, for reserve_amount
        self.interactions: dict[tuple[str, str], window_rules.Window] = {}
        self.segments: dict[tuple[str, str], dict] = {}

    # ---- pushes
    def create_push(self, push: dict) -> None:
        self._c(push["account_id"])
        with self.lock:
            key = (push["account_id"], push["push_id"])
            if key in self.pushes:
                raise DuplicatePush(f"push {key} exists")
            self.pushes[key] = copy.deepcopy(push)

    def get_push(self, account_id: str, push_id: str) -> dict | None:
        self._c(account_id)
        with self.lock:
            p = self.pushes.get((account_id, push_id))
            return copy.deepcopy(p) if p else None

    def page_pushes(self, account_id: str, limit: int = 50, start: dict | None = None
                    ) -> tuple[list[dict], dict | None]:
        """Newest first, like the DynamoDB store; the cursor is the last push's key."""
        self._c(account_id)
        check_cursor(start, "account_id", account_id, "account")
        after = (start or {}).get("push_id", {}).get("S")
        with self.lock:
            ids = sorted((i for (a, i) in self.pushes if a == account_id and (after is None or i < after)),
                         reverse=True)
            items = [copy.deepcopy(self.pushes[(account_id, i)]) for i in ids[:limit]]
        last = cursor(account_id, "push_id", items[-1]["push_id"]) if len(ids) > limit else None
        return items, last

    def update_push(self, account_id: str, push_id: str, changes: dict, *, expect_status=None,
                    expect_owner: str | None = None) -> bool:
        self._c(account_id)
        with self.lock:
            p = self.pushes.get((account_id, push_id))
            if p is None:
                return False
            if expect_status is not None and p.get("status") not in expect_status:
                return False
            if expect_owner is not None and p.get("lease_owner") != expect_owner:
                return False
            for k, v in changes.items():
                if v is None:
                    p.pop(k, None)
                else:
                    p[k] = copy.deepcopy(v)
            return True

    def claim(self, account_id: str, push_id: str, owner: str, now: float, lease_until: float) -> dict | None:
        self._c(account_id)
        with self.lock:
            p = self.pushes.get((account_id, push_id))
            if (p is None or p.get("status") not in LEASE_STATUSES or p["next_run_at"] > now
                    or (p.get("lease_until") or 0) >= now):
                return None
            p.update(status="running", lease_owner=owner, lease_until=lease_until, updated_at=now)
            return copy.deepcopy(p)

    def due(self, now: float, limit: int = 25) -> list[tuple[str, str]]:
        with self.lock:
            found = sorted((p["next_run_at"], a, i) for (a, i), p in self.pushes.items()
                           if p.get("due") and p["next_run_at"] <= now
                           and self._in_scope(a))
        return [(a, i) for _, a, i in found[:limit]]

    def polling(self, now: float, limit: int = 25) -> list[tuple[str, str]]:
        with self.lock:
            found = sorted((p.get("poll_at", 0), a, i) for (a, i), p in self.pushes.items()
                           if p.get("poll") and p.get("poll_at", 0) <= now and self._in_scope(a))
        return [(a, i) for _, a, i in found[:limit]]

    # ---- plans and batches
    def get_plan(self, account_id: str, push_id: str, run_no: int) -> dict | None:
        self._c(account_id)
        with self.lock:
            p = self.plans.get(run_pk(account_id, push_id, run_no))
            return copy.deepcopy(p) if p else None

    def put_plan(self, account_id: str, push_id: str, run_no: int, plan: dict) -> None:
        self._c(account_id)
        with self.lock:
            self.plans[run_pk(account_id, push_id, run_no)] = copy.deepcopy(plan)
            self.writes += 1

    def put_batches(self, account_id: str, push_id: str, run_no: int, batches: list[dict]) -> None:
        """Each dict: batch fields plus `recipients` (list). Overwrites (planning is redone whole)."""
        self._c(account_id)
        pk = run_pk(account_id, push_id, run_no)
        with self.lock:
            metas = self.batches.setdefault(pk, {})
            for b in batches:
                b = dict(b)
                ids = b.pop("recipients")
                metas[b["no"]] = copy.deepcopy(b)
                self.recipients[(pk, b["no"])] = pack(ids)
                self.writes += 1 + (len(ids) + CHUNK - 1) // CHUNK

    def list_batches(self, account_id: str, push_id: str, run_no: int) -> list[dict]:
        self._c(account_id)
        with self.lock:
            metas = self.batches.get(run_pk(account_id, push_id, run_no), {})
            return [copy.deepcopy(metas[n]) for n in sorted(metas)]

    def page_batches(self, account_id: str, push_id: str, run_no: int, limit: int = 50,
                     start: dict | None = None) -> tuple[list[dict], dict | None]:
        self._c(account_id)
        check_cursor(start, "pk", run_pk(account_id, push_id, run_no), "run")
        after = (start or {}).get("sk", {}).get("S", "")
        with self.lock:
            metas = self.batches.get(run_pk(account_id, push_id, run_no), {})
            nos = [n for n in sorted(metas) if batch_sk(n) > after]
            items = [copy.deepcopy(metas[n]) for n in nos[:limit]]
        last = batch_cursor(account_id, push_id, run_no, items[-1]["no"]) if len(nos) > limit else None
        return items, last

    def batch_recipients(self, account_id: str, push_id: str, run_no: int, no: int) -> list[str]:
        self._c(account_id)
        with self.lock:
            return unpack(self.recipients.get((run_pk(account_id, push_id, run_no), no)))

    def update_batch(self, account_id: str, push_id: str, run_no: int, no: int, changes: dict, *,
                     expect_states=None, expect_unfinished: bool = False) -> bool:
        self._c(account_id)
        with self.lock:
            b = self.batches.get(run_pk(account_id, push_id, run_no), {}).get(no)
            if b is None:
                return False
            if expect_states is not None and b.get("state") not in expect_states:
                return False
            if expect_unfinished and b.get("finished"):
                return False
            if callable(changes):
                changes = changes(copy.deepcopy(b))
            for k, v in changes.items():
                if v is None:
                    b.pop(k, None)
                else:
                    b[k] = copy.deepcopy(v)
            self.writes += 1
            return True

    def add_to_batch(self, account_id: str, push_id: str, run_no: int, no: int, counters: dict,
                     once_key: tuple[str, str] | None = None) -> bool:
        """Add to counters; with once_key=(account, msg_id), only the first time for that message."""
        self._c(account_id)
        with self.lock:
            if once_key is not None:
                idx = self.msg_index.get(once_key)
                if idx is None or idx.get("finished"):
                    return False
                idx["finished"] = True
            b = self.batches.get(run_pk(account_id, push_id, run_no), {}).get(no)
            if b is None:
                return False
            for k, v in counters.items():
                b[k] = b.get(k, 0) + v
            return True

    def put_msg_index(self, account_id: str, entries: list[tuple[str, dict]]) -> None:
        self._c(account_id)
        with self.lock:
            for msg_id, ref in entries:
                self.msg_index.setdefault((account_id, str(msg_id)), dict(ref))
                self.writes += 1

    def get_msg_index(self, account_id: str, msg_id) -> dict | None:
        self._c(account_id)
        with self.lock:
            ref = self.msg_index.get((account_id, str(msg_id)))
            return dict(ref) if ref else None

    def mark_once(self, account_id: str, push_id: str, run_no: int, recipient: str) -> bool:
        self._c(account_id)
        with self.lock:
            key = (run_pk(account_id, push_id, run_no), recipient)
            if key in self.markers:
                return False
            self.markers.add(key)
            self.writes += 1
            return True

    # ---- quota ledger
    # Like the DynamoDB store: reservations go in transactions of at most TX_MAX conditional writes (one
    # round trip each); a transaction one row refuses is cancelled whole, the refused rows are left out
    # and the rest retried. `round_trips` counts the transactions, for the benchmark.
    def _transact(self, keys: list[str], check) -> dict[str, bool]:
        """Run `check(key) -> bool` (condition) over keys in all-or-nothing transactions; {key: passed}."""
        out: dict[str, bool] = {}
        order = list(dict.fromkeys(keys))  # a transaction addresses an item once
        for start in range(0, len(order), TX_MAX):
            pending = order[start:start + TX_MAX]
            while pending:
                self.round_trips += 1
                refused = [k for k in pending if not check(k)]
                if not refused:
                    out.update(dict.fromkeys(pending, True))
                    break
                out.update(dict.fromkeys(refused, False))
                pending = [k for k in pending if k not in set(refused)]
        return out

    def reserve_many(self, account_id: str, keys: list[str], limit: int, holder: str, ttl: int) -> list[bool]:
        self._c(account_id)
        with self.lock:
            def row(key):
                return self.ledger.get(key) or {"used": 0, "holders": set()}

            passed = self._transact(keys, lambda k: row(k)["used"] < limit and holder not in row(k)["holders"])
            for key, ok in passed.items():
                if ok:
                    r = self.ledger.setdefault(key, {"used": 0, "holders": set()})
                    r["used"] += 1
                    r["holders"].add(holder)
                    self.writes += 1
            # refused: at quota, or this holder already has its slot (a rerun), as the DynamoDB store reads it
            return [passed[k] or holder in row(k)["holders"] for k in keys]

    def release_many(self, account_id: str, keys: list[str], holder: str) -> None:
        self._c(account_id)
        with self.lock:
            passed = self._transact(keys, lambda k: holder in (self.ledger.get(k) or {}).get("holders", ()))
            for key, ok in passed.items():
                if ok:
                    self.ledger[key]["holders"].discard(holder)
                    self.ledger[key]["used"] -= 1

    def used_many(self, account_id: str, keys: list[str]) -> dict[str, int]:
        self._c(account_id)
        with self.lock:
            return {k: self.ledger[k]["used"] for k in keys if k in self.ledger}

    def reserve_amount(self, account_id: str, key: str, amount: int, limit: int, holder: str, ttl: int) -> int:
        self._c(account_id)
        with self.lock:
            self.round_trips += 1
            if (key, holder) in self.holdings:
                return self.holdings[(key, holder)]
            row = self.ledger.setdefault(key, {"used": 0, "holders": set()})
            granted = max(0, min(amount, limit - row["used"]))
            if granted:
                row["used"] += granted
                self.holdings[(key, holder)] = granted
                self.writes += 1
            return granted

    def release_amount(self, account_id: str, key: str, amount: int, holder: str) -> None:
        self._c(account_id)
        with self.lock:
            held = self.holdings.get((key, holder), 0)
            give = min(amount, held)
            # as DynamoDB's: one conditional transaction, and a second when the holder held less but not nothing
            self.round_trips += 1 if amount > 0 else 0
            self.round_trips += 1 if 0 < held < amount else 0
            if give > 0:
                self.holdings[(key, holder)] -= give
                self.ledger[key]["used"] -= give

    # ---- interactions: the customer-service window's allowances
    def touch(self, account_id: str, openid: str, at: float, kind: str = "") -> None:
        self._c(account_id)
        allowance = window_rules.allowance_of(kind)
        if allowance is None:
            return
        with self.lock:
            key = (account_id, openid)
            after = window_rules.touched(self.interactions.get(key), allowance, at)
            if after is not None:
                self.interactions[key] = after

    def service_windows(self, account_id: str, openids: list[str]) -> dict[str, window_rules.Window]:
        self._c(account_id)
        with self.lock:
            return {o: self.interactions[(account_id, o)] for o in openids if (account_id, o) in self.interactions}

    def claim_service_message(self, account_id: str, openid: str, now: float,
                              message_seconds: int | None = None) -> tuple[str, float] | None:
        self._c(account_id)
        with self.lock:
            key = (account_id, openid)
            window = self.interactions.get(key)
            for allowance in window_rules.usable(window, now, message_seconds):
                field = f"{allowance.name}_sent"
                self.interactions[key] = replace(window, **{field: getattr(window, field) + 1})
                return allowance.name, window.opened_at(allowance)
            return None

    def release_service_message(self, account_id: str, openid: str, claim: tuple[str, float]) -> None:
        self._c(account_id)
        name, opened_at = claim
        with self.lock:
            key = (account_id, openid)
            window = self.interactions.get(key)
            field = f"{name}_sent"
            if window and getattr(window, f"{name}_at") == opened_at and getattr(window, field) > 0:
                self.interactions[key] = replace(window, **{field: getattr(window, field) - 1})

    # ---- segments
    def put_segment(self, segment: dict) -> None:
        self._c(segment["account_id"])
        with self.lock:
            self.segments[(segment["account_id"], segment["segment_id"])] = copy.deepcopy(segment)

    def get_segment(self, account_id: str, segment_id: str) -> dict | None:
        self._c(account_id)
        with self.lock:
            s = self.segments.get((account_id, segment_id))
            return copy.deepcopy(s) if s else None

    def list_segments(self, account_id: str) -> list[dict]:
        self._c(account_id)
        with self.lock:
            return [copy.deepcopy(s) for (a, _), s in self.segments.items() if a == account_id]

    def page_segments(self, account_id: str, limit: int = 50, start: dict | None = None
                      ) -> tuple[list[dict], dict | None]:
        self._c(account_id)
        check_cursor(start, "account_id", account_id, "account")
        after = (start or {}).get("segment_id", {}).get("S", "")
        with self.lock:
            ids = sorted(i for (a, i) in self.segments if a == account_id and i > after)
            items = [copy.deepcopy(self.segments[(account_id, i)]) for i in ids[:limit]]
        last = cursor(account_id, "segment_id", items[-1]["segment_id"]) if len(ids) > limit else None
        return items, last
