"""The console access store's contract, for the in-memory twin and DynamoDB (moto) alike: sessions (never
overwritten, gone once expired), single-use login states, and staff roles (tenancy, paging, removal)."""

from __future__ import annotations

import pytest

from scrm.errors import Conflict, Forbidden
from scrm.stores.console import KEY, WECOM_STAFF, LoginState, Session, StaffRole
from scrm.tenancy import Scope

NOW = 1_800_000_000.0
A, B = "acct-a", "acct-b"


@pytest.fixture(params=["memory", "dynamo"])
def store(request):
    if request.param == "memory":
        from scrm.stores.console import MemoryConsoleStore

        return MemoryConsoleStore()
    request.getfixturevalue("aws")
    from scrm.stores.console.dynamo import DynamoConsoleStore

    return DynamoConsoleStore()


def session(id_hash="h1", expires_at=NOW + 100, **who) -> Session:
    base = {"principal_kind": KEY, "role": "operator", "account_id": A, "key_id": f"{A}.k0123456789abcdef"}
    return Session(id_hash=id_hash, csrf_token="csrf-" + id_hash, created_at=NOW, expires_at=expires_at,
                   **{**base, **who})


def role(userid: str, account_id: str = A, name: str = "viewer") -> StaffRole:
    return StaffRole(account_id=account_id, userid=userid, role=name, updated_at=NOW, updated_by="k")


def test_a_session_is_read_back_until_it_expires(store):
    stored = session()
    store.create_session(stored)
    assert store.get_session("h1", NOW) == stored
    assert store.get_session("h1", NOW + 99.5) == stored
    assert store.get_session("h1", NOW + 100) is None  # expired at its expiry, whatever TTL has done
    assert store.get_session("other", NOW) is None


def test_a_staff_session_keeps_who_it_is(store):
    stored = session("h2", principal_kind=WECOM_STAFF, key_id=None, corpid="ww1", userid="zhangsan", role="admin")
    store.create_session(stored)
    assert store.get_session("h2", NOW) == stored


def test_a_session_is_never_overwritten(store):
    store.create_session(session())
    with pytest.raises(Conflict):
        store.create_session(session(role="admin"))
    assert store.get_session("h1", NOW).role == "operator"


def test_a_deleted_session_is_gone(store):
    store.create_session(session())
    store.delete_session("h1")
    store.delete_session("h1")  # idempotent
    assert store.get_session("h1", NOW) is None


def test_a_login_state_is_taken_once(store):
    store.put_login_state(LoginState("s1", A, NOW + 600))
    with pytest.raises(Conflict):
        store.put_login_state(LoginState("s1", B, NOW + 600))
    assert store.take_login_state("s1", NOW) == LoginState("s1", A, NOW + 600)
    assert store.take_login_state("s1", NOW) is None
    assert store.take_login_state("never", NOW) is None


def test_an_expired_login_state_is_refused_and_used_up(store):
    store.put_login_state(LoginState("s2", A, NOW + 600))
    assert store.take_login_state("s2", NOW + 600) is None
    assert store.take_login_state("s2", NOW) is None


def test_staff_roles_are_the_accounts_own(store):
    store.put_staff_role(Scope.system(A), role("lisi"))
    with pytest.raises(Forbidden):
        store.put_staff_role(Scope(account_id=B, key_id="b.k1", role="admin"), role("wangwu"))
    with pytest.raises(Forbidden):
        store.list_staff_roles(Scope(account_id=B, key_id="b.k1", role="admin"), A, limit=10)
    with pytest.raises(Forbidden):
        store.delete_staff_role(Scope(account_id=B, key_id="b.k1", role="admin"), A, "lisi")
    assert store.get_staff_role(A, "lisi") == role("lisi")
    assert store.get_staff_role(B, "lisi") is None


def test_a_role_is_replaced_and_removed(store):
    store.put_staff_role(Scope.system(A), role("lisi"))
    store.put_staff_role(Scope.system(A), role("lisi", name="admin"))
    assert store.get_staff_role(A, "lisi").role == "admin"
    assert store.delete_staff_role(Scope.system(A), A, "lisi") == role("lisi", name="admin")
    assert store.delete_staff_role(Scope.system(A), A, "lisi") is None
    assert store.get_staff_role(A, "lisi") is None


def test_staff_roles_come_in_pages_by_userid(store):
    for userid in ("u3", "u1", "u5", "u2", "u4"):
        store.put_staff_role(Scope.system(A), role(userid))
    store.put_staff_role(Scope.system(B), role("u0", account_id=B))
    seen, start, pages = [], None, 0
    while True:
        items, start = store.list_staff_roles(Scope.system(A), A, limit=2, start=start)
        seen += [r.userid for r in items]
        pages += 1
        if start is None:
            break
    assert seen == ["u1", "u2", "u3", "u4", "u5"] and pages == 3
    assert store.list_staff_roles(Scope.system(A), A, limit=5) == (
        [role(u) for u in ("u1", "u2", "u3", "u4", "u5")], None)


def test_failed_sign_ins_are_counted_per_source_and_window_until_the_window_expires(store):
    assert store.sign_in_failures("src-a", 7, NOW) == 0
    assert [store.add_sign_in_failure("src-a", 7, NOW + 300) for _ in range(3)] == [1, 2, 3]
    store.add_sign_in_failure("src-b", 7, NOW + 300)
    store.add_sign_in_failure("src-a", 8, NOW + 600)
    assert store.sign_in_failures("src-a", 7, NOW) == 3 and store.sign_in_failures("src-b", 7, NOW) == 1
    assert store.sign_in_failures("src-a", 7, NOW + 300) == 0  # gone at its expiry, whatever TTL has done
    assert store.sign_in_failures("src-a", 8, NOW + 300) == 1
