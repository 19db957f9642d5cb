"""The staff store's in-memory twin: the same conditions as DynamoDB under one lock, copies out."""

from __future__ import annotations

import copy
import threading

from ...tenancy import Scope
from ..cursors import after, check_page, cursor
from .base import COUNTED, FINAL_STATES

FIG, PULLED = "f#", "p#"


class MemoryStaffStore:
    def __init__(self):
        self.lock = threading.RLock()
        self.figures: dict[tuple[str, str], dict] = {}  # (account_id, "f#<day>#<userid>") -> {day, userid, figures}
        self.pulled: dict[tuple[str, str], int] = {}  # (account_id, day) -> staff
        self.settings: dict[str, dict] = {}
        self.alerts: dict[tuple[str, str], dict] = {}
        self.counts: dict[tuple[str, str], dict] = {}  # (account_id, day) -> {sent, failed, counted}

    # ---- figures
    def put_figures(self, scope: Scope, account_id: str, day: str, rows: dict[str, dict], now: float) -> int:
        scope.check(account_id)
        with self.lock:
            for userid, figures in rows.items():
                self.figures[(account_id, f"{FIG}{day}#{userid}")] = {
                    "day": day, "userid": userid, "figures": copy.deepcopy(figures)}
        return len(rows)

    def figures_page(self, scope: Scope, account_id: str, start_day: str, end_day: str, *, userid: str | None = None,
                     limit: int = 50, start: dict | None = None) -> tuple[list[dict], dict | None]:
        check_page(scope, account_id, start)
        low, high, begin = f"{FIG}{start_day}#", f"{FIG}{end_day}#\uffff", after(start, "item_id")
        with self.lock:
            keys = sorted(k for a, k in self.figures if a == account_id and low <= k <= high and k > begin)
            read = keys[:limit]  # like DynamoDB's Limit: items read, before the userid filter
            rows = [copy.deepcopy(self.figures[(account_id, k)]) for k in read]
        rows = [r for r in rows if userid is None or r["userid"] == userid]
        last = cursor(account_id, item_id=read[-1]) if len(keys) > limit else None
        return rows, last

    def mark_pulled(self, scope: Scope, account_id: str, day: str, staff: int, now: float) -> None:
        scope.check(account_id)
        with self.lock:
            self.pulled[(account_id, day)] = int(staff)

    def pulled_days(self, scope: Scope, account_id: str, start_day: str, end_day: str) -> set[str]:
        scope.check(account_id)
        with self.lock:
            return {d for a, d in self.pulled if a == account_id and start_day <= d <= end_day}

    # ---- loss alerts
    def get_alert_settings(self, scope: Scope, account_id: str) -> dict | None:
        scope.check(account_id)
        with self.lock:
            return copy.deepcopy(self.settings.get(account_id))

    def put_alert_settings(self, scope: Scope, account_id: str, settings: dict, now: float) -> None:
        scope.check(account_id)
        with self.lock:
            self.settings[account_id] = copy.deepcopy(settings)

    def claim_alert(self, scope: Scope, account_id: str, key: str, record: dict, now: float) -> dict | None:
        scope.check(account_id)
        with self.lock:
            existing = self.alerts.get((account_id, key))
            if existing is not None:
                return copy.deepcopy(existing)
            self.alerts[(account_id, key)] = {**copy.deepcopy(record), "state": "pending"}
            return None

    def finish_alert(self, scope: Scope, account_id: str, key: str, state: str, detail: dict, now: float) -> bool:
        scope.check(account_id)
        if state not in FINAL_STATES:
            raise ValueError(f"an alert finishes as one of {FINAL_STATES}")
        with self.lock:
            rec = self.alerts.get((account_id, key))
            if rec is None or rec["state"] != "pending":
                return False
            rec.update(copy.deepcopy(detail))
            rec["state"] = state
            return True

    def count_alert(self, scope: Scope, account_id: str, day: str, key: str, outcome: str) -> bool:
        scope.check(account_id)
        if outcome not in COUNTED:
            raise ValueError(f"an alert is counted as one of {COUNTED}")
        with self.lock:
            row = self.counts.setdefault((account_id, day), {**dict.fromkeys(COUNTED, 0), "counted": set()})
            if key in row["counted"]:
                return False
            row["counted"].add(key)
            row[outcome] += 1
            return True

    def alert_counts(self, scope: Scope, account_id: str, start_day: str, end_day: str) -> dict[str, dict]:
        scope.check(account_id)
        with self.lock:
            return {d: {k: r[k] for k in COUNTED} for (a, d), r in sorted(self.counts.items())
                    if a == account_id and start_day <= d <= end_day}

    # test hook: what an alert's record holds
    def alert(self, account_id: str, key: str) -> dict | None:
        with self.lock:
            return copy.deepcopy(self.alerts.get((account_id, key)))
