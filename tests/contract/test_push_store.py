"""One contract, both push stores: the in-memory twin (unit tests, the benchmark) and DynamoDB on moto (Lambda)
honour the same conditions (base.PushStore): tenancy inside the store, copies out, conditional writes that
answer False/None instead of raising, the once-marks, the quota ledger's transactions of at most 100 rows
(counted as round trips: rows at quota are left out and the rest retried, reruns free, releases once), and
paging with DynamoDB-shaped cursors."""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor

import pytest

from scrm.domain.service_window import Window
from scrm.errors import Forbidden
from scrm.stores.pushes import CHUNK, TX_MAX, DuplicatePush, MemoryPushStore
from scrm.tenancy import Scope

TTL = 2_000_000_000
NOW = 1_714_536_000.0


@pytest.fixture(params=["memory", "dynamo"])
def store(request):
    if request.param == "memory":
        return MemoryPushStore(Scope.system())
    request.getfixturevalue("aws")
    from scrm.stores.pushes import DynamoPushStore

    return DynamoPushStore(Scope.system())


def is_memory(store) -> bool:
    return isinstance(store, MemoryPushStore)


def push(push_id="0000000000000001", account_id="acct", **fields):
    return {"account_id": account_id, "push_id": push_id, "name": "", "platform": "oa", "delivery": "mass",
            "status": "draft", "content": {"type": "text", "text": "hi"}, "audience": {"type": "all"},
            "timezone": "Asia/Shanghai", "send_at": NOW, "run_no": 1, "next_run_at": NOW, "runs": [],
            "created_at": NOW, "updated_at": NOW, **fields}


def keys(n):
    return [f"acct#mass#recipient#m202605#r{i:05d}" for i in range(n)]


def walk(fetch):
    out, start, pages = [], None, 0
    while True:
        items, start = fetch(start)
        out += items
        pages += 1
        if start is None:
            return out, pages


# ---------------------------------------------------------------- pushes


def test_a_push_reads_back_as_written_and_a_second_create_is_refused(store):
    store.create_push(push(preview={"audience": 3}))
    got = store.get_push("acct", "0000000000000001")
    assert got["content"] == {"type": "text", "text": "hi"} and got["preview"] == {"audience": 3}
    got["content"]["text"] = "changed"  # copies out
    assert store.get_push("acct", "0000000000000001")["content"]["text"] == "hi"
    with pytest.raises(DuplicatePush):
        store.create_push(push(status="scheduled"))
    assert store.get_push("acct", "0000000000000001")["status"] == "draft"
    assert store.get_push("acct", "0000000000000002") is None


def test_update_push_applies_only_when_its_conditions_hold(store):
    store.create_push(push(status="scheduled", lease_owner="a", last_error="x"))
    assert not store.update_push("acct", "ffffffffffffffff", {"status": "cancelled"})
    assert not store.update_push("acct", "0000000000000001", {"status": "cancelled"}, expect_status=("draft",))
    assert not store.update_push("acct", "0000000000000001", {"status": "cancelled"}, expect_owner="b")
    assert store.update_push("acct", "0000000000000001", {"status": "cancelled", "last_error": None},
                             expect_status=("draft", "scheduled"), expect_owner="a")
    got = store.get_push("acct", "0000000000000001")
    assert got["status"] == "cancelled" and "last_error" not in got


def test_only_one_scheduler_claims_a_due_push_until_its_lease_runs_out(store):
    store.create_push(push(status="scheduled", due="1"))
    store.create_push(push("0000000000000002", status="draft"))
    store.create_push(push("0000000000000003", status="scheduled", due="1", next_run_at=NOW + 60))
    assert store.claim("acct", "0000000000000001", "one", NOW, NOW + 300)["lease_owner"] == "one"
    assert store.claim("acct", "0000000000000001", "two", NOW + 10, NOW + 310) is None  # lease held
    assert store.claim("acct", "0000000000000002", "two", NOW, NOW + 300) is None  # a draft
    assert store.claim("acct", "0000000000000003", "two", NOW, NOW + 300) is None  # not due yet
    claimed = store.claim("acct", "0000000000000001", "two", NOW + 301, NOW + 600)  # the first one died
    assert claimed["status"] == "running" and claimed["lease_owner"] == "two"


def test_due_and_polling_list_earliest_first_within_the_scope(store):
    store.create_push(push("0000000000000001", status="scheduled", due="1", next_run_at=NOW - 10))
    store.create_push(push("0000000000000002", status="scheduled", due="1", next_run_at=NOW - 20))
    store.create_push(push("0000000000000003", status="scheduled", due="1", next_run_at=NOW + 20))
    store.create_push(push("0000000000000004", account_id="other", status="scheduled", due="1",
                           next_run_at=NOW - 5, poll="1", poll_at=NOW - 1))
    store.create_push(push("0000000000000005", status="completed", poll="1", poll_at=NOW - 2))
    assert store.due(NOW) == [("acct", "0000000000000002"), ("acct", "0000000000000001"),
                              ("other", "0000000000000004")]
    assert store.polling(NOW) == [("acct", "0000000000000005"), ("other", "0000000000000004")]
    mine = store.scoped(Scope.system("acct"))
    assert mine.due(NOW) == [("acct", "0000000000000002"), ("acct", "0000000000000001")]
    assert mine.polling(NOW) == [("acct", "0000000000000005")]


def test_a_scoped_view_shares_the_data_and_refuses_other_accounts(store):
    store.create_push(push())
    view = store.scoped(Scope(account_id="acct", key_id="k1", role="operator"))
    assert view.get_push("acct", "0000000000000001")["push_id"] == "0000000000000001"
    with pytest.raises(Forbidden):
        view.get_push("other", "0000000000000001")
    with pytest.raises(Forbidden):
        view.reserve_many("other", keys(1), 1, "p#1", TTL)
    with pytest.raises(Forbidden):
        store.scoped(Scope.system("other")).create_push(push())
    view.update_push("acct", "0000000000000001", {"name": "seen"})
    assert store.get_push("acct", "0000000000000001")["name"] == "seen"


def test_pushes_and_segments_page_like_dynamodb(store):
    for i in range(11):
        store.create_push(push(f"{i:016x}"))
        store.put_segment({"account_id": "acct", "segment_id": f"s{i:02d}", "name": "x", "audience": {},
                           "created_at": 0})
    store.create_push(push("f" * 16, account_id="other"))
    pushes, pages = walk(lambda start: store.page_pushes("acct", 4, start))
    assert [p["push_id"] for p in pushes] == [f"{i:016x}" for i in reversed(range(11))] and pages == 3
    assert [p["push_id"] for p in store.list_pushes("acct", 2)] == [f"{i:016x}" for i in (10, 9)]
    segments, _ = walk(lambda start: store.page_segments("acct", 5, start))
    assert [s["segment_id"] for s in segments] == [f"s{i:02d}" for i in range(11)]
    cursor = store.page_pushes("acct", 4)[1]
    with pytest.raises(ValueError):
        store.page_pushes("other", 4, cursor)
    with pytest.raises(ValueError):
        store.page_segments("other", 5, store.page_segments("acct", 5)[1])


# ---------------------------------------------------------------- plans and batches


def test_batches_keep_their_recipients_beside_them_and_planning_overwrites(store):
    many = [f"o{i:06d}" for i in range(CHUNK * 2 + 7)]  # three recipient chunks
    store.put_batches("acct", "p", 1, [{"no": 2, "state": "pending", "recipients": ["c"]},
                                       {"no": 1, "state": "pending", "sender": "s", "recipients": many}])
    assert store.get_plan("acct", "p", 1) is None
    store.put_plan("acct", "p", 1, {"state": "planned", "batches": 2})
    assert store.get_plan("acct", "p", 1) == {"state": "planned", "batches": 2}
    assert store.batch_recipients("acct", "p", 1, 1) == many
    assert store.batch_recipients("acct", "p", 1, 3) == []
    assert store.list_batches("acct", "p", 1) == [{"no": 1, "state": "pending", "sender": "s"},
                                                  {"no": 2, "state": "pending"}]
    store.put_batches("acct", "p", 1, [{"no": 2, "state": "pending", "recipients": ["d", "e"]}])
    assert store.batch_recipients("acct", "p", 1, 2) == ["d", "e"]
    assert store.list_batches("acct", "p", 2) == []


def test_batches_page_in_order_and_a_cursor_of_another_run_is_refused(store):
    store.put_batches("acct", "p", 1, [{"no": n, "state": "pending", "recipients": ["a", "b"]} for n in range(1, 8)])
    batches, _ = walk(lambda start: store.page_batches("acct", "p", 1, 3, start))
    assert [b["no"] for b in batches] == list(range(1, 8))  # a page may hold fewer than asked for
    with pytest.raises(ValueError):
        store.page_batches("acct", "p", 2, 3, store.page_batches("acct", "p", 1, 3)[1])


def test_update_batch_applies_only_when_its_conditions_hold(store):
    store.put_batches("acct", "p", 1, [{"no": 1, "state": "pending", "reason": "x", "recipients": ["a"]}])
    assert not store.update_batch("acct", "p", 1, 9, {"state": "sent"})
    assert not store.update_batch("acct", "p", 1, 1, {"state": "sent"}, expect_states=("sending",))
    assert store.update_batch("acct", "p", 1, 1, {"state": "sending", "attempts": 1, "reason": None},
                              expect_states=("pending",))
    assert store.update_batch("acct", "p", 1, 1, lambda cur: {"attempts": cur["attempts"] + 1})
    assert store.update_batch("acct", "p", 1, 1, {"delivered": 5, "finished": "1"}, expect_unfinished=True)
    assert not store.update_batch("acct", "p", 1, 1, {"delivered": 6}, expect_unfinished=True)
    (b,) = store.list_batches("acct", "p", 1)
    assert (b["state"], b["attempts"], b["delivered"], b["finished"], "reason" in b) == ("sending", 2, 5, "1", False)


def test_a_result_callback_adds_once_per_indexed_message(store):
    store.put_batches("acct", "p", 1, [{"no": 1, "state": "sent", "recipients": ["a"]}])
    ref = {"push_id": "p", "run_no": 1, "no": 1, "kind": "template"}
    store.put_msg_index("acct", [("m1", ref), ("m2", ref)])
    assert store.get_msg_index("acct", "m1") == ref and store.get_msg_index("acct", "m9") is None
    assert store.add_to_batch("acct", "p", 1, 1, {"delivered": 1}, once_key=("acct", "m1"))
    assert not store.add_to_batch("acct", "p", 1, 1, {"delivered": 1}, once_key=("acct", "m1"))  # redelivered
    assert store.add_to_batch("acct", "p", 1, 1, {"errors": 1}, once_key=("acct", "m2"))
    assert not store.add_to_batch("acct", "p", 1, 1, {"delivered": 1}, once_key=("acct", "m9"))  # not ours
    assert store.add_to_batch("acct", "p", 1, 1, {"delivered": 2})
    (b,) = store.list_batches("acct", "p", 1)
    assert (b["delivered"], b["errors"]) == (3, 1)


def test_indexing_a_message_again_keeps_its_callback_counted_once(store):
    """A batch indexed again (a resend after its result callback already arrived) must not forget that the
    callback was counted: the first entry stays, so a redelivered callback still adds nothing."""
    store.put_batches("acct", "p", 1, [{"no": 1, "state": "sent", "recipients": ["a"]}])
    ref = {"push_id": "p", "run_no": 1, "no": 1, "kind": "template"}
    store.put_msg_index("acct", [("m1", ref)])
    assert store.add_to_batch("acct", "p", 1, 1, {"delivered": 1}, once_key=("acct", "m1"))
    store.put_msg_index("acct", [("m1", {**ref, "no": 2}), ("m3", ref)])
    assert store.get_msg_index("acct", "m1")["no"] == 1 and store.get_msg_index("acct", "m3") == ref
    assert not store.add_to_batch("acct", "p", 1, 1, {"delivered": 1}, once_key=("acct", "m1"))  # redelivered
    (b,) = store.list_batches("acct", "p", 1)
    assert b["delivered"] == 1


def test_a_once_marker_is_taken_once(store):
    assert store.mark_once("acct", "p", 1, "o1")
    assert not store.mark_once("acct", "p", 1, "o1")
    assert store.mark_once("acct", "p", 2, "o1")


# ---------------------------------------------------------------- interactions and segments


def test_a_message_opens_five_customer_service_messages_for_48_hours_and_an_older_event_changes_nothing(store):
    store.touch("acct", "o1", NOW, "oa.text")
    store.touch("acct", "o1", NOW - 100, "oa.image")  # delivered late: older than the opening it would replace
    store.touch("acct", "o2", NOW, "oa.view")  # a view menu opens nothing
    assert store.service_windows("acct", ["o1", "o2"]) == {"o1": Window(message_at=NOW)}
    claims = [store.claim_service_message("acct", "o1", NOW + 47 * 3600) for _ in range(6)]
    assert claims[:5] == [("message", NOW)] * 5 and claims[5] is None
    store.touch("acct", "o1", NOW + 10, "oa.text")  # a new message starts the allowance afresh
    assert store.claim_service_message("acct", "o1", NOW + 48 * 3600 + 11) is None  # ended
    assert store.claim_service_message("acct", "o1", NOW + 3600) == ("message", NOW + 10)


def test_a_follow_opens_three_messages_for_one_minute_used_before_the_message_allowance(store):
    store.touch("acct", "o1", NOW, "oa.text")
    store.touch("acct", "o1", NOW + 100, "oa.subscribe")
    got = [store.claim_service_message("acct", "o1", NOW + 130) for _ in range(4)]
    assert got == [("action", NOW + 100)] * 3 + [("message", NOW)]  # the one that ends first goes first
    assert store.claim_service_message("acct", "o2", NOW) is None  # never interacted
    store.touch("acct", "o3", NOW, "oa.scan")
    assert store.claim_service_message("acct", "o3", NOW + 61) is None  # the minute is over


def test_an_account_may_shorten_the_48_hours_and_a_release_gives_back_only_to_the_same_allowance(store):
    store.touch("acct", "o1", NOW, "oa.text")
    assert store.claim_service_message("acct", "o1", NOW + 7200, message_seconds=3600) is None
    claim = store.claim_service_message("acct", "o1", NOW + 60)
    store.release_service_message("acct", "o1", claim)
    store.release_service_message("acct", "o1", claim)  # twice gives back once (never below nothing)
    assert store.service_windows("acct", ["o1"])["o1"].message_sent == 0
    claim = store.claim_service_message("acct", "o1", NOW + 60)
    store.touch("acct", "o1", NOW + 90, "oa.text")
    store.release_service_message("acct", "o1", claim)  # of the allowance that was replaced: nothing
    assert store.service_windows("acct", ["o1"])["o1"] == Window(message_at=NOW + 90)


def test_two_senders_claiming_together_never_exceed_the_allowance(store):
    store.touch("acct", "o1", NOW, "oa.text")
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda _: store.claim_service_message("acct", "o1", NOW + 1), range(12)))
    assert sum(1 for g in got if g) == 5
    assert store.service_windows("acct", ["o1"])["o1"].message_sent == 5


def test_segments_read_back_as_written(store):
    seg = {"account_id": "acct", "segment_id": "s1", "name": "VIP", "audience": {"type": "tags", "tag_ids": [2]},
           "created_at": NOW}
    store.put_segment(seg)
    assert store.get_segment("acct", "s1") == seg and store.get_segment("acct", "s2") is None
    assert store.list_segments("acct") == [seg] and store.list_segments("other") == []


# ---------------------------------------------------------------- the quota ledger


def test_reservations_cost_one_round_trip_per_hundred_recipients(store):
    n = 10_000 if is_memory(store) else 1050  # moto takes a second per ~1,000 rows
    assert store.reserve_many("acct", keys(n), 4, "p#1", TTL) == [True] * n
    assert store.round_trips == math.ceil(n / TX_MAX)
    assert store.used_many("acct", keys(n)) == dict.fromkeys(keys(n), 1)


def test_a_transaction_cancelled_by_rows_at_quota_is_retried_without_them(store):
    full = keys(250)[::50]
    store.reserve_many("acct", full, 1, "earlier#1", TTL)
    store.round_trips = 0
    granted = store.reserve_many("acct", keys(250), 1, "p#1", TTL)
    assert [k for k, ok in zip(keys(250), granted, strict=True) if not ok] == full
    assert store.round_trips == 6  # 3 transactions, each cancelled once and retried once
    assert set(store.used_many("acct", keys(250)).values()) == {1}


def test_reruns_and_releases_are_exact(store):
    ks = keys(120) + keys(120)[:5]  # a repeated recipient takes one slot
    assert all(store.reserve_many("acct", ks, 2, "p#1", TTL))
    assert all(store.reserve_many("acct", ks, 2, "p#1", TTL))  # the same run again: granted, not counted twice
    assert set(store.used_many("acct", keys(120)).values()) == {1}
    store.release_many("acct", keys(10), "p#1")
    store.release_many("acct", keys(10), "p#1")
    store.release_many("acct", keys(20)[10:], "someone-else#1")  # no slot there: nothing given back
    used = store.used_many("acct", keys(120))
    assert [used[k] for k in keys(120)] == [0] * 10 + [1] * 110


def test_an_account_cap_on_messages_grants_what_is_left_once_per_batch(store):
    row = "acct#template#account-messages#d20240501#@account"
    assert store.reserve_amount("acct", row, 60, 100, "p#1#1", TTL) == 60
    assert store.reserve_amount("acct", row, 60, 100, "p#1#1", TTL) == 60  # the batch rerun: nothing more taken
    assert store.reserve_amount("acct", row, 60, 100, "p#1#2", TTL) == 40  # what the cap leaves
    assert store.reserve_amount("acct", row, 5, 100, "p#1#3", TTL) == 0
    assert store.used_many("acct", [row]) == {row: 100}
    store.release_amount("acct", row, 10, "p#1#2")
    store.release_amount("acct", row, 500, "p#1#2")  # never more than the batch holds
    store.release_amount("acct", row, 7, "someone-else")
    assert store.used_many("acct", [row]) == {row: 60}
    assert store.reserve_amount("acct", row, 60, 100, "p#1#4", TTL) == 40


def test_batches_racing_for_an_accounts_last_messages_never_pass_its_cap(store):
    import threading

    row = "acct#template#account-messages#d20240501#@account"
    got: dict[str, int] = {}

    def take(h):
        got[h] = store.reserve_amount("acct", row, 30, 100, h, TTL)

    threads = [threading.Thread(target=take, args=(f"p#1#{i}",)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(got.values()) == 100 == store.used_many("acct", [row])[row]


def test_a_limit_of_zero_grants_nothing(store):
    assert store.reserve_many("acct", keys(3), 0, "p#1", TTL) == [False] * 3
    assert store.used_many("acct", keys(3)) == {}


def test_a_scoped_view_counts_round_trips_with_its_store(store):
    store.scoped(Scope.system("acct")).reserve_many("acct", keys(150), 1, "p#1", TTL)
    assert store.round_trips == 2


def test_a_release_of_what_the_holder_holds_takes_one_round_trip(store):
    row = "acct#template#account-messages#d20240501#@account"
    store.reserve_amount("acct", row, 60, 100, "p#1#1", TTL)
    store.round_trips = 0
    store.release_amount("acct", row, 25, "p#1#1")
    assert store.round_trips == 1
    store.release_amount("acct", row, 50, "p#1#1")  # holds 35: refused, then the 35 given back
    store.release_amount("acct", row, 5, "p#1#1")  # holds nothing: refused, nothing moves
    assert store.used_many("acct", [row]) == {row: 0}
    assert store.round_trips == 1 + 2 + 1
