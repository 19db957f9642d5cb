"""The in-memory push store honours the DynamoDB store's ledger semantics: reservations in all-or-nothing
transactions of at most 100 rows (counted as round trips), rows at quota left out, reruns free, releases once."""

from __future__ import annotations

import math

from scrm.data.push_store import TX_MAX, MemoryPushStore
from scrm.tenancy import Scope


def keys(n):
    return [f"acct#mass#recipient#m202605#r{i:05d}" for i in range(n)]


def test_reservations_cost_one_round_trip_per_hundred_recipients():
    store = MemoryPushStore()
    assert store.reserve_many("acct", keys(10_000), 4, "p#1", 0) == [True] * 10_000
    assert store.round_trips == math.ceil(10_000 / TX_MAX) == 100


def test_a_transaction_cancelled_by_rows_at_quota_is_retried_without_them():
    store = MemoryPushStore()
    full = keys(250)[::50]
    store.reserve_many("acct", full, 1, "earlier#1", 0)
    store.round_trips = 0
    granted = store.reserve_many("acct", keys(250), 1, "p#1", 0)
    assert [k for k, ok in zip(keys(250), granted, strict=True) if not ok] == full
    assert store.round_trips == 6  # 3 transactions, each cancelled once and retried once
    assert set(store.used_many("acct", keys(250)).values()) == {1}


def test_reruns_and_releases_are_exact():
    store = MemoryPushStore()
    ks = keys(120) + keys(120)[:5]  # a repeated recipient takes one slot
    assert all(store.reserve_many("acct", ks, 2, "p#1", 0))
    assert all(store.reserve_many("acct", ks, 2, "p#1", 0))  # the same run again: granted, not counted twice
    assert set(store.used_many("acct", keys(120)).values()) == {1}
    store.release_many("acct", keys(10), "p#1")
    store.release_many("acct", keys(10), "p#1")
    used = store.used_many("acct", keys(120))
    assert [used[k] for k in keys(120)] == [0] * 10 + [1] * 110


def test_a_push_to_1000_followers_reserves_in_10_round_trips():
    from tests.unit.test_push_service import body, make, run_until_done

    svc, store, gw, clock = make(followers=[f"o{i:05d}" for i in range(1000)])
    svc.create(Scope.system(), "acct", body())
    store.round_trips = 0
    run_until_done(svc, clock, max_ticks=2)
    assert len(gw.deliveries) == 1000
    assert store.round_trips == math.ceil(1000 / TX_MAX)


def _walk(fetch):
    out, start, pages = [], None, 0
    while True:
        items, start = fetch(start)
        out += items
        pages += 1
        if start is None:
            return out, pages


def test_pushes_segments_and_batches_page_like_dynamodb():
    store = MemoryPushStore()
    for i in range(11):
        store.create_push({"account_id": "acct", "push_id": f"{i:016x}", "status": "draft"})
        store.put_segment({"account_id": "acct", "segment_id": f"s{i:02d}", "name": "x", "audience": {},
                           "created_at": 0})
    store.create_push({"account_id": "other", "push_id": "f" * 16, "status": "draft"})
    pushes, pages = _walk(lambda start: store.page_pushes("acct", 4, start))
    assert [p["push_id"] for p in pushes] == [f"{i:016x}" for i in reversed(range(11))] and pages == 3
    segments, _ = _walk(lambda start: store.page_segments("acct", 5, start))
    assert [s["segment_id"] for s in segments] == [f"s{i:02d}" for i in range(11)]
    store.put_batches("acct", "p", 1, [{"no": n, "recipients": ["a", "b"]} for n in range(1, 8)])
    batches, pages = _walk(lambda start: store.page_batches("acct", "p", 1, 3, start))
    assert [b["no"] for b in batches] == list(range(1, 8)) and pages == 3
