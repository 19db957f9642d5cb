"""The insight store's in-memory twin: the same keys and overwrite rules as DynamoDB under one lock, copies out."""

from __future__ import annotations

import copy
import threading

from ...tenancy import Scope


class MemoryInsightStore:
    def __init__(self):
        self.lock = threading.RLock()
        self.rows: dict[tuple[str, str, str], list[dict]] = {}  # (account_id, api, day) -> rows
        self.errs: dict[tuple[str, str], dict] = {}  # (account_id, api) -> refusal
        self.writes = 0  # test hook: day items written (a re-run writes, never adds)

    def put_day(self, scope: Scope, account_id: str, api: str, day: str, rows: list[dict], now: float) -> None:
        scope.check(account_id)
        with self.lock:
            self.rows[(account_id, api, day)] = copy.deepcopy(list(rows))
            self.writes += 1

    def days(self, scope: Scope, account_id: str, api: str, start_day: str, end_day: str) -> dict[str, list[dict]]:
        scope.check(account_id)
        with self.lock:
            return {d: copy.deepcopy(r) for (a, p, d), r in sorted(self.rows.items())
                    if a == account_id and p == api and start_day <= d <= end_day}

    def put_error(self, scope: Scope, account_id: str, api: str, error: dict, now: float) -> None:
        scope.check(account_id)
        with self.lock:
            self.errs[(account_id, api)] = {**copy.deepcopy(error), "at": int(now)}

    def clear_error(self, scope: Scope, account_id: str, api: str) -> None:
        scope.check(account_id)
        with self.lock:
            self.errs.pop((account_id, api), None)

    def errors(self, scope: Scope, account_id: str) -> dict[str, dict]:
        scope.check(account_id)
        with self.lock:
            return {p: copy.deepcopy(e) for (a, p), e in sorted(self.errs.items()) if a == account_id}
