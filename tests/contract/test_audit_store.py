"""The audit store's contract, for the in-memory twin and DynamoDB (moto) alike: entries append once, read newest
first in pages, filtered by action prefix and key, and only for the account's own scope."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from scrm.errors import Conflict, Forbidden
from scrm.stores.audit import AuditRow
from scrm.stores.audit.base import entry_id
from scrm.tenancy import Scope
from tests.contract.stores import IMPLEMENTATIONS, make_store

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
A = "acct-a"


@pytest.fixture(params=IMPLEMENTATIONS)
def store(request):
    return make_store(request, "audit", "AuditStore")


def entry(n: int, account_id: str = A, action: str = "channel.create", key_id: str = "acct-a.k1", **values):
    at = T0 + timedelta(seconds=n)
    return AuditRow(account_id=account_id, entry_id=entry_id(at, f"{n:08x}"), at=at, key_id=key_id, action=action,
                    outcome=values.pop("outcome", "ok"), object=f"/accounts/{account_id}/channels/c{n}",
                    status=201, method="POST", **values)


def read_all(store, scope, account_id, limit, **filters) -> list[AuditRow]:
    seen, start = [], None
    for _ in range(50):
        rows, start = store.entries_page(scope, account_id, limit=limit, start=start, **filters)
        assert len(rows) <= limit
        seen += rows
        if start is None:
            return seen
    raise AssertionError("the pages never ended")


def test_entries_read_newest_first_in_pages(store):
    for n in range(7):
        store.add_entry(entry(n, detail="渠道已存在" if n == 3 else None, request_id=f"req-{n}"))
    store.add_entry(entry(1, account_id="acct-b"))
    assert read_all(store, Scope.system(A), A, 3) == [entry(n, detail="渠道已存在" if n == 3 else None,
                                                             request_id=f"req-{n}") for n in reversed(range(7))]


def test_an_entry_id_is_written_once(store):
    store.add_entry(entry(1))
    with pytest.raises(Conflict):
        store.add_entry(entry(1, action="key.revoke"))
    assert [r.action for r in read_all(store, Scope.system(A), A, 5)] == ["channel.create"]


def test_filters_by_action_prefix_and_key(store):
    store.add_entry(entry(1, action="key.create"))
    store.add_entry(entry(2, action="key.revoke", key_id="acct-a.k2"))
    store.add_entry(entry(3, action="channel.update"))
    store.add_entry(entry(4, action="key.revoke"))
    scope = Scope.system(A)
    assert [r.at for r in read_all(store, scope, A, 1, action="key.")] == [entry(n).at for n in (4, 2, 1)]
    assert [r.at for r in read_all(store, scope, A, 2, key_id="acct-a.k2")] == [entry(2).at]
    assert [r.at for r in read_all(store, scope, A, 2, action="key.revoke", key_id="acct-a.k1")] == [entry(4).at]


def test_another_accounts_log_is_out_of_reach(store):
    store.add_entry(entry(1))
    with pytest.raises(Forbidden):
        store.entries_page(Scope(account_id="acct-b", key_id="acct-b.k1", role="admin"), A, limit=5)
    with pytest.raises(ValueError):  # a cursor of another account's listing
        store.entries_page(Scope.system(A), A, limit=5, start={"account_id": {"S": "acct-b"},
                                                       "entry_id": {"S": entry(1).entry_id}})


def test_an_erasure_finds_entries_mentioning_a_person_and_scrubs_only_their_object_and_detail(store):
    scope = Scope.system(A)
    store.add_entry(entry(1))
    mentioned = AuditRow(account_id=A, entry_id=entry_id(T0, "aa"), at=T0, key_id="acct-a.k1",
                         action="contact.read", outcome="error", object=f"/accounts/{A}/contacts/o-1",
                         status=404, method="GET", detail="no contact o-1")
    store.add_entry(mentioned)
    store.add_entry(AuditRow(**{**mentioned.__dict__, "account_id": "acct-b"}))
    found = store.entries_mentioning(scope, A, {"o-1", "u-9"})
    assert found == [mentioned] and store.entries_mentioning(scope, A, set()) == []
    store.scrub_entry(scope, A, mentioned.entry_id, object=f"/accounts/{A}/contacts/erased-1", detail=None)
    store.scrub_entry(scope, A, mentioned.entry_id, object=f"/accounts/{A}/contacts/erased-1", detail=None)  # again
    store.scrub_entry(scope, A, entry_id(T0, "none"), object="x", detail=None)  # not there: nothing made
    rows = read_all(store, scope, A, 10)
    assert len(rows) == 2 and store.entries_mentioning(scope, A, {"o-1"}) == []
    scrubbed = next(r for r in rows if r.entry_id == mentioned.entry_id)
    assert (scrubbed.object, scrubbed.detail, scrubbed.action, scrubbed.at, scrubbed.status) == (
        f"/accounts/{A}/contacts/erased-1", None, "contact.read", T0, 404)
    assert store.entries_mentioning(Scope.system("acct-b"), "acct-b", {"o-1"})  # another account's stays
    with pytest.raises(Forbidden):
        store.scrub_entry(Scope(account_id="acct-b", key_id="acct-b.k1", role="admin"), A, mentioned.entry_id,
                          object="x", detail=None)
    with pytest.raises(Forbidden):
        store.entries_mentioning(Scope(account_id="acct-b", key_id="acct-b.k1", role="admin"), A, {"o-1"})
