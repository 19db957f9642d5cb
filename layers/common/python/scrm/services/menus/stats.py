"""Menu analytics: the report of the clicks counted per entry and China day (scrm.services.menus.clicks), joined
with the published menu.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from ...domain import menus as rules
from ...errors import ValidationError
from ...stores.menus.base import SHARDS
from ...tenancy import Scope
from .clicks import day_of
from .common import store

MAX_RANGE_DAYS = 92


def _day(value, field: str) -> str | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except (TypeError, ValueError):
        raise ValidationError(f"{field}: must be a date YYYY-MM-DD", field=field) from None


def day_range(query: dict, now: float) -> tuple[str, str]:
    end = _day(query.get("to"), "to") or day_of(now)
    start = _day(query.get("from"), "from") or (date.fromisoformat(end) - timedelta(days=29)).isoformat()
    if start > end:
        raise ValidationError("from: must not be after to", field="from")
    if (date.fromisoformat(end) - date.fromisoformat(start)).days >= MAX_RANGE_DAYS:
        raise ValidationError(f"from: a menu report covers at most {MAX_RANGE_DAYS} days", field="from")
    return start, end


def _menu_entries(scope: Scope, account_id: str) -> list[dict]:
    """The entries of the published default menu, then those only a conditional menu has (`<menu>: <path>`)."""
    current = store().current(scope, account_id)
    found = []
    if current and not current["deleted"]:
        version = store().get_version(scope, account_id, current["version"]) or {}
        found = rules.entries(version.get("button") or [])
    seen = {e["entry_id"] for e in found}
    for menu in store().list_conditionals(scope, account_id):
        for e in rules.entries(menu["button"]):
            if e["entry_id"] not in seen:
                seen.add(e["entry_id"])
                found.append({**e, "name": f"{menu.get('name') or menu['menuid']}: {e['name']}"})
    return found


def report(scope: Scope, account_id: str, query: dict, now: float) -> dict:
    """Per entry: clicks and unique users per day over the range (joined with the menu for names), and the
    current menu's entries nobody used."""
    scope.check(account_id)
    start, end = day_range(query, now)
    counts, reads = store().read_counts(scope, account_id, start, end)
    menu = _menu_entries(scope, account_id)
    by_entry: dict[str, list] = defaultdict(list)
    labels: dict[str, str] = {}
    for (entry, day), row in sorted(counts.items(), key=lambda kv: kv[0][1]):
        by_entry[entry].append({"day": day, "clicks": row["clicks"], "unique_users": row["users"]})
        labels[entry] = row.get("label") or labels.get(entry, "")
    known = {e["entry_id"]: e for e in menu}
    order = [e["entry_id"] for e in menu if e["entry_id"] in by_entry]
    order += sorted((e for e in by_entry if e not in known), key=lambda e: -sum(d["clicks"] for d in by_entry[e]))
    entries = []
    for entry in order:
        days = by_entry[entry]
        kind = "click" if entry.startswith("click:") else "view"
        meta = known.get(entry) or {"entry_id": entry, "kind": kind, "name": None,
                                    ("key" if kind == "click" else "url"): labels.get(entry) or None}
        entries.append({**meta, "in_current_menu": entry in known, "clicks": sum(d["clicks"] for d in days),
                        "user_days": sum(d["unique_users"] for d in days), "days": days})
    unused = [e for e in menu if e["entry_id"] not in by_entry]
    return {"account_id": account_id, "from": start, "to": end, "entries": entries, "unused": unused,
            "shards": SHARDS, "items_read": reads}
