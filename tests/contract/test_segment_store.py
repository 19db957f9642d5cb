"""The segment store's contract, for the in-memory twin and DynamoDB (moto) alike: facts written only at their
version (or only when absent), their index entries moved with them in the same step, an event's marker applied
once, index ranges read across shards with every entry counted, a record deleted with its entries, rule segments
paged in id order, RFM bands, tenancy."""

from __future__ import annotations

import pytest

from scrm.domain.segments import Entry, Range
from scrm.errors import Forbidden
from scrm.stores.segments import CONFLICT, DUPLICATE, WRITTEN, FactWrite
from scrm.tenancy import Scope
from tests.contract.stores import IMPLEMENTATIONS, make_store

A, B = "acct-a", "acct-b"
SCOPE = Scope.system(A)
BOOK = A
EXPIRES = 1_900_000_000


@pytest.fixture(params=IMPLEMENTATIONS)
def store(request):
    return make_store(request, "segments", "SegmentStore")


def write(store, key, version, facts, before=(), after=(), marker=None):
    return store.write_facts(SCOPE, A, BOOK, [FactWrite(key, version, facts, frozenset(before), frozenset(after))],
                             marker, EXPIRES)


def keys(store, rng):
    return sorted(store.read_index(SCOPE, A, BOOK, rng))


def test_facts_are_written_at_their_version_with_their_index_entries(store):
    wins = Entry("wins", 1)
    assert write(store, "u:U1", None, {"counts": {"wins": 1}}, after={Entry("all", 0), wins}, marker="e1") == WRITTEN
    assert write(store, "u:U1", None, {"counts": {}}, marker="e2") == CONFLICT  # exists already
    assert write(store, "u:U1", 1, {"counts": {"wins": 9}}, marker="e1") == DUPLICATE  # e1 applied before
    got = store.facts(SCOPE, A, BOOK, ["u:U1", "u:nobody"])
    assert got == {"u:U1": {"counts": {"wins": 1}, "key": "u:U1", "version": 1}}
    assert keys(store, Range("wins", 1)) == ["u:U1"] and keys(store, Range("all")) == ["u:U1"]
    two = Entry("wins", 2)
    assert write(store, "u:U1", 1, {"counts": {"wins": 2}}, before={Entry("all", 0), wins},
                 after={Entry("all", 0), two}, marker="e3") == WRITTEN
    assert write(store, "u:U1", 1, {"counts": {}}, marker="e4") == CONFLICT  # version 2 now
    assert keys(store, Range("wins", 2, 2)) == ["u:U1"] and keys(store, Range("wins", 1, 1)) == []
    assert store.facts(SCOPE, A, BOOK, ["u:U1"])["u:U1"]["version"] == 2


def test_a_failed_condition_writes_nothing_of_the_step(store):
    write(store, "oa:a:o1", None, {"n": 1}, after={Entry("last", 100)})
    step = [FactWrite("u:U2", None, {"n": 2}, frozenset(), frozenset({Entry("last", 200)})),
            FactWrite("oa:a:o1", 7, None, frozenset({Entry("last", 100)}))]  # wrong version
    assert store.write_facts(SCOPE, A, BOOK, step, "e9", EXPIRES) == CONFLICT
    assert keys(store, Range("last", 0, 10 ** 12)) == ["oa:a:o1"]
    assert store.write_facts(SCOPE, A, BOOK, [step[0], FactWrite("oa:a:o1", 1, None, step[1].before)], "e9",
                             EXPIRES) == WRITTEN  # the marker was not written by the failed step
    assert keys(store, Range("last", 0, 10 ** 12)) == ["u:U2"]
    assert list(store.facts(SCOPE, A, BOOK, ["oa:a:o1", "u:U2"])) == ["u:U2"]


def test_index_ranges_cover_every_shard_and_count_what_they_read(store):
    for i in range(40):
        write(store, f"k{i:02d}", None, {"i": i}, after={Entry("last", 1000 + i), Entry("tag:t", 0)})
    before = store.items_read
    assert keys(store, Range("last", 1010, 1019)) == [f"k{i}" for i in range(10, 20)]
    assert store.items_read - before == 10
    assert len(keys(store, Range("tag:t"))) == 40 and keys(store, Range("tag:other")) == []
    got = store.facts(SCOPE, A, BOOK, [f"k{i:02d}" for i in range(40)] * 2)
    assert len(got) == 40 and store.items_read - before == 10 + 40 + 40
    assert keys(store, Range("last", 1010, 1019)) == [f"k{i}" for i in range(10, 20)]


def test_books_do_not_see_each_other(store):
    write(store, "u:U1", None, {"a": 1}, after={Entry("all", 0)})
    assert list(store.read_index(Scope.system(B), B, B, Range("all"))) == []
    assert store.facts(Scope.system(B), B, B, ["u:U1"]) == {}
    with pytest.raises(Forbidden):
        store.facts(Scope.system(B), A, BOOK, ["u:U1"])
    with pytest.raises(Forbidden):
        store.write_facts(Scope.system(B), A, BOOK, [], None, EXPIRES)


def test_rule_segments_are_paged_in_id_order_and_deleted_once(store):
    for i in (3, 1, 2):
        store.put_segment(SCOPE, A, {"segment_id": f"r{i}", "name": f"第{i}", "rule": {"field": "wins", "op": "gte",
                                                                                    "value": i}, "created_at": i})
    store.put_rfm(SCOPE, A, {"recency_days": [1, 2, 3, 4]})
    page, after = store.page_segments(SCOPE, A, 2, None)
    assert [s["segment_id"] for s in page] == ["r1", "r2"] and after == "r2"
    page, after = store.page_segments(SCOPE, A, 2, after)
    assert [s["segment_id"] for s in page] == ["r3"] and after is None
    assert store.get_segment(SCOPE, A, "r3") == {"segment_id": "r3", "name": "第3", "created_at": 3,
                                                 "rule": {"field": "wins", "op": "gte", "value": 3}}
    assert store.delete_segment(SCOPE, A, "r3") is True and store.delete_segment(SCOPE, A, "r3") is False
    assert store.get_segment(SCOPE, A, "r3") is None and store.get_segment(Scope.system(B), B, "r1") is None
    assert store.get_rfm(SCOPE, A) == {"recency_days": [1, 2, 3, 4]} and store.get_rfm(Scope.system(B), B) is None
    with pytest.raises(Forbidden):
        store.get_segment(Scope.system(B), A, "r1")
