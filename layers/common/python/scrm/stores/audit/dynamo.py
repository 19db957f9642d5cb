"""The audit store on DynamoDB (table `audit_log`, model scrm.data.audit_log.AuditEntry)."""

from __future__ import annotations

from pynamodb.exceptions import PutError, UpdateError

from ...data.audit_log import AuditEntry
from ...errors import Conflict
from ...tenancy import Scope
from ..cursors import check_page
from .base import AuditRow

FIELDS = ("account_id", "entry_id", "at", "key_id", "action", "outcome", "object", "status", "method", "detail",
          "request_id")


def row_of(entry: AuditEntry) -> AuditRow:
    values = {name: getattr(entry, name) for name in FIELDS}
    return AuditRow(**{**values, "status": int(values["status"] or 0), "object": values["object"] or ""})


class DynamoAuditStore:
    def add_entry(self, row: AuditRow) -> None:
        entry = AuditEntry(**{name: getattr(row, name) for name in FIELDS}, expires=row.expires)
        try:
            entry.save(condition=AuditEntry.entry_id.does_not_exist())
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                raise Conflict(f"audit entry {row.entry_id!r} exists already") from None
            raise

    def entries_page(self, scope: Scope, account_id: str, *, limit: int, start: dict | None = None,
                     action: str | None = None, key_id: str | None = None) -> tuple[list[AuditRow], dict | None]:
        check_page(scope, account_id, start)
        condition = None
        if action:
            condition = AuditEntry.action.startswith(action)
        if key_id:
            by_key = AuditEntry.key_id == key_id
            condition = by_key if condition is None else condition & by_key
        results = AuditEntry.query(account_id, scan_index_forward=False, limit=limit, last_evaluated_key=start,
                                   filter_condition=condition)
        rows = [row_of(e) for e in results]
        return rows, results.last_evaluated_key

    def entries_mentioning(self, scope: Scope, account_id: str, values: set[str]) -> list[AuditRow]:
        scope.check(account_id)
        condition = None
        for value in sorted(values):
            c = AuditEntry.object.contains(value) | AuditEntry.detail.contains(value)
            condition = c if condition is None else condition | c
        if condition is None:
            return []
        return [row_of(e) for e in AuditEntry.query(account_id, filter_condition=condition, consistent_read=True)]

    def scrub_entry(self, scope: Scope, account_id: str, entry_id: str, *, object: str, detail: str | None) -> None:
        scope.check(account_id)
        actions = [AuditEntry.object.set(object),
                   AuditEntry.detail.set(detail) if detail else AuditEntry.detail.remove()]
        try:
            AuditEntry(account_id, entry_id).update(actions=actions, condition=AuditEntry.entry_id.exists())
        except UpdateError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
