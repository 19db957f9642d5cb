"""The audit log: record admin actions (written by the admin API for routes declared with `audit=`) and read
them back per account (through the audit store, scrm.stores.audit)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from ..bootstrap import audit_store, container
from ..domain.instants import answer_time
from ..observability import logger
from ..stores.audit.base import AuditRow, entry_id
from ..tenancy import Scope

PLATFORM = "_platform"


def record(account_id: str | None, *, key_id: str, action: str, object: str, outcome: str, status: int,
           method: str = "", detail: str | None = None, request_id: str | None = None) -> None:
    """Append one entry. A failed write is logged, never turned into a failed admin call after the fact."""
    at = datetime.fromtimestamp(container().now(), UTC)
    try:
        audit_store().add_entry(AuditRow(
            account_id=account_id or PLATFORM, entry_id=entry_id(at, secrets.token_hex(4)), at=at, key_id=key_id,
            action=action, object=object, outcome=outcome, status=status, method=method,
            detail=(detail or None) and detail[:500], request_id=request_id))
    except Exception:
        logger().exception("audit log write failed", extra={"action": action, "object": object})


def view(entry) -> dict:
    return {"at": answer_time(entry.at), "key_id": entry.key_id, "action": entry.action, "object": entry.object,
            "method": entry.method, "outcome": entry.outcome, "status": int(entry.status or 0),
            "detail": entry.detail, "request_id": entry.request_id}


def entries(scope: Scope, account_id: str, *, limit: int, start: dict | None = None, action: str | None = None,
            key_id: str | None = None):
    """(the account's entries, newest first; cursor of the next page or None)."""
    return audit_store().entries_page(scope, account_id, limit=limit, start=start, action=action, key_id=key_id)
