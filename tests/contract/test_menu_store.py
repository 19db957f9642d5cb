"""The menu store's contract, for the in-memory twin and DynamoDB (moto) alike: drafts created under a free id and
replaced only when they exist (and at the expected revision), a version written only on top of the last one,
versions paged newest first, delete keeps versions and drops conditional menus, a click counted once per event
with its user once per entry and day, counters summed over shards, tenancy."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from scrm.errors import Conflict, Forbidden, NotFound
from scrm.stores.menus.base import COUNTED, DUPLICATE, REPEAT_USER
from scrm.tenancy import Scope
from tests.contract.stores import IMPLEMENTATIONS, make_store

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
A, B = "acct-a", "acct-b"
SCOPE = Scope.system(A)
BUTTONS = [{"type": "click", "name": "签到", "key": "SIGN_IN"}]


@pytest.fixture(params=IMPLEMENTATIONS)
def store(request):
    return make_store(request, "menus", "MenuStore")


def test_a_draft_is_created_once_and_replaced_at_its_revision(store):
    made = store.create_draft(SCOPE, A, "d1", {"name": "冬季", "button": BUTTONS}, T0)
    assert made == {"draft_id": "d1", "name": "冬季", "button": BUTTONS, "version": 1, "created_at": T0,
                    "updated_at": T0} == store.get_draft(SCOPE, A, "d1")
    with pytest.raises(Conflict):
        store.create_draft(SCOPE, A, "d1", {"button": []}, T0)
    later = T0 + timedelta(minutes=1)
    changed = store.replace_draft(SCOPE, A, "d1", {"name": None, "button": BUTTONS * 2}, later, expect_version=1)
    assert (changed["version"], changed["name"], len(changed["button"])) == (2, None, 2)
    assert store.get_draft(SCOPE, A, "d1")["updated_at"] == later
    with pytest.raises(Conflict):
        store.replace_draft(SCOPE, A, "d1", {"button": BUTTONS}, later, expect_version=1)
    with pytest.raises(NotFound):
        store.replace_draft(SCOPE, A, "d9", {"button": BUTTONS}, later)
    assert [d["draft_id"] for d in store.list_drafts(SCOPE, A)] == ["d1"]
    assert store.delete_draft(SCOPE, A, "d1") is True and store.delete_draft(SCOPE, A, "d1") is False


def test_a_version_is_written_only_on_top_of_the_last_one(store):
    assert store.current(SCOPE, A) is None
    v = {"button": BUTTONS, "digest": "d-1", "draft_id": "d1", "rollback_of": None}
    assert store.add_version(SCOPE, A, v, 0, T0) is True
    assert store.add_version(SCOPE, A, {**v, "digest": "d-x"}, 0, T0) is False  # someone else wrote version 1
    assert store.current(SCOPE, A) == {"version": 1, "digest": "d-1", "deleted": False, "seq": 1}
    assert store.add_version(SCOPE, A, {**v, "digest": "d-2", "rollback_of": 1}, 1, T0) is True
    assert store.get_version(SCOPE, A, 1) == {"version": 1, "button": BUTTONS, "digest": "d-1", "draft_id": "d1",
                                              "rollback_of": None, "published_at": T0}
    assert store.get_version(SCOPE, A, 2)["rollback_of"] == 1 and store.get_version(SCOPE, A, 3) is None
    for n in range(2, 5):
        assert store.add_version(SCOPE, A, {**v, "digest": f"d-{n + 1}"}, n, T0)
    page, before = store.page_versions(SCOPE, A, 2)
    assert [p["version"] for p in page] == [5, 4] and before == 4
    page, before = store.page_versions(SCOPE, A, 2, before)
    assert [p["version"] for p in page] == [3, 2] and before == 2
    page, before = store.page_versions(SCOPE, A, 2, before)
    assert [p["version"] for p in page] == [1] and before is None


def test_delete_keeps_versions_and_forgets_conditional_menus(store):
    store.add_version(SCOPE, A, {"button": BUTTONS, "digest": "d-1"}, 0, T0)
    made = store.put_conditional(SCOPE, A, {"menuid": "400000001", "name": None, "button": BUTTONS,
                                            "matchrule": {"tag_id": "101"}}, T0)
    assert made["menuid"] == "400000001" and store.list_conditionals(SCOPE, A) == [made]
    store.put_conditional(SCOPE, A, {"menuid": "400000002", "button": BUTTONS, "matchrule": {"tag_id": "102"}}, T0)
    assert store.delete_conditional(SCOPE, A, "400000002") is True
    assert store.delete_conditional(SCOPE, A, "400000002") is False
    store.mark_deleted(SCOPE, A, T0)
    assert store.current(SCOPE, A)["deleted"] is True and store.list_conditionals(SCOPE, A) == []
    assert store.get_version(SCOPE, A, 1)["button"] == BUTTONS
    assert store.add_version(SCOPE, A, {"button": BUTTONS, "digest": "d-1"}, 1, T0) is True
    assert store.current(SCOPE, A)["deleted"] is False


def test_a_click_counts_once_and_its_user_once_a_day(store):
    rng = random.Random(3)
    assert store.count_click(SCOPE, A, "click:K", "2026-03-01", "e1", "u1", 2_000_000_000, "K", rng=rng) == COUNTED
    assert store.count_click(SCOPE, A, "click:K", "2026-03-01", "e1", "u1", 2_000_000_000, "K", rng=rng) == DUPLICATE
    assert store.count_click(SCOPE, A, "click:K", "2026-03-01", "e2", "u1", 2_000_000_000, "K", rng=rng) == \
        REPEAT_USER
    for i in range(3, 40):
        store.count_click(SCOPE, A, "click:K", "2026-03-01", f"e{i}", f"u{i % 4}", 2_000_000_000, "K", rng=rng)
    store.count_click(SCOPE, A, "view:abc", "2026-03-02", "e99", "u9", 2_000_000_000, "https://e.com/", rng=rng)
    store.count_click(SCOPE, A, "click:K", "2026-03-05", "e100", "u1", 2_000_000_000, "K", rng=rng)
    counts, reads = store.read_counts(SCOPE, A, "2026-03-01", "2026-03-02")
    assert counts == {("click:K", "2026-03-01"): {"clicks": 39, "users": 4, "label": "K"},
                      ("view:abc", "2026-03-02"): {"clicks": 1, "users": 1, "label": "https://e.com/"}}
    assert 2 <= reads <= 17  # one item per shard written, for the days asked only
    assert store.read_counts(Scope.system(B), B, "2026-03-01", "2026-03-31") == ({}, 0)


def test_tenancy(store):
    with pytest.raises(Forbidden):
        store.create_draft(SCOPE, B, "d1", {"button": BUTTONS}, T0)
    with pytest.raises(Forbidden):
        store.count_click(SCOPE, B, "click:K", "2026-03-01", "e1", "u1", 0, "K")
    with pytest.raises(Forbidden):
        store.read_counts(SCOPE, B, "2026-03-01", "2026-03-01")
    with pytest.raises(Forbidden):
        store.add_version(SCOPE, B, {"button": BUTTONS, "digest": "d"}, 0, T0)


def test_an_event_that_claimed_its_user_and_crashed_counts_the_user_when_redelivered(store):
    # the claim of the user's marker is its own write: a crash after it and before the count must not lose the user
    if hasattr(store, "claims"):
        store.claims["u#u1"] = "e1"
    else:
        store._claim_user("u1", "e1", datetime(2033, 1, 1, tzinfo=UTC))
    assert store.count_click(SCOPE, A, "click:K", "2026-03-01", "e2", "u1", 2_000_000_000, "K") == REPEAT_USER
    assert store.count_click(SCOPE, A, "click:K", "2026-03-01", "e1", "u1", 2_000_000_000, "K") == COUNTED
    assert store.count_click(SCOPE, A, "click:K", "2026-03-01", "e1", "u1", 2_000_000_000, "K") == DUPLICATE
    counts, _ = store.read_counts(SCOPE, A, "2026-03-01", "2026-03-01")
    assert counts[("click:K", "2026-03-01")] == {"clicks": 2, "users": 1, "label": "K"}
