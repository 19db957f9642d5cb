"""Our own on-job ledger (在职继承: each customer at most twice in 90 days), checked before any on-job call."""

from __future__ import annotations

from ... import bootstrap
from ...domain import reassignment as rules


def blocked(account_id: str, customers: list[str], now: float) -> set[str]:
    """Customers our ledger says were transferred on-job twice in the last 90 days."""
    store = bootstrap.reassignment_store()
    since = now - rules.ONJOB_WINDOW_SECONDS
    return {c for c in customers if not rules.onjob_allowed(store.ledger_times(account_id, c, since), now)}


def _counts(plan: dict, item: dict) -> bool:
    return plan["mode"] == "onjob" and item["kind"] == "customer"


def write(plan: dict, item: dict, now: float) -> None:
    """Count an accepted on-job transfer (idempotent: a retry writes the same entry)."""
    if _counts(plan, item):
        bootstrap.reassignment_store().record_transfer(
            plan["account_id"], item["target_id"], at=int(item.get("submitted_at") or now), plan_id=plan["plan_id"],
            takeover=item["takeover_userid"], mode=plan["mode"], now=now)


def void(plan: dict, item: dict) -> None:
    """The transfer was refused or over limit: it no longer counts."""
    if _counts(plan, item):
        bootstrap.reassignment_store().void_transfers(plan["account_id"], item["target_id"], plan["plan_id"],
                                                      item["takeover_userid"])
