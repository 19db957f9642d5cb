"""The admin key store's contract, for the in-memory twin and DynamoDB (moto) alike: a key id is created once,
tenancy (platform keys only by the system), revocation kept as first made, paging."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from scrm.errors import Conflict, Forbidden, NotFound
from scrm.stores.admin_keys import PLATFORM, KeyRow
from scrm.tenancy import Scope
from tests.contract.stores import IMPLEMENTATIONS, make_store

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
A = "acct-a"
ADMIN_A = Scope(account_id=A, key_id=f"{A}.k0000000000000000", role="admin")
ADMIN_B = Scope(account_id="acct-b", key_id="acct-b.k0000000000000000", role="admin")


@pytest.fixture(params=IMPLEMENTATIONS)
def store(request):
    return make_store(request, "admin_keys", "AdminKeyStore")


def key(account_id: str, n: int, **values) -> KeyRow:
    return KeyRow(account_id=account_id, key_id=f"{account_id}.k{n:016x}", key_hash=f"{n:064x}",
                  role=values.pop("role", "operator"), created_at=T0, **values)


def test_a_key_id_is_created_once(store):
    first = key(A, 1, name="ops", created_by=ADMIN_A.key_id, expires_at=T0 + timedelta(days=30))
    assert store.create_key(ADMIN_A, first) == first
    with pytest.raises(Conflict):
        store.create_key(ADMIN_A, key(A, 1, role="admin"))
    assert store.find_key(A, first.key_id) == first and store.key_of(ADMIN_A, A, first.key_id) == first
    assert store.find_key(A, f"{A}.k{2:016x}") is None


def test_keys_of_another_account_are_out_of_reach(store):
    store.create_key(ADMIN_A, key(A, 1))
    for call in (lambda: store.create_key(ADMIN_B, key(A, 2)), lambda: store.key_of(ADMIN_B, A, key(A, 1).key_id),
                 lambda: store.keys_page(ADMIN_B, A, limit=5),
                 lambda: store.revoke_key(ADMIN_B, A, key(A, 1).key_id, T0)):
        with pytest.raises(Forbidden):
            call()
    assert store.find_key(A, key(A, 2).key_id) is None and store.find_key(A, key(A, 1).key_id).revoked_at is None
    with pytest.raises(NotFound):  # a key id that names another account's key is not read at all
        store.key_of(ADMIN_A, A, "acct-b.k0000000000000001")


def test_only_the_system_creates_platform_keys(store):
    with pytest.raises(Forbidden):
        store.create_key(ADMIN_A, key(PLATFORM, 1, role="admin"))
    with pytest.raises(Forbidden):
        store.create_key(Scope(account_id=None, key_id="_platform.k1", role="admin"), key(PLATFORM, 1, role="admin"))
    assert store.platform_keys() == []
    made = store.create_key(Scope.system(), key(PLATFORM, 1, role="admin"))
    assert store.platform_keys() == [made]


def test_the_first_revocation_is_the_one_kept(store):
    store.create_key(ADMIN_A, key(A, 1))
    revoked = store.revoke_key(ADMIN_A, A, key(A, 1).key_id, T0 + timedelta(hours=1))
    assert (revoked.revoked_at, revoked.revoked_by) == (T0 + timedelta(hours=1), ADMIN_A.key_id)
    assert revoked.status(T0 + timedelta(hours=2)) == "revoked"
    other = Scope.system(A)
    again = store.revoke_key(other, A, key(A, 1).key_id, T0 + timedelta(hours=5))
    assert again == revoked == store.find_key(A, key(A, 1).key_id)
    with pytest.raises(NotFound):
        store.revoke_key(ADMIN_A, A, key(A, 9).key_id, T0)
    assert store.find_key(A, key(A, 9).key_id) is None  # nothing created by revoking a missing key


def test_expiry_is_read_against_the_given_time(store):
    made = store.create_key(ADMIN_A, key(A, 1, expires_at=T0 + timedelta(days=1)))
    assert made.status(T0) == "active" and made.status(T0 + timedelta(days=1)) == "expired"


def test_an_accounts_keys_page_in_key_order(store):
    for n in range(7):
        store.create_key(ADMIN_A, key(A, n))
    store.create_key(ADMIN_B, key("acct-b", 1))
    seen, start = [], None
    for _ in range(10):
        rows, start = store.keys_page(ADMIN_A, A, limit=3, start=start)
        assert len(rows) <= 3
        seen += [r.key_id for r in rows]
        if start is None:
            break
    assert seen == [key(A, n).key_id for n in range(7)]
    with pytest.raises(ValueError):  # a cursor of another account's listing
        store.keys_page(ADMIN_A, A, limit=3, start={"account_id": {"S": "acct-b"}, "key_id": {"S": "acct-b.k0"}})
