"""The staff store: per staff member and China day, the figures WeCom reports (get_user_behavior_data and
groupchat/statistic), which days were pulled, and the loss alerts (settings, one send record per event, per-day
counts). Table `staff_activity` (scrm.data.staff_activity).

Figures are plain dicts of WeCom's field names (numbers, `avg_reply_time` None when WeCom sent none). Writing a
day's figures again overwrites them with what WeCom answers now (a re-run is harmless). An alert record is claimed
once per event (`claim_alert`: False when it exists), finished once (`finish_alert`: pending -> sent | failed |
skipped | unsent, False when it was finished already), and counted once per day (`count_alert`: a key counted
twice counts once). Tenancy: every method takes the caller's scope and refuses (Forbidden) an account it may
not act for.
"""

from __future__ import annotations

from typing import Protocol

from ...tenancy import Scope

ALERT_STATES = ("pending", "sent", "failed", "skipped", "unsent")
FINAL_STATES = ("sent", "failed", "skipped", "unsent")
COUNTED = ("sent", "failed", "unsent")  # unsent: never handed to WeCom (no Secret for the app it goes out as)


class StaffStore(Protocol):
    # ---- figures
    def put_figures(self, scope: Scope, account_id: str, day: str, rows: dict[str, dict], now: float) -> int:
        """Store each staff member's figures of `day` ({userid: figures}), overwriting; returns how many."""

    def figures_page(self, scope: Scope, account_id: str, start_day: str, end_day: str, *, userid: str | None = None,
                     limit: int = 50, start: dict | None = None) -> tuple[list[dict], dict | None]:
        """([{day, userid, figures}], cursor) in day then userid order, days from start_day to end_day."""

    def mark_pulled(self, scope: Scope, account_id: str, day: str, staff: int, now: float) -> None:
        """The day was pulled for every staff member (`staff` of them)."""

    def pulled_days(self, scope: Scope, account_id: str, start_day: str, end_day: str) -> set[str]:
        """The days between start_day and end_day (inclusive) already pulled."""

    # ---- loss alerts
    def get_alert_settings(self, scope: Scope, account_id: str) -> dict | None: ...

    def put_alert_settings(self, scope: Scope, account_id: str, settings: dict, now: float) -> None: ...

    def claim_alert(self, scope: Scope, account_id: str, key: str, record: dict, now: float) -> dict | None:
        """Create the alert's record (state pending) if there is none; None when made, else the existing record."""

    def finish_alert(self, scope: Scope, account_id: str, key: str, state: str, detail: dict, now: float) -> bool:
        """pending -> `state` (sent | failed | skipped) with `detail` merged in; False when it was not pending."""

    def count_alert(self, scope: Scope, account_id: str, day: str, key: str, outcome: str) -> bool:
        """Add one to the day's `outcome` (sent | failed) count unless `key` was counted; True when counted now."""

    def alert_counts(self, scope: Scope, account_id: str, start_day: str, end_day: str) -> dict[str, dict]:
        """{day: {"sent": n, "failed": n, "unsent": n}} for the days with alerts between start_day and end_day."""
