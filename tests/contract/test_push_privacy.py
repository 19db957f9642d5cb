"""The push store's privacy part (scrm.stores.pushes.privacy), for the in-memory twin and DynamoDB (moto) alike:
each finder returns the person's items (explicit audiences, recipient lists and once-markers, per-recipient quota
rows, the interaction window), an erasure pseudonymises or deletes exactly those (batch sizes and quota usage
unchanged, others untouched) and another account's scope is refused."""

from __future__ import annotations

import pytest

from scrm.domain.persons import Person
from scrm.errors import Forbidden
from scrm.stores.pushes import MemoryPushStore
from scrm.tenancy import Scope

A, B, NOW, TTL = "acct-a", "acct-b", 1_780_000_000.0, 86400
FINDERS = ("person_pushes", "person_segments", "person_push_batches", "person_quota_ledger", "person_interactions")


@pytest.fixture(params=["memory", "dynamo"])
def store(request):
    if request.param == "memory":
        return MemoryPushStore(Scope.system())
    request.getfixturevalue("aws")
    from scrm.stores.pushes import DynamoPushStore

    return DynamoPushStore(Scope.system())


def quota_key(account_id: str, recipient: str) -> str:
    return f"{account_id}#mass#recipient#m202605#{recipient}"


def seed(store, account_id: str) -> None:
    audience = {"type": "openids", "openids": ["o-1", "o-2"]}
    store.create_push({"account_id": account_id, "push_id": "p1", "name": "", "platform": "oa", "delivery": "mass",
                       "status": "done", "content": {"type": "text", "text": "hi"}, "audience": audience,
                       "timezone": "Asia/Shanghai", "send_at": NOW, "run_no": 1, "next_run_at": NOW, "runs": [],
                       "created_at": NOW, "updated_at": NOW})
    store.put_segment({"account_id": account_id, "segment_id": "s1", "name": "x", "audience": audience,
                       "created_at": NOW, "updated_at": NOW})
    store.put_segment({"account_id": account_id, "segment_id": "s2", "name": "y", "audience": {"type": "all"},
                       "created_at": NOW, "updated_at": NOW})
    store.put_batches(account_id, "p1", 1, [{"no": 1, "state": "sent", "recipients": ["o-1", "o-2"]},
                                            {"no": 2, "state": "sent", "recipients": ["o-3"]}])
    assert store.mark_once(account_id, "p1", 1, "o-1") and store.mark_once(account_id, "p1", 1, "o-2")
    store.reserve_many(account_id, [quota_key(account_id, "o-1"), quota_key(account_id, "o-2")], 4, "p1#1", TTL)
    store.touch(account_id, "o-1", NOW, "oa.text")
    store.touch(account_id, "o-2", NOW, "oa.text")


def person(account_id: str = A) -> Person:
    return Person(account_id=account_id, openids={"o-1"}, pseudonym="erased-1")


def test_each_finder_returns_the_persons_items_and_an_erasure_changes_only_those(store):
    seed(store, A)
    seed(store, B)
    scope, p = Scope.system(A), person()
    shown = {name: getattr(store, name)(scope, p, False) for name in FINDERS}
    assert shown["person_pushes"] == [{"push_id": "p1", "audience": {"type": "openids", "openids": ["o-1", "o-2"]}}]
    assert [s["segment_id"] for s in shown["person_segments"]] == ["s1"]
    assert [i["recipient"] for i in shown["person_push_batches"] if "recipient" in i] == [["o-1"]]
    assert [i["sent_to"] for i in shown["person_push_batches"] if "sent_to" in i] == ["o-1"]
    assert [r["key"] for r in shown["person_quota_ledger"]] == [quota_key(A, "o-1")]
    assert [r["openid"] for r in shown["person_interactions"]] == ["o-1"]
    erased = {name: getattr(store, name)(scope, p, True) for name in FINDERS}
    assert erased == shown  # what an erasure reports is what it found, read before any change
    assert {name: getattr(store, name)(scope, p, False) for name in FINDERS} == dict.fromkeys(FINDERS, [])
    assert store.get_push(A, "p1")["audience"]["openids"] == ["erased-1", "o-2"]
    assert store.get_segment(A, "s1")["audience"]["openids"] == ["erased-1", "o-2"]
    assert store.batch_recipients(A, "p1", 1, 1) == ["erased-1", "o-2"]
    assert store.batch_recipients(A, "p1", 1, 2) == ["o-3"]
    assert not store.mark_once(A, "p1", 1, "erased-1") and not store.mark_once(A, "p1", 1, "o-2")
    assert store.used_many(A, [quota_key(A, "o-1"), quota_key(A, "erased-1"), quota_key(A, "o-2")]) == {
        quota_key(A, "erased-1"): 1, quota_key(A, "o-2"): 1}
    assert set(store.service_windows(A, ["o-1", "o-2"])) == {"o-2"}
    # another account's same openid is untouched
    assert store.get_push(B, "p1")["audience"]["openids"] == ["o-1", "o-2"]
    assert store.batch_recipients(B, "p1", 1, 1) == ["o-1", "o-2"] and store.service_windows(B, ["o-1"])
    assert store.used_many(B, [quota_key(B, "o-1")]) == {quota_key(B, "o-1"): 1}
    assert {n: len(v) for n, v in ((n, getattr(store, n)(Scope.system(B), person(B), False)) for n in FINDERS)} \
        == {n: len(v) for n, v in shown.items()}


def test_another_accounts_scope_is_refused(store):
    seed(store, A)
    for name in FINDERS:
        with pytest.raises(Forbidden):
            getattr(store, name)(Scope(account_id=B, key_id="acct-b.k1", role="admin"), person(), True)
    assert store.service_windows(A, ["o-1"])["o-1"].message_at == NOW
