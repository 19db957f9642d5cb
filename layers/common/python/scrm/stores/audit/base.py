"""The audit store: who (key id) did what (action) to which object, when, and how it ended (table `audit_log`,
model in scrm.data.audit_log).

An entry is an `AuditRow`, filed under the account the action concerned (`_platform` for platform-level actions).
Entries are only appended (by the admin API after it authenticated the caller: a caller cannot forge one) and
read newest first; the one change an entry ever gets is an erasure's pseudonymising of its object and detail.
Tenancy: every read and the scrub take the caller's scope and refuse (Forbidden) another account's log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from ...tenancy import Scope

RETENTION_DAYS = 400  # entries expire (DynamoDB TTL) this long after they were written


@dataclass(frozen=True)
class AuditRow:
    account_id: str
    entry_id: str  # "<ISO time>#<random>": sorts by time
    at: datetime
    key_id: str
    action: str  # e.g. "account.create", "key.revoke"
    outcome: str  # "ok" | "error" | "denied"
    object: str = ""  # the request path or object id
    status: int = 0  # HTTP status answered
    method: str = ""
    detail: str | None = None  # error code/message on failure
    request_id: str | None = None

    @property
    def expires(self) -> datetime:
        return self.at + timedelta(days=RETENTION_DAYS)


def entry_id(at: datetime, suffix: str) -> str:
    return f"{at.isoformat(timespec='milliseconds')}#{suffix}"


def matches(row: AuditRow, action: str | None, key_id: str | None) -> bool:
    """The listing's filter: actions starting with `action`, made by `key_id`."""
    return (not action or row.action.startswith(action)) and (not key_id or row.key_id == key_id)




class AuditStore(Protocol):
    def add_entry(self, row: AuditRow) -> None:
        """Add an entry (its id is unique: time and random suffix); entries are never changed here."""

    def entries_page(self, scope: Scope, account_id: str, *, limit: int, start: dict | None = None,
                     action: str | None = None, key_id: str | None = None) -> tuple[list[AuditRow], dict | None]:
        """At most `limit` of the account's entries matching the filter (`matches`), newest first, and the cursor
        of the next page (None when none is left; a page may come back short with a cursor: follow it)."""

    def entries_mentioning(self, scope: Scope, account_id: str, values: set[str]) -> list[AuditRow]:
        """The account's entries whose object or detail contains any of `values` (an erasure's finder: a
        substring test, which the caller narrows to whole identifiers), oldest first."""

    def scrub_entry(self, scope: Scope, account_id: str, entry_id: str, *, object: str, detail: str | None) -> None:
        """Replace an existing entry's object and detail (an erasure pseudonymises the person in them; who did
        what, when and how it ended stay). An entry that is not there is left so (never created)."""
