"""The admin key store on DynamoDB (table `admin_keys`, model scrm.data.admin_keys.AdminKeyRecord)."""

from __future__ import annotations

from datetime import datetime

from pynamodb.exceptions import PutError, UpdateError

from ...data import admin_keys as records
from ...data.admin_keys import AdminKeyRecord
from ...errors import Conflict
from ...tenancy import Scope
from ..cursors import check_page
from .base import PLATFORM, KeyRow, check_owner, read_key

FIELDS = ("account_id", "key_id", "key_hash", "role", "created_at", "name", "created_by", "expires_at", "revoked_at",
          "revoked_by")


def row_of(rec: AdminKeyRecord) -> KeyRow:
    return KeyRow(**{name: getattr(rec, name) for name in FIELDS})


def _refused(exc) -> bool:
    return exc.cause_response_code == "ConditionalCheckFailedException"


class DynamoAdminKeyStore:
    def find_key(self, account_id: str, key_id: str) -> KeyRow | None:
        rec = records.lookup(account_id, key_id)
        return row_of(rec) if rec is not None else None

    def create_key(self, scope: Scope, row: KeyRow) -> KeyRow:
        check_owner(scope, row.account_id)
        try:
            AdminKeyRecord(**{name: getattr(row, name) for name in FIELDS}).save(
                condition=AdminKeyRecord.key_id.does_not_exist())
        except PutError as exc:
            if _refused(exc):
                raise Conflict(f"key {row.key_id!r} exists already") from None
            raise
        return row

    def key_of(self, scope: Scope, account_id: str, key_id: str) -> KeyRow:
        return read_key(scope, account_id, key_id, self.find_key)

    def keys_page(self, scope: Scope, account_id: str, *, limit: int, start: dict | None = None
                  ) -> tuple[list[KeyRow], dict | None]:
        check_page(scope, account_id, start)
        results = AdminKeyRecord.query(account_id, limit=limit, last_evaluated_key=start)
        rows = [row_of(r) for r in results]
        return rows, results.last_evaluated_key

    def revoke_key(self, scope: Scope, account_id: str, key_id: str, at: datetime) -> KeyRow:
        self.key_of(scope, account_id, key_id)
        try:
            AdminKeyRecord(account_id, key_id).update(
                actions=[AdminKeyRecord.revoked_at.set(at), AdminKeyRecord.revoked_by.set(scope.key_id)],
                condition=AdminKeyRecord.key_id.exists() & AdminKeyRecord.revoked_at.does_not_exist())
        except UpdateError as exc:
            if not _refused(exc):
                raise
        return self.key_of(scope, account_id, key_id)

    def platform_keys(self) -> list[KeyRow]:
        return [row_of(r) for r in AdminKeyRecord.query(PLATFORM)]
