"""The in-memory twin of the moment store (unit tests, the benchmark): the conditions of `base.MomentStore` under
one lock, copies out. The monthly counts are an in-memory quota ledger: the push store twin's own
(MemoryPushStore's reserve_many / release_many / used_many), so both ledgers refuse and count alike."""

from __future__ import annotations

import copy
import threading

from ...tenancy import Scope
from ..pushes.layout import ScopedStore, check_cursor, cursor
from ..pushes.memory import MemoryPushStore
from .base import DuplicateMoment


class MemoryMomentStore(ScopedStore):
    def __init__(self, scope: Scope | None = None):
        super().__init__(scope or Scope.system())
        self.lock = threading.RLock()
        self.moments: dict[tuple[str, str], dict] = {}
        self._ledger = MemoryPushStore()
        self._ledger._counts = self._counts  # one round-trip figure for the store

    def create_moment(self, moment: dict) -> None:
        self._c(moment["account_id"])
        with self.lock:
            key = (moment["account_id"], moment["moment_id"])
            if key in self.moments:
                raise DuplicateMoment(f"moment {key} exists")
            self.moments[key] = copy.deepcopy(moment)
            self.writes += 1

    def get_moment(self, account_id: str, moment_id: str) -> dict | None:
        self._c(account_id)
        with self.lock:
            m = self.moments.get((account_id, moment_id))
            return copy.deepcopy(m) if m else None

    def page_moments(self, account_id: str, limit: int = 50, start: dict | None = None
                     ) -> tuple[list[dict], dict | None]:
        self._c(account_id)
        check_cursor(start, "account_id", account_id, "account")
        after = (start or {}).get("moment_id", {}).get("S")
        with self.lock:
            ids = sorted((i for (a, i) in self.moments if a == account_id and (after is None or i < after)),
                         reverse=True)
            items = [copy.deepcopy(self.moments[(account_id, i)]) for i in ids[:limit]]
        last = cursor(account_id, "moment_id", items[-1]["moment_id"]) if len(ids) > limit else None
        return items, last

    def update_moment(self, account_id: str, moment_id: str, changes: dict, *, expect_status=None,
                      expect_owner: str | None = None) -> bool:
        self._c(account_id)
        with self.lock:
            m = self.moments.get((account_id, moment_id))
            if m is None:
                return False
            if expect_status is not None and m.get("status") not in expect_status:
                return False
            if expect_owner is not None and m.get("lease_owner") != expect_owner:
                return False
            for k, v in changes.items():
                if v is None:
                    m.pop(k, None)
                else:
                    m[k] = copy.deepcopy(v)
            self.writes += 1
            return True

    def claim(self, account_id: str, moment_id: str, owner: str, now: float, lease_until: float) -> dict | None:
        self._c(account_id)
        with self.lock:
            m = self.moments.get((account_id, moment_id))
            if m is None or not m.get("due") or m["next_run_at"] > now or (m.get("lease_until") or 0) >= now:
                return None
            m.update(lease_owner=owner, lease_until=lease_until, updated_at=now)
            self.writes += 1
            return copy.deepcopy(m)

    def due(self, now: float, limit: int = 25) -> list[tuple[str, str]]:
        with self.lock:
            found = sorted((m["next_run_at"], a, i) for (a, i), m in self.moments.items()
                           if m.get("due") and m["next_run_at"] <= now and self._in_scope(a))
        return [(a, i) for _, a, i in found[:limit]]

    # ---- the monthly counts: the quota ledger twin
    def reserve_many(self, account_id: str, keys: list[str], limit: int, holder: str, ttl: int) -> list[bool]:
        self._c(account_id)
        return self._ledger.reserve_many(account_id, keys, limit, holder, ttl)

    def release_many(self, account_id: str, keys: list[str], holder: str) -> None:
        self._c(account_id)
        self._ledger.release_many(account_id, keys, holder)

    def used_many(self, account_id: str, keys: list[str]) -> dict[str, int]:
        self._c(account_id)
        return self._ledger.used_many(account_id, keys)
