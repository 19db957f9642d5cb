"""One contract, both moment stores: the in-memory twin and DynamoDB on moto honour the same conditions
(base.MomentStore): tenancy inside the store, copies out, conditional updates and the lease that answer False/None,
the due hint, paging with DynamoDB-shaped cursors, and the customers' monthly counts on the quota ledger
(reserved once per moment, at most the limit, released once)."""

from __future__ import annotations

import pytest

from scrm.errors import Forbidden
from scrm.stores.moments import DuplicateMoment
from scrm.tenancy import Scope
from tests.contract.stores import IMPLEMENTATIONS, make_store

NOW = 1_796_000_000.0
TTL = 2_000_000_000


@pytest.fixture(params=IMPLEMENTATIONS)
def store(request):
    return make_store(request, "moments", "MomentStore")


def moment(moment_id="m0000000000000001", account_id="acct", **fields):
    return {"account_id": account_id, "moment_id": moment_id, "name": "", "status": "scheduled",
            "content": {"text": "你好", "attachments": []}, "visible_range": {"senders": ["s1"], "tag_ids": []},
            "timezone": "Asia/Shanghai", "send_at": NOW, "next_run_at": NOW, "due": "1", "created_at": NOW,
            "updated_at": NOW, **fields}


def test_a_moment_reads_back_as_written_and_a_second_create_is_refused(store):
    store.create_moment(moment())
    got = store.get_moment("acct", "m0000000000000001")
    assert got["content"] == {"text": "你好", "attachments": []} and got["status"] == "scheduled"
    got["content"]["text"] = "changed"
    assert store.get_moment("acct", "m0000000000000001")["content"]["text"] == "你好"
    with pytest.raises(DuplicateMoment):
        store.create_moment(moment())
    assert store.get_moment("acct", "nope") is None


def test_updates_are_conditional_and_none_removes_a_field(store):
    store.create_moment(moment())
    assert not store.update_moment("acct", "m0000000000000001", {"status": "creating"}, expect_status=("publishing",))
    assert store.update_moment("acct", "m0000000000000001", {"status": "creating", "due": None},
                               expect_status=("scheduled",))
    got = store.get_moment("acct", "m0000000000000001")
    assert got["status"] == "creating" and "due" not in got
    assert not store.update_moment("acct", "missing", {"status": "x"})


def test_one_lease_at_a_time_and_only_when_due(store):
    store.create_moment(moment())
    store.create_moment(moment("m0000000000000002", next_run_at=NOW + 100))
    assert store.due(NOW) == [("acct", "m0000000000000001")]
    assert store.claim("acct", "m0000000000000002", "a", NOW, NOW + 300) is None  # not yet due
    assert store.claim("acct", "m0000000000000001", "a", NOW, NOW + 300)["lease_owner"] == "a"
    assert store.claim("acct", "m0000000000000001", "b", NOW + 1, NOW + 301) is None
    assert not store.update_moment("acct", "m0000000000000001", {"status": "x"}, expect_owner="b")
    assert store.claim("acct", "m0000000000000001", "b", NOW + 301, NOW + 601)["lease_owner"] == "b"  # ran out
    store.update_moment("acct", "m0000000000000001", {"due": None})
    assert store.claim("acct", "m0000000000000001", "c", NOW + 999, NOW + 1300) is None


def test_pages_newest_first_with_cursors_of_one_account(store):
    for i in range(5):
        store.create_moment(moment(f"m{i:016d}"))
    store.create_moment(moment("m9", account_id="other"))
    seen, start = [], None
    while True:
        items, start = store.page_moments("acct", 2, start)
        seen += [m["moment_id"] for m in items]
        if start is None:
            break
    assert seen == [f"m{i:016d}" for i in reversed(range(5))]
    _, cursor = store.page_moments("acct", 2)
    with pytest.raises(ValueError):
        store.page_moments("other", 2, cursor)


def test_tenancy_is_checked_inside_the_store(store):
    store.create_moment(moment())
    view = store.scoped(Scope(account_id="other", key_id="k1", role="admin"))
    with pytest.raises(Forbidden):
        view.get_moment("acct", "m0000000000000001")
    with pytest.raises(Forbidden):
        view.reserve_many("acct", ["acct#moment#recipient#m202612#c1"], 4, "m1", TTL)
    assert view.due(NOW) == []


def test_monthly_counts_reserve_once_per_moment_up_to_the_limit_and_release_once(store):
    key = "acct#moment#recipient#m202612#c1"
    for n in range(4):
        assert store.reserve_many("acct", [key], 4, f"m{n}", TTL) == [True]
    assert store.reserve_many("acct", [key], 4, "m0", TTL) == [True], "a rerun of the same moment is free"
    assert store.reserve_many("acct", [key], 4, "m4", TTL) == [False], "the fifth moment of the month"
    assert store.used_many("acct", [key]) == {key: 4}
    store.release_many("acct", [key], "m1")
    store.release_many("acct", [key], "m1")
    assert store.used_many("acct", [key]) == {key: 3}
    many = [f"acct#moment#recipient#m202612#c{i}" for i in range(250)]
    before = store.round_trips
    assert all(store.reserve_many("acct", many, 4, "mbig", TTL))
    assert store.round_trips - before == 3, "transactions of at most 100 rows"
