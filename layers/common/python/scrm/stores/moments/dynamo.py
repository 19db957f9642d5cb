"""The moment store on DynamoDB (the `moments` table; the monthly counts in `quota_ledger` through the pushes'
ledger transactions, scrm.stores.pushes.dynamo_ledger). Conditions and crash semantics: base.MomentStore."""

from __future__ import annotations

from ...data.moments import MomentRecord as M
from ...tenancy import Scope
from .. import records
from ..pushes import dynamo_leases as leases
from ..pushes import dynamo_ledger as ledger
from ..pushes.layout import ScopedStore
from ..records import JsonRecord
from .base import DuplicateMoment

JSON_FIELDS = ("content", "visible_range", "invalid", "figures", "preview")
RECORDS = JsonRecord(JSON_FIELDS)
_dict, _encode = RECORDS.to_dict, RECORDS.encode


class DynamoMomentStore(ScopedStore):
    def __init__(self, scope: Scope | None = None):
        super().__init__(scope or Scope.system())

    def create_moment(self, moment: dict) -> None:
        self._c(moment["account_id"])
        records.create(M, RECORDS, moment, DuplicateMoment, "moment")

    def get_moment(self, account_id: str, moment_id: str) -> dict | None:
        self._c(account_id)
        return records.get(M, RECORDS, account_id, moment_id)

    def page_moments(self, account_id: str, limit: int = 50, start: dict | None = None
                     ) -> tuple[list[dict], dict | None]:
        self._c(account_id)
        return records.page(M, RECORDS, account_id, limit, start)

    def update_moment(self, account_id: str, moment_id: str, changes: dict, *, expect_status=None,
                      expect_owner: str | None = None) -> bool:
        self._c(account_id)
        return leases.update_fields(M, M(account_id, moment_id), changes, _encode, M.moment_id.exists(),
                                    expect_status=expect_status, expect_owner=expect_owner)

    def claim(self, account_id: str, moment_id: str, owner: str, now: float, lease_until: float) -> dict | None:
        self._c(account_id)
        rec = M(account_id, moment_id)
        due = M.due.exists() & (M.next_run_at <= now)
        return _dict(rec) if leases.claim(M, rec, due, owner, now, lease_until) else None

    def due(self, now: float, limit: int = 25) -> list[tuple[str, str]]:
        return [(r.account_id, r.moment_id) for r in M.due_index.query("1", M.next_run_at <= now, limit=limit)
                if self._in_scope(r.account_id)]

    # ---- the monthly counts: the pushes' quota ledger (same table, same transactions)
    def reserve_many(self, account_id: str, keys: list[str], limit: int, holder: str, ttl: int) -> list[bool]:
        self._c(account_id)
        return ledger.reserve_many(self, keys, limit, holder, ttl)

    def release_many(self, account_id: str, keys: list[str], holder: str) -> None:
        self._c(account_id)
        ledger.release_many(self, keys, holder)

    def used_many(self, account_id: str, keys: list[str]) -> dict[str, int]:
        self._c(account_id)
        return ledger.used_many(keys)
