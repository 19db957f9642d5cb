"""The reassignment store's privacy part (scrm.stores.reassignment.privacy), for the in-memory twin and DynamoDB
(moto) alike: a customer's transfer items, the batches and notices of their plans that name them, and their on-job
ledger are found; an erasure pseudonymises the items, batches and notices (others' items and counts untouched) and
deletes the ledger; another account's scope is refused."""

from __future__ import annotations

import pytest

from scrm.domain.persons import Person
from scrm.errors import Forbidden
from scrm.stores.reassignment import MemoryReassignmentStore
from scrm.tenancy import Scope
from tests.contract.test_reassignment_store import NOW, A, B, batch, item, plan

FINDERS = ("person_transfer_batches", "person_transfer_notices", "person_transfers", "person_transfer_ledger")


@pytest.fixture(params=["memory", "dynamo"])
def store(request):
    if request.param == "memory":
        return MemoryReassignmentStore()
    request.getfixturevalue("aws")
    from scrm.stores.reassignment.dynamo import DynamoReassignmentStore

    return DynamoReassignmentStore()


def seed(store, account_id: str) -> None:
    store.create_plan(plan(account_id=account_id), [item("wm1", account_id=account_id),
                                                    item("wm2", account_id=account_id)],
                      [batch(account_id=account_id)])
    store.add_notice(account_id, "p1", {"notice_key": "t1#final", "takeover_userid": "t1", "customers": 2, "chats": 0,
                                        "sample": ["wm1", "wm2"], "text": "您收到 wm1 等 2 位客户",
                                        "delivery": "recorded", "created_at": NOW})
    for customer in ("wm1", "wm2"):
        store.record_transfer(account_id, customer, at=NOW, plan_id="p1", takeover="t1", mode="onjob", now=NOW)


def person(account_id: str = A) -> Person:
    return Person(account_id=account_id, external_userids={"wm1"}, pseudonym="erased-1")


def test_each_finder_returns_the_persons_items_and_an_erasure_changes_only_those(store):
    seed(store, A)
    seed(store, B)
    scope, p = Scope.system(A), person()
    shown = {name: getattr(store, name)(scope, p, False) for name in FINDERS}
    assert {n: len(v) for n, v in shown.items()} == dict.fromkeys(FINDERS, 1)
    assert shown["person_transfers"][0]["target_id"] == "wm1"
    erased = {name: getattr(store, name)(scope, p, True) for name in FINDERS}  # in the privacy job's order
    assert {n: len(v) for n, v in erased.items()} == dict.fromkeys(FINDERS, 1)
    assert {name: getattr(store, name)(scope, p, False) for name in FINDERS} == dict.fromkeys(FINDERS, [])
    items = store.items_of_plan(A, "p1")
    assert sorted(i["target_id"] for i in items) == ["erased-1", "wm2"] and store.items_of_target(A, "wm1") == []
    assert store.batches_of_plan(A, "p1")[0]["targets"] == ["erased-1", "wm2"]
    notice = store.notices_of_plan(A, "p1")[0]
    assert (notice["sample"], notice["text"], notice["customers"]) == (
        ["erased-1", "wm2"], "您收到 erased-1 等 2 位客户", 2)
    assert store.ledger_times(A, "wm1", 0) == [] and store.ledger_times(A, "wm2", 0) == [NOW]
    # another account's same customer untouched
    assert store.items_of_target(B, "wm1") and store.ledger_times(B, "wm1", 0) == [NOW]
    assert store.batches_of_plan(B, "p1")[0]["targets"] == ["wm1", "wm2"]


def test_another_accounts_scope_is_refused(store):
    seed(store, A)
    for name in FINDERS:
        with pytest.raises(Forbidden):
            getattr(store, name)(Scope(account_id=B, key_id="acct-b.k1", role="admin"), person(), True)
    assert store.ledger_times(A, "wm1", 0) == [NOW]
