"""The audit store's in-memory twin: the same reads as DynamoDB under one lock (rows are frozen)."""

from __future__ import annotations

import threading
from dataclasses import replace

from ...errors import Conflict
from ...tenancy import Scope
from ..cursors import after, check_page, cursor
from .base import AuditRow, matches


class MemoryAuditStore:
    def __init__(self):
        self.lock = threading.RLock()
        self.rows: dict[tuple[str, str], AuditRow] = {}  # (account_id, entry_id)

    def add_entry(self, row: AuditRow) -> None:
        with self.lock:
            if self.rows.setdefault((row.account_id, row.entry_id), row) is not row:
                raise Conflict(f"audit entry {row.entry_id!r} exists already")

    def entries_page(self, scope: Scope, account_id: str, *, limit: int, start: dict | None = None,
                     action: str | None = None, key_id: str | None = None) -> tuple[list[AuditRow], dict | None]:
        check_page(scope, account_id, start)
        before = after(start, "entry_id", None)
        with self.lock:
            ids = sorted((e for a, e in self.rows if a == account_id and (before is None or e < before)),
                         reverse=True)
            found = [r for r in (self.rows[(account_id, e)] for e in ids) if matches(r, action, key_id)]
        rows = found[:limit]
        return rows, (cursor(account_id, entry_id=rows[-1].entry_id) if len(found) > limit else None)

    def entries_mentioning(self, scope: Scope, account_id: str, values: set[str]) -> list[AuditRow]:
        scope.check(account_id)
        with self.lock:
            rows = [r for (a, _e), r in sorted(self.rows.items()) if a == account_id]
        return [r for r in rows if any(v in r.object or v in (r.detail or "") for v in values)] if values else []

    def scrub_entry(self, scope: Scope, account_id: str, entry_id: str, *, object: str, detail: str | None) -> None:
        scope.check(account_id)
        with self.lock:
            row = self.rows.get((account_id, entry_id))
            if row is not None:
                self.rows[(account_id, entry_id)] = replace(row, object=object, detail=detail or None)
