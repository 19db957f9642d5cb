"""Table `audit_log`: who (key id) did what (action) to which object, when, and how it ended.

Partition key is the account the action concerned (`_platform` for platform-level actions); the sort
key starts with the ISO time so an account's log reads newest first in one Query.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.models import Model

from ..tenancy import Scope
from .registry import table

RETENTION_DAYS = 400


@table("audit_log")
class AuditEntry(Model):
    class Meta:
        pass

    account_id = UnicodeAttribute(hash_key=True)
    entry_id = UnicodeAttribute(range_key=True)  # "<ISO time>#<random>"
    at = UTCDateTimeAttribute()
    key_id = UnicodeAttribute()
    action = UnicodeAttribute()  # e.g. "account.create", "key.revoke"
    object = UnicodeAttribute(default="")  # the request path or object id
    outcome = UnicodeAttribute()  # "ok" | "error" | "denied"
    status = NumberAttribute(default=0)  # HTTP status answered
    method = UnicodeAttribute(default="")
    detail = UnicodeAttribute(null=True)  # error code/message on failure
    request_id = UnicodeAttribute(null=True)
    expires = TTLAttribute(null=True)


def append(account_id: str, *, key_id: str, action: str, object: str, outcome: str, status: int = 0,
           method: str = "", detail: str | None = None, request_id: str | None = None) -> AuditEntry:
    """Written by the admin API itself after it authenticated the caller; the caller cannot forge it."""
    now = datetime.now(UTC)
    entry = AuditEntry(account_id=account_id, entry_id=f"{now.isoformat(timespec='milliseconds')}#"
                       f"{secrets.token_hex(4)}", at=now, key_id=key_id, action=action, object=object,
                       outcome=outcome, status=status, method=method, detail=detail, request_id=request_id,
                       expires=now + timedelta(days=RETENTION_DAYS))
    entry.save()
    return entry


def query(scope: Scope, account_id: str, *, limit: int, start: dict | None = None, action: str | None = None,
          key_id: str | None = None):
    scope.check(account_id)
    condition = None
    if action:
        condition = AuditEntry.action.startswith(action)
    if key_id:
        c = AuditEntry.key_id == key_id
        condition = c if condition is None else condition & c
    return AuditEntry.query(account_id, scan_index_forward=False, limit=limit, last_evaluated_key=start,
                            filter_condition=condition)
