"""One contract, two reassignment stores: the in-memory twin and the DynamoDB store (moto) answer alike.

Leases (a plan or batch held by one worker, taken over only once it ran out), claims (pending -> sending once),
conditional item writes, the ledger (void entries and the window left out, idempotent entries), notices stored
once, paging with DynamoDB-shaped cursors, and tenancy inside the store."""

from __future__ import annotations

import pytest

from scrm import errors
from scrm.stores.reassignment import LeaseLost, MemoryReassignmentStore, item_key
from scrm.tenancy import Scope

A, B = "acct-a", "acct-b"
NOW = 1_800_000_000


@pytest.fixture(params=["memory", "dynamo"])
def make_store(request):
    if request.param == "memory":
        yield MemoryReassignmentStore
        return
    request.getfixturevalue("aws")
    from scrm.stores.reassignment.dynamo import DynamoReassignmentStore

    yield DynamoReassignmentStore


@pytest.fixture
def store(make_store):
    return make_store()


def plan(plan_id="p1", account_id=A, handover="leaver", created_at=NOW, status="running") -> dict:
    return {"account_id": account_id, "plan_id": plan_id, "handover_userid": handover, "mode": "onjob",
            "trigger": "admin", "strategy": "round_robin", "takeovers": ["t1", "t2"], "status": status,
            "created_at": created_at, "updated_at": created_at, "finished_at": None, "next_batch": 1, "rounds": 1,
            "counts": {"total": 3}, "policy": {"max_offers": 2}, "error": None, "requested_by": "k1",
            "lease_owner": None, "lease_until": None}


def item(target, plan_id="p1", account_id=A, state="planned", takeover="t1", updated_at=NOW, kind="customer"):
    return {"account_id": account_id, "plan_id": plan_id, "item_key": item_key(kind, target), "kind": kind,
            "target_id": target, "handover_userid": "leaver", "takeover_userid": takeover, "tried": [takeover],
            "state": state, "batch_id": "b000001", "errcode": 0, "reason": None, "submitted_at": None,
            "takeover_time": None, "updated_at": updated_at, "history": [{"at": NOW, "source": "call"}]}


def batch(batch_id="b000001", plan_id="p1", account_id=A):
    return {"account_id": account_id, "plan_id": plan_id, "batch_id": batch_id, "kind": "customer",
            "takeover_userid": "t1", "targets": ["wm1", "wm2"], "state": "pending", "round": 1, "created_at": NOW}


@pytest.fixture
def stored(store):
    store.create_plan(plan(), [item("wm1"), item("wm2"), item("wr1", kind="chat")], [batch()])
    return store


def test_a_plan_is_stored_with_its_items_and_batches_and_listed_while_running(stored):
    p = stored.get_plan(A, "p1")
    assert {k: p[k] for k in ("handover_userid", "status", "takeovers", "counts", "policy", "rounds")} == {
        "handover_userid": "leaver", "status": "running", "takeovers": ["t1", "t2"], "counts": {"total": 3},
        "policy": {"max_offers": 2}, "rounds": 1}
    assert [i["item_key"] for i in stored.items_of_plan(A, "p1")] == ["c#wm1", "c#wm2", "g#wr1"]
    assert stored.items_of_plan(A, "p1")[0]["history"] == [{"at": NOW, "source": "call"}]
    b = stored.batches_of_plan(A, "p1")
    assert [(x["batch_id"], x["state"], x["targets"], x["account_id"], x["plan_id"]) for x in b] == [
        ("b000001", "pending", ["wm1", "wm2"], A, "p1")]
    assert stored.active_plans() == [(A, "p1")]
    stored.update_plan(A, "p1", {"status": "done", "finished_at": NOW + 5, "counts": {"total": 3, "done": 3}})
    assert stored.active_plans() == []
    p = stored.get_plan(A, "p1")
    assert p["status"] == "done" and p["finished_at"] == NOW + 5 and p["counts"]["done"] == 3
    assert stored.get_plan(A, "nope") is None


def test_the_plan_lease_is_held_by_one_worker_until_it_runs_out(stored):
    assert stored.acquire_plan_lease(A, "p1", "w1", NOW, NOW + 900)
    assert not stored.acquire_plan_lease(A, "p1", "w2", NOW + 10, NOW + 910)
    stored.release_plan_lease(A, "p1", "w2")  # not the holder: nothing happens
    assert not stored.acquire_plan_lease(A, "p1", "w2", NOW + 10, NOW + 910)
    assert stored.acquire_plan_lease(A, "p1", "w2", NOW + 901, NOW + 1801)  # ran out: taken over
    stored.release_plan_lease(A, "p1", "w1")  # the old holder cannot release the new one's lease
    assert not stored.acquire_plan_lease(A, "p1", "w3", NOW + 902, NOW + 1802)
    stored.release_plan_lease(A, "p1", "w2")
    assert stored.acquire_plan_lease(A, "p1", "w3", NOW + 902, NOW + 1802)
    assert not stored.acquire_plan_lease(A, "nope", "w1", NOW, NOW + 900)


def test_a_batch_is_claimed_once_taken_over_only_after_its_lease_and_finished_by_its_holder(stored):
    assert stored.claim_batch(A, "p1", "b000001", "w1", NOW, NOW + 120)
    assert not stored.claim_batch(A, "p1", "b000001", "w2", NOW + 1, NOW + 121)  # claimed once
    assert stored.claim_batch(A, "p1", "b000001", "w2", NOW + 121, NOW + 241)  # the lease ran out
    with pytest.raises(LeaseLost):
        stored.finish_batch(A, "p1", "b000001", "w1", {"waiting": 2}, NOW + 122)
    stored.finish_batch(A, "p1", "b000001", "w2", {"waiting": 2}, NOW + 122)
    b = stored.batches_of_plan(A, "p1")[0]
    assert (b["state"], b["summary"], b["attempts"], b["sent_at"], b["lease_owner"]) == (
        "sent", {"waiting": 2}, 2, NOW + 122, None)
    assert not stored.claim_batch(A, "p1", "b000001", "w3", NOW + 10_000, NOW + 10_120)  # sent: never again
    assert not stored.claim_batch(A, "p1", "b-none", "w3", NOW, NOW + 120)


def test_a_released_batch_stays_sending_and_can_be_claimed_at_once(stored):
    assert stored.claim_batch(A, "p1", "b000001", "w1", NOW, NOW + 120)
    stored.release_batch(A, "p1", "b000001", "busy " * 200)
    b = stored.batches_of_plan(A, "p1")[0]
    assert b["state"] == "sending" and len(b["last_error"]) == 500
    assert stored.claim_batch(A, "p1", "b000001", "w2", NOW + 1, NOW + 121)


def test_rounds_reserve_batch_numbers_atomically_and_new_batches_are_pending(stored):
    assert (stored.add_round(A, "p1", 2)["next_batch"], stored.get_plan(A, "p1")["rounds"]) == (3, 2)
    stored.add_batches(A, [batch("b000002"), batch("b000003")])
    assert [b["batch_id"] for b in stored.batches_of_plan(A, "p1")] == ["b000001", "b000002", "b000003"]


def test_an_item_is_written_conditionally_only_while_it_is_as_expected(stored):
    waiting = item("wm1", state="waiting")
    stored.save_items(A, [waiting])
    refused = {**waiting, "state": "refused"}
    assert stored.save_item_if(A, refused, {"state": "waiting", "takeover_userid": "t1"})
    assert not stored.save_item_if(A, {**waiting, "state": "limit_exceeded"}, {"state": "waiting",
                                                                                "takeover_userid": "t1"})
    assert not stored.save_item_if(A, {**item("wm2"), "state": "refused"}, {"state": "waiting",
                                                                             "takeover_userid": "t1"})
    assert {i["target_id"]: i["state"] for i in stored.items_of_plan(A, "p1")} == {
        "wm1": "refused", "wm2": "planned", "wr1": "planned"}


def test_the_ledger_counts_on_job_transfers_in_the_window_idempotently_and_forgets_void_ones(store):
    for at, plan_id, takeover in ((NOW - 100, "p1", "t1"), (NOW - 100, "p1", "t1"), (NOW - 50, "p2", "t2"),
                                  (NOW - 91 * 86400, "p0", "t1")):
        store.record_transfer(A, "wm1", at=at, plan_id=plan_id, takeover=takeover, mode="onjob", now=NOW)
    since = NOW - 90 * 86400
    assert sorted(store.ledger_times(A, "wm1", since)) == [NOW - 100, NOW - 50]  # retry = same entry; window
    store.void_transfers(A, "wm1", "p2", "t1")  # another takeover of p2: nothing
    assert len(store.ledger_times(A, "wm1", since)) == 2
    store.void_transfers(A, "wm1", "p2", "t2")
    assert store.ledger_times(A, "wm1", since) == [NOW - 100]
    assert store.ledger_times(A, "wm2", since) == []


def test_a_notice_is_stored_once(stored):
    notice = {"notice_key": "t1#final", "takeover_userid": "t1", "customers": 2, "chats": 1, "sample": ["wm1"],
              "text": "You received 2 customers", "delivery": "recorded", "created_at": NOW}
    assert stored.add_notice(A, "p1", notice)
    assert not stored.add_notice(A, "p1", {**notice, "customers": 9})
    stored.set_notice_delivery(A, "p1", "t1#final", "sent")
    assert [(n["customers"], n["delivery"], n["sample"]) for n in stored.notices_of_plan(A, "p1")] == [
        (2, "sent", ["wm1"])]


def walk(listing, limit):
    seen, start, pages = [], None, 0
    while True:
        rows, start = listing(limit=limit, start=start)
        seen += rows
        pages += 1
        if start is None:
            return seen, pages
        assert pages < 50


def test_listings_page_in_their_order_with_cursors(store):
    for n in range(5):
        store.create_plan(plan(f"p{n}", created_at=NOW + n, status="done"),
                          [item("wm-moved", plan_id=f"p{n}", updated_at=NOW + n, state="done")], [])
    store.create_plan(plan("px", handover="other"), [], [])
    plans, pages = walk(lambda **kw: store.page_plans_of_handover(A, "leaver", **kw), 2)
    assert [p["plan_id"] for p in plans] == ["p4", "p3", "p2", "p1", "p0"] and pages >= 3  # newest first
    assert [p["plan_id"] for p in store.plans_of_handover(A, "leaver")] == ["p0", "p1", "p2", "p3", "p4"]
    items, pages = walk(lambda **kw: store.page_target_items(A, "wm-moved", **kw), 2)
    assert [i["plan_id"] for i in items] == ["p0", "p1", "p2", "p3", "p4"] and pages >= 3
    assert [i["plan_id"] for i in store.items_of_target(A, "wm-moved")] == ["p0", "p1", "p2", "p3", "p4"]
    store.save_items(A, [item(f"wm{n}", plan_id="p0", state="done" if n % 2 else "waiting") for n in range(7)])
    done, _ = walk(lambda **kw: store.page_plan_items(A, "p0", states=("done",), **kw), 2)
    assert [i["target_id"] for i in done] == ["wm-moved", "wm1", "wm3", "wm5"]
    assert len(store.page_plan_items(A, "p0", limit=None)[0]) == 8


def test_every_plan_of_the_account_pages_newest_first_with_an_optional_handover(store):
    for n in range(5):
        store.create_plan(plan(f"p{n}", handover="leaver" if n % 2 else "mover", created_at=NOW + n), [], [])
    store.create_plan(plan("p9", account_id=B), [], [])  # another account's plan is never listed
    plans, pages = walk(lambda **kw: store.page_plans(A, **kw), 2)
    assert [p["plan_id"] for p in plans] == ["p4", "p3", "p2", "p1", "p0"] and pages >= 3  # plan ids: newest first
    assert plans[0]["handover_userid"] == "mover" and plans[0]["counts"] == {"total": 3}
    assert [p["plan_id"] for p in store.page_plans(A, limit=None)[0]] == ["p4", "p3", "p2", "p1", "p0"]
    mine, _ = walk(lambda **kw: store.page_plans(A, handover="leaver", **kw), 1)
    assert [p["plan_id"] for p in mine] == ["p3", "p1"]
    assert store.page_plans(A, handover="nobody", limit=10) == ([], None)
    # a start key is one of its own listing: not another account's, nor the other filter's
    _, everything = store.page_plans(A, limit=1)
    _, leaver = store.page_plans(A, handover="leaver", limit=1)
    theirs = {"account_id": {"S": B}, "plan_id": {"S": "p9"}}
    for handover, start in ((None, leaver), ("leaver", everything), ("mover", leaver), (None, theirs)):
        with pytest.raises(ValueError):
            store.page_plans(A, handover=handover, limit=2, start=start)


def test_tenancy_is_checked_inside_the_store(make_store):
    mine = make_store(Scope.system(A))
    mine.create_plan(plan(), [item("wm1")], [batch()])
    other = make_store(Scope(account_id=B, key_id="k-b", role="admin"))
    for call in (lambda: other.get_plan(A, "p1"), lambda: other.items_of_plan(A, "p1"),
                 lambda: other.claim_batch(A, "p1", "b000001", "w", NOW, NOW + 1),
                 lambda: other.ledger_times(A, "wm1", 0), lambda: other.put_policy(A, {}, updated_at=1,
                                                                                   updated_by="k-b"),
                 lambda: other.create_plan(plan(plan_id="p9"), [], []), lambda: other.page_plans(A, limit=5),
                 lambda: other.save_items(B, [item("wm1")])):  # an item of A smuggled in B's call
        with pytest.raises(errors.Forbidden):
            call()
    assert other.active_plans() == [] and mine.active_plans() == [(A, "p1")]


def test_the_policy_is_stored_whole(store):
    assert store.get_policy(A) is None
    store.put_policy(A, {"strategy": "tag", "tag": "vip", "pool": ["t1"]}, updated_at=NOW, updated_by="k1")
    store.put_policy(A, {"strategy": "least_loaded", "pool": []}, updated_at=NOW + 1, updated_by="k1")
    assert store.get_policy(A) == {"strategy": "least_loaded", "pool": []}
