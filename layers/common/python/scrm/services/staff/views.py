"""Reading the staff figures (admin API): per staff member per China day over a date range, paged, as JSON rows or
as CSV (the channel statistics' CSV conventions: a UTF-8 BOM, English header names, formula-safe cells); and the
loss alerts counted per day (read here, not in the event worker's module, so the worker is granted no Query)."""

from __future__ import annotations

from ... import bootstrap
from ...domain.spreadsheets import csv_document
from ...domain.staff import FIGURES
from ...errors import ValidationError
from ...tenancy import Scope
from ..channels.stats import day_range

CSV_COLUMNS = ("day", "userid", *FIGURES)


def _row(item: dict) -> dict:
    figures = item.get("figures") or {}
    return {"day": item["day"], "userid": item["userid"], **{k: figures.get(k) for k in FIGURES}}


def figures_page(scope: Scope, account_id: str, query: dict, now: float, *, limit: int = 50,
                 start: dict | None = None) -> tuple[dict, dict | None]:
    """({"from", "to", "items": [rows]}, cursor) for ?from=&to=&userid= (China days, default the last 30)."""
    scope.check(account_id)
    first, last = day_range(query, now)
    userid = query.get("userid") or None
    if userid is not None and len(userid) > 64:
        raise ValidationError("userid: at most 64 characters", field="userid")
    try:
        items, cursor = bootstrap.staff_store().figures_page(scope, account_id, first, last, userid=userid,
                                                             limit=limit, start=start)
    except ValueError:
        raise ValidationError("cursor is not one this listing returned", field="cursor") from None
    return {"from": first, "to": last, "items": [_row(i) for i in items]}, cursor


def figures_csv(scope: Scope, account_id: str, query: dict, now: float, *, limit: int = 1000,
                start: dict | None = None) -> tuple[str, dict | None]:
    data, cursor = figures_page(scope, account_id, query, now, limit=limit, start=start)
    return csv_document(CSV_COLUMNS, data["items"]), cursor


def alert_counts(scope: Scope, account_id: str, query: dict, now: float) -> dict:
    """Loss alerts sent, failed and unsent (no Secret for the app) per China day over ?from=&to= (default the last
    30 days), with the totals."""
    first, last = day_range(query, now)
    days = bootstrap.staff_store().alert_counts(scope, account_id, first, last)
    rows = [{"day": d, **days[d]} for d in sorted(days)]
    return {"from": first, "to": last, "sent": sum(r["sent"] for r in rows),
            "failed": sum(r["failed"] for r in rows), "unsent": sum(r.get("unsent", 0) for r in rows), "days": rows}
