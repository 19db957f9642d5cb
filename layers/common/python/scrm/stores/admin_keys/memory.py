"""The admin key store's in-memory twin: the same conditions as DynamoDB under one lock (rows are frozen)."""

from __future__ import annotations

import threading
from datetime import datetime

from ...errors import Conflict
from ...tenancy import Scope
from ..cursors import after, check_page, cursor
from .base import PLATFORM, KeyRow, check_owner, read_key


class MemoryAdminKeyStore:
    def __init__(self):
        self.lock = threading.RLock()
        self.rows: dict[tuple[str, str], KeyRow] = {}  # (account_id, key_id)

    def find_key(self, account_id: str, key_id: str) -> KeyRow | None:
        with self.lock:
            return self.rows.get((account_id, key_id))

    def create_key(self, scope: Scope, row: KeyRow) -> KeyRow:
        check_owner(scope, row.account_id)
        with self.lock:
            if self.rows.setdefault((row.account_id, row.key_id), row) is not row:
                raise Conflict(f"key {row.key_id!r} exists already")
        return row

    def key_of(self, scope: Scope, account_id: str, key_id: str) -> KeyRow:
        return read_key(scope, account_id, key_id, self.find_key)

    def keys_page(self, scope: Scope, account_id: str, *, limit: int, start: dict | None = None
                  ) -> tuple[list[KeyRow], dict | None]:
        check_page(scope, account_id, start)
        first = after(start, "key_id")
        with self.lock:
            ids = sorted(k for a, k in self.rows if a == account_id and k > first)
            rows = [self.rows[(account_id, k)] for k in ids[:limit]]
        return rows, (cursor(account_id, key_id=rows[-1].key_id) if len(ids) > limit else None)

    def revoke_key(self, scope: Scope, account_id: str, key_id: str, at: datetime) -> KeyRow:
        with self.lock:
            row = self.key_of(scope, account_id, key_id)
            if row.revoked_at is None:
                row = self.rows[(account_id, key_id)] = row.revoked(at, scope.key_id)
            return row

    def platform_keys(self) -> list[KeyRow]:
        with self.lock:
            return [self.rows[k] for k in sorted(self.rows) if k[0] == PLATFORM]
