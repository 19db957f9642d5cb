"""The audit log's part of an erasure on the audit store's twin: entries naming the person are exported, then kept
with the person pseudonymised in their object and detail (who did what, when, how it ended stay); entries of
others, and an identifier merely containing the person's, are left as they are."""

from __future__ import annotations

from datetime import UTC, datetime

from scrm import bootstrap
from scrm.services import privacy
from scrm.services.privacy import stored
from scrm.stores.audit import AuditRow, MemoryAuditStore
from scrm.stores.audit.base import entry_id
from scrm.tenancy import Scope

A = "acct-a"
T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def row(n: int, obj: str, detail: str | None = None) -> AuditRow:
    return AuditRow(account_id=A, entry_id=entry_id(T0, f"{n:04x}"), at=T0, key_id="acct-a.k1",
                    action="contact.read", outcome="ok", object=obj, status=200, method="GET", detail=detail)


def test_the_audit_log_is_exported_then_pseudonymised_through_the_store():
    audit = MemoryAuditStore()
    bootstrap.reset(audit_store=audit)
    for r in (row(1, f"/accounts/{A}/contacts/o-1"), row(2, f"/accounts/{A}/contacts/o-10"),
              row(3, "/accounts/acct-a/keys", detail="asked about o-1")):
        audit.add_entry(r)
    p = privacy.Person(A, openids={"o-1"})
    scope = Scope.system(A)
    shown = stored.audit_log(scope, p, False)
    assert [e["entry_id"] for e in shown] == [row(1, "").entry_id, row(3, "").entry_id]
    assert shown[0]["at"].startswith("2026-03-01T16:00:00")  # answered in China time
    assert len(stored.audit_log(scope, p, True)) == 2
    rows = {r.entry_id: r for r in audit.rows.values()}
    assert rows[row(1, "").entry_id].object == f"/accounts/{A}/contacts/{p.pseudonym}"
    assert rows[row(3, "").entry_id].detail == f"asked about {p.pseudonym}"
    assert rows[row(2, "").entry_id].object == f"/accounts/{A}/contacts/o-10"
    assert rows[row(1, "").entry_id].action == "contact.read" and rows[row(1, "").entry_id].at == T0
    assert stored.audit_log(scope, p, True) == []  # erased once: found no more
