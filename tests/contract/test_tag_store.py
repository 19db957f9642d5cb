"""The tag store's contract, for the in-memory twin and DynamoDB (moto) alike: a catalogue replaced whole by a
sync, groups put with their tags (complete or partial), tags removed with their emptied group, display order,
tenancy."""

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
    return make_store(request, "tags", "TagStore")


def group(gid: str, name: str, *tags: tuple[str, str], order: int = 0) -> dict:
    return {"group_id": gid, "name": name, "order": order, "create_time": T0,
            "tags": [{"tag_id": tid, "name": n, "order": 0, "create_time": T0 + i} for i, (tid, n) in enumerate(tags)]}


def names(catalogue: list[dict]) -> list[tuple[str, list[str]]]:
    return [(g["name"], [t["name"] for t in g["tags"]]) for g in catalogue]


def test_a_sync_replaces_the_catalogue_and_marks_it_synced(store):
    assert store.catalogue(SCOPE, A) == [] and store.synced_at(SCOPE, A) is None
    store.put_group(SCOPE, A, group("g-old", "旧", ("t-old", "旧标签")))
    counts = store.replace_catalogue(SCOPE, A, [group("g1", "等级", ("t1", "金卡"), ("t2", "银卡")),
                                                group("g2", "来源", ("t3", "门店"), order=5)], T0)
    assert counts == {"groups": 2, "tags": 3, "removed": 1}
    assert names(store.catalogue(SCOPE, A)) == [("来源", ["门店"]), ("等级", ["金卡", "银卡"])]  # order 5 first
    assert store.synced_at(SCOPE, A) == T0
    tag = store.catalogue(SCOPE, A)[1]["tags"][0]
    assert tag == {"tag_id": "t1", "group_id": "g1", "name": "金卡", "order": 0, "create_time": T0}


def test_a_group_put_complete_drops_its_other_tags_a_partial_put_keeps_them(store):
    store.put_group(SCOPE, A, group("g1", "等级", ("t1", "金卡"), ("t2", "银卡")))
    store.put_group(SCOPE, A, group("g1", "会员等级", ("t1", "金卡")), complete=False)
    assert names(store.catalogue(SCOPE, A)) == [("会员等级", ["金卡", "银卡"])]
    store.put_group(SCOPE, A, group("g1", "会员等级", ("t2", "银卡")))
    assert names(store.catalogue(SCOPE, A)) == [("会员等级", ["银卡"])]
    store.put_tag(SCOPE, A, {"tag_id": "t2", "group_id": "g1", "name": "白银", "order": 3, "create_time": T0})
    store.put_tag(SCOPE, A, {"tag_id": "t4", "group_id": "g1", "name": "钻石", "order": 9, "create_time": T0})
    assert names(store.catalogue(SCOPE, A)) == [("会员等级", ["钻石", "白银"])]


def test_removing_tags_removes_an_emptied_group_and_is_idempotent(store):
    store.put_group(SCOPE, A, group("g1", "等级", ("t1", "金卡"), ("t2", "银卡")))
    store.put_group(SCOPE, A, group("g2", "来源", ("t3", "门店")))
    assert store.remove(SCOPE, A, tag_ids=["t1"]) == ["t1"]
    assert names(store.catalogue(SCOPE, A)) == [("等级", ["银卡"]), ("来源", ["门店"])]
    assert sorted(store.remove(SCOPE, A, tag_ids=["t2", "t1"])) == ["t2"]
    assert names(store.catalogue(SCOPE, A)) == [("来源", ["门店"])]
    assert store.remove(SCOPE, A, group_ids=["g2"]) == ["t3"]
    assert store.remove(SCOPE, A, group_ids=["g2"], tag_ids=["t9"]) == []
    assert store.catalogue(SCOPE, A) == []


def test_another_accounts_catalogue_is_out_of_reach(store):
    store.put_group(SCOPE, A, group("g1", "等级", ("t1", "金卡")))
    other = Scope(account_id="corp-b", key_id="corp-b.k1", role="admin")
    assert store.catalogue(Scope.system("corp-b"), "corp-b") == []
    for call in (lambda: store.catalogue(other, A), lambda: store.synced_at(other, A),
                 lambda: store.remove(other, A, tag_ids=["t1"]),
                 lambda: store.put_group(other, A, group("g9", "x", ("t9", "y"))),
                 lambda: store.replace_catalogue(other, A, [], T0)):
        with pytest.raises(Forbidden):
            call()
    assert names(store.catalogue(SCOPE, A)) == [("等级", ["金卡"])]
