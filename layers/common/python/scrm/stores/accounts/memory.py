"""The account store's in-memory twin: the same conditions as DynamoDB under one lock, copies out."""

from __future__ import annotations

import copy
import hashlib
import threading
from collections.abc import Iterator
from datetime import datetime

from ...errors import Conflict, NotFound
from ...tenancy import Scope
from ..cursors import after, cursor
from .base import REGISTERING, TOKEN_TAKEN, AccountRow, check_changes


def _copy(row: AccountRow) -> AccountRow:
    return row.changed(options=copy.deepcopy(row.options))


class MemoryAccountStore:
    def __init__(self):
        self.lock = threading.RLock()
        self.rows: dict[str, AccountRow] = {}
        self.tokens: dict[str, str] = {}  # sha256(Token) -> account_id, as the claims table keeps it

    def claim_account_id(self, row: AccountRow, stale_before: datetime) -> None:
        with self.lock:
            held = self.rows.get(row.account_id)
            if held is not None and not (held.status == REGISTERING and held.updated_at < stale_before):
                raise Conflict(f"account {row.account_id!r} exists already")
            self.rows[row.account_id] = _copy(row.changed(status=REGISTERING))

    def abandon_account_claim(self, account_id: str) -> None:
        with self.lock:
            held = self.rows.get(account_id)
            if held is not None and held.status == REGISTERING:
                del self.rows[account_id]

    def save_account(self, row: AccountRow) -> None:
        with self.lock:
            self.rows[row.account_id] = _copy(row)

    def load_account(self, account_id: str) -> AccountRow | None:
        with self.lock:
            row = self.rows.get(account_id)
            return _copy(row) if row is not None else None

    def account_exists(self, account_id: str) -> bool:
        with self.lock:
            return account_id in self.rows

    def account_status(self, account_id: str) -> str | None:
        with self.lock:
            row = self.rows.get(account_id)
            return row.status if row is not None else None

    def get_account(self, scope: Scope, account_id: str) -> AccountRow:
        scope.check(account_id)
        row = self.load_account(account_id)
        if row is None:
            raise NotFound(f"no account {account_id!r}")
        return row

    def accounts_page(self, scope: Scope, *, limit: int, start: dict | None = None
                      ) -> tuple[list[AccountRow], dict | None]:
        if scope.account_id is not None:
            row = self.load_account(scope.check(scope.account_id))
            return ([row] if row is not None else []), None
        first = after(start, "account_id")
        with self.lock:
            ids = sorted(i for i in self.rows if i > first)
            rows = [_copy(self.rows[i]) for i in ids[:limit]]
        return rows, (cursor(rows[-1].account_id) if len(ids) > limit else None)

    def update_account(self, scope: Scope, account_id: str, changes: dict, now: datetime) -> AccountRow:
        scope.check(account_id)
        check_changes(changes)
        with self.lock:
            held = self.rows.get(account_id)
            if held is None:
                raise NotFound(f"no account {account_id!r}")
            row = held.changed(**copy.deepcopy(changes), updated_at=now)
            self.rows[account_id] = row
            return _copy(row)

    def every_account(self) -> Iterator[AccountRow]:
        with self.lock:
            rows = [_copy(self.rows[i]) for i in sorted(self.rows)]
        yield from rows

    def claim_token(self, account_id: str, token: str) -> None:
        key = hashlib.sha256(token.encode("utf-8")).hexdigest()
        with self.lock:
            if self.tokens.setdefault(key, account_id) != account_id:
                raise Conflict(TOKEN_TAKEN)

    def release_token(self, account_id: str, token: str) -> None:
        key = hashlib.sha256(token.encode("utf-8")).hexdigest()
        with self.lock:
            if self.tokens.get(key) == account_id:
                del self.tokens[key]
