"""The member store's contract, for the in-memory twin and DynamoDB (moto) alike: idempotent upserts (unchanged
rows not written, created_at kept), tries limited per openid and hour, a verification recorded and counted once,
joins counted once per marker, privacy finders and erasure, tenancy."""

from __future__ import annotations

import pytest

from scrm.errors import Forbidden
from scrm.tenancy import Scope
from tests.contract.stores import IMPLEMENTATIONS, make_store

A = "corp-a"
SCOPE = Scope.system(A)
T0 = 1_764_576_000


@pytest.fixture(params=IMPLEMENTATIONS)
def store(request):
    return make_store(request, "members", "MemberStore")


def row(member_id, h="h1", name=None, level=None):
    return {"member_id": member_id, "phone_hash": h, "name": name, "level": level}


def test_upserts_are_idempotent_and_keep_created_at(store):
    assert store.upsert_members(SCOPE, A, [row("A", name="张三"), row("B")], T0) == {
        "created": 2, "updated": 0, "unchanged": 0}
    assert store.upsert_members(SCOPE, A, [row("A", name="张三"), row("B", "h2", level="金卡")], T0 + 5) == {
        "created": 0, "updated": 1, "unchanged": 1}
    got = store.get_members(SCOPE, A, ["A", "B", "C"])
    assert set(got) == {"A", "B"} and got["B"]["phone_hash"] == "h2" and got["B"]["level"] == "金卡"
    assert got["B"]["created_at"] == T0 and got["B"]["updated_at"] == T0 + 5 and got["A"]["updated_at"] == T0
    store.upsert_members(SCOPE, A, [row("B", "h2")], T0 + 9)  # level cleared
    assert store.get_members(SCOPE, A, ["B"])["B"]["level"] is None


def test_tries_verifications_and_join_markers(store):
    assert [store.take_try(SCOPE, A, "o1", 7, 5) for _ in range(6)] == [True] * 5 + [False]
    assert store.take_try(SCOPE, A, "o1", 8, 5)
    assert store.verification(SCOPE, A, "ch", "o1") is None
    assert store.record_verified(SCOPE, A, "ch", "o1", "A", T0)
    assert not store.record_verified(SCOPE, A, "ch", "o1", "A", T0 + 1)
    assert store.verification(SCOPE, A, "ch", "o1") == {"channel_id": "ch", "openid": "o1", "member_id": "A",
                                                       "verified_at": T0}
    store.count(SCOPE, A, "ch", "refused")
    assert store.count(SCOPE, A, "ch", "joined", marker="j1", expires_at=T0 + 60)
    assert not store.count(SCOPE, A, "ch", "joined", marker="j1", expires_at=T0 + 60)
    assert store.figures(SCOPE, A, "ch") == {"verified": 1, "refused": 1, "joined": 1, "joined_verified": 0}
    assert store.figures(SCOPE, A, "other") == {"verified": 0, "refused": 0, "joined": 0, "joined_verified": 0}


def test_privacy_finds_and_erases_verifications(store):
    store.record_verified(SCOPE, A, "ch", "o1", "A", T0)
    store.record_verified(SCOPE, A, "ch", "o2", "B", T0)
    [found] = store.verifications_of(SCOPE, A, {"o1"})
    assert found["member_id"] == "A"
    store.erase_verification(SCOPE, A, found)
    assert store.verification(SCOPE, A, "ch", "o1") is None and store.verification(SCOPE, A, "ch", "o2")
    assert store.figures(SCOPE, A, "ch")["verified"] == 2  # counts stay


def test_another_accounts_scope_is_refused(store):
    with pytest.raises(Forbidden):
        store.get_members(Scope("corp-b", "k", "admin"), A, ["A"])
    with pytest.raises(Forbidden):
        store.take_try(Scope("corp-b", "k", "admin"), A, "o1", 1, 5)
