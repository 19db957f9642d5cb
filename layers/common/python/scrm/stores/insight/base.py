"""The insight store: per OA account, WeChat's datacube rows per API per China day, and each API's last refusal.
Table `oa_insight` (scrm.data.oa_insight).

A day is stored whole (`put_day`: the rows WeChat answered for it, overwriting): a re-run re-writes the same
values and nothing is ever added to what is there, so a day is never counted twice. A stored day (even with no
rows) counts as pulled. Tenancy: every method takes the caller's scope and refuses (Forbidden) an account it may not
act for.
"""

from __future__ import annotations

from typing import Protocol

from ...tenancy import Scope


class InsightStore(Protocol):
    def put_day(self, scope: Scope, account_id: str, api: str, day: str, rows: list[dict], now: float) -> None:
        """Store the API's rows of `day`, replacing what was stored."""

    def days(self, scope: Scope, account_id: str, api: str, start_day: str, end_day: str) -> dict[str, list[dict]]:
        """{day: rows} of the API for the stored days from start_day to end_day (inclusive)."""

    def put_error(self, scope: Scope, account_id: str, api: str, error: dict, now: float) -> None:
        """Record the API's refusal (replacing the previous one)."""

    def clear_error(self, scope: Scope, account_id: str, api: str) -> None: ...

    def errors(self, scope: Scope, account_id: str) -> dict[str, dict]:
        """{api: its last refusal, with `at`}."""
