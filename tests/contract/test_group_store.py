"""The customer group store's contract, for the in-memory twin and DynamoDB (moto) alike: a change is committed only
under a new marker and the group's version as read, all of it or nothing; failures are recorded once; pages and
sizes per day; members found by userid for privacy; tenancy."""

from __future__ import annotations

import pytest

from scrm.domain import groups as rules
from scrm.errors import Forbidden
from scrm.tenancy import Scope
from tests.contract.stores import IMPLEMENTATIONS, make_store

A, B = "corp-a", "corp-b"
SCOPE = Scope.system(A)
T = 1_764_576_000


@pytest.fixture(params=IMPLEMENTATIONS)
def store(request):
    return make_store(request, "groups", "GroupStore")


def member(userid: str, in_group: bool = True, **values) -> dict:
    return {**rules.member_from("wr1", {"userid": userid, "join_scene": 3, "join_time": T, "state": "s1",
                                        "invitor": {"userid": "zhangsan"}}, T), "in_group": in_group, **values}


def group(size: int, **values) -> dict:
    return {**rules.new_group("wr1", T), "name": "客户群", "owner": "zhangsan", "size": size, **values}


def day(joins: int, quits: int, size: int) -> dict:
    return {"day": "2025-12-01", "joins": joins, "quits": quits, "size": size}


def test_a_change_commits_once_under_its_marker_and_the_version_it_read(store):
    assert store.commit_change(SCOPE, A, marker="m1", group=group(1), expect_version=None, members=[member("wmA")],
                               day=day(1, 0, 1), now=T)
    assert store.applied(SCOPE, A, "m1") and not store.applied(SCOPE, A, "m2")
    # the same marker again, or a new group over one that exists: refused, nothing written
    assert not store.commit_change(SCOPE, A, marker="m1", group=group(2), expect_version=1,
                                   members=[member("wmB")], day=day(1, 0, 2), now=T)
    assert not store.commit_change(SCOPE, A, marker="m2", group=group(2), expect_version=None,
                                   members=[member("wmB")], day=day(1, 0, 2), now=T)
    # a stale version: refused
    assert not store.commit_change(SCOPE, A, marker="m2", group=group(2), expect_version=7,
                                   members=[member("wmB")], day=day(1, 0, 2), now=T)
    assert store.get_members(SCOPE, A, "wr1", ["wmA", "wmB"]).keys() == {"wmA"}
    assert store.commit_change(SCOPE, A, marker="m2", group=group(2), expect_version=1, members=[member("wmB")],
                               day=day(1, 0, 2), now=T)
    stored = store.get_groups(SCOPE, A, ["wr1", "wr-none"])
    assert stored.keys() == {"wr1"} and stored["wr1"]["size"] == 2 and stored["wr1"]["version"] == 2
    assert stored["wr1"]["name"] == "客户群"
    assert store.sizes(SCOPE, A, "wr1", "2025-12-01", "2025-12-31") == [day(2, 0, 2)]
    got = store.get_members(SCOPE, A, "wr1", ["wmB"])["wmB"]
    assert got == member("wmB")


def test_a_slice_without_marker_still_needs_the_version(store):
    assert store.commit_change(SCOPE, A, marker=None, group=group(1), expect_version=None, members=[member("wmA")],
                               day=None, now=T)
    assert not store.commit_change(SCOPE, A, marker=None, group=group(1), expect_version=None, members=[], day=None,
                                   now=T)
    assert store.sizes(SCOPE, A, "wr1", "2025-12-01", "2025-12-31") == []


def test_a_failure_is_recorded_once_with_the_marker(store):
    failure = {"chat_id": "wr-x", "dedupe_key": "k", "kind": "wecom.change_external_chat.update", "errcode": 40050,
               "errmsg": "chatid not found", "at": T}
    assert store.record_chat_failure(SCOPE, A, marker="mf", failure=failure, now=T)
    assert not store.record_chat_failure(SCOPE, A, marker="mf", failure=failure, now=T)
    assert store.applied(SCOPE, A, "mf")
    assert store.failures(SCOPE, A) == [failure]
    assert store.get_groups(SCOPE, A, ["wr-x"]) == {}


def test_groups_and_members_are_paged_in_key_order(store):
    version = None
    for i in range(3):
        g = {**rules.new_group(f"wr{i}", T), "size": 0}
        assert store.commit_change(SCOPE, A, marker=f"m{i}", group=g, expect_version=version, members=[], day=None,
                                   now=T)
    first, cursor = store.page_groups(SCOPE, A, limit=2)
    rest, end = store.page_groups(SCOPE, A, limit=2, start=cursor)
    assert [g["chat_id"] for g in first + rest] == ["wr0", "wr1", "wr2"] and end is None
    store.commit_change(SCOPE, A, marker="mm", group=group(3), expect_version=1,
                        members=[member("wmA"), member("wmB"), member("wmC", in_group=False)], day=None, now=T)
    page1, c1 = store.page_members(SCOPE, A, "wr1", limit=2)
    page2, c2 = store.page_members(SCOPE, A, "wr1", limit=2, start=c1)
    assert [m["userid"] for m in page1 + page2] == ["wmA", "wmB", "wmC"] and c2 is None
    with pytest.raises(ValueError):
        store.page_groups(Scope.system(B), B, limit=2, start=cursor)


def test_members_are_found_and_erased_by_userid(store):
    store.commit_change(SCOPE, A, marker="m1", group=group(1), expect_version=None, members=[member("wmA")],
                        day=None, now=T)
    [found] = store.member_items(SCOPE, A, {"wmA"})
    assert found["userid"] == "wmA"
    store.erase_member(SCOPE, A, found, "erased-1")
    assert store.member_items(SCOPE, A, {"wmA"}) == []
    [kept] = store.member_items(SCOPE, A, {"erased-1"})
    assert kept["invitor"] is None and kept["in_group"]


def test_another_accounts_scope_is_refused(store):
    with pytest.raises(Forbidden):
        store.get_groups(Scope.system(B), A, ["wr1"])
    with pytest.raises(Forbidden):
        store.commit_change(Scope.system(B), A, marker="m", group=group(1), expect_version=None, members=[], day=None,
                            now=T)


def template(tid: str = "msgT1", **values) -> dict:
    return {"template_id": tid, "name": "欢迎", "text": {"content": "欢迎%NICKNAME%"}, "image": None, "link": None,
            "miniprogram": None, "created_at": T, "updated_at": T, **values}


def test_a_template_in_use_cannot_start_its_delete_and_one_being_deleted_cannot_be_used(store):
    assert store.put_template(SCOPE, A, template())
    assert not store.put_template(SCOPE, A, template())  # its template_id exists
    assert store.use_template(SCOPE, A, "msgT1", "ch1") and store.use_template(SCOPE, A, "msgT1", "ch2")
    assert not store.use_template(SCOPE, A, "msg-none", "ch1")
    assert store.get_template(SCOPE, A, "msgT1")["used_by"] == ["ch1", "ch2"]
    assert not store.begin_delete_template(SCOPE, A, "msgT1")
    store.release_template(SCOPE, A, "msgT1", "ch1")
    store.release_template(SCOPE, A, "msgT1", "ch2")
    store.release_template(SCOPE, A, "msgT1", "ch2")  # twice: nothing
    assert store.replace_template(SCOPE, A, template(text={"content": "新"}, updated_at=T + 5))
    got = store.get_template(SCOPE, A, "msgT1")
    assert got["text"] == {"content": "新"} and got["created_at"] == T and got["used_by"] == []
    assert store.begin_delete_template(SCOPE, A, "msgT1")
    assert not store.use_template(SCOPE, A, "msgT1", "ch3") and not store.replace_template(SCOPE, A, template())
    assert not store.begin_delete_template(SCOPE, A, "msgT1")
    store.end_delete_template(SCOPE, A, "msgT1", deleted=False)  # WeCom refused: active again
    assert store.get_template(SCOPE, A, "msgT1")["status"] == "active"
    assert store.begin_delete_template(SCOPE, A, "msgT1")
    store.end_delete_template(SCOPE, A, "msgT1", deleted=True)
    assert store.get_template(SCOPE, A, "msgT1") is None and store.list_templates(SCOPE, A) == []
    with pytest.raises(Forbidden):
        store.list_templates(Scope.system(B), A)


def test_the_vip_flag_is_written_over_the_version_and_kept_by_later_commits(store):
    assert store.commit_change(SCOPE, A, marker="m1", group=group(1), expect_version=None, members=[], day=None,
                               now=T)
    assert not store.set_vip(SCOPE, A, "wr1", True, expect_version=7)
    assert not store.set_vip(SCOPE, A, "wr-none", True, expect_version=1)
    assert store.set_vip(SCOPE, A, "wr1", True, expect_version=1)
    g = store.get_groups(SCOPE, A, ["wr1"])["wr1"]
    assert g["vip"] is True and g["version"] == 2
    # a membership commit carries the group as read, the flag with it
    assert store.commit_change(SCOPE, A, marker="m2", group={**g, "size": 2}, expect_version=2, members=[],
                               day=None, now=T)
    assert store.get_groups(SCOPE, A, ["wr1"])["wr1"]["vip"] is True


def test_an_owners_groups_are_found_through_the_owner_index_and_follow_a_handover(store):
    for i, owner in enumerate(["alice", "alice", "bob", None]):
        g = {**rules.new_group(f"wr{i}", T), "owner": owner, "size": 3}
        assert store.commit_change(SCOPE, A, marker=f"o{i}", group=g, expect_version=None, members=[], day=None, now=T)
    other = {**rules.new_group("wr9", T), "owner": "alice", "size": 1}
    assert store.commit_change(Scope.system(B), B, marker="o9", group=other, expect_version=None, members=[],
                               day=None, now=T)
    assert sorted(store.groups_of_owners(SCOPE, A, ["alice"])) == ["wr0", "wr1"]  # not corp-b's wr9
    assert sorted(store.groups_of_owners(SCOPE, A, ["alice", "bob", "carol"])) == ["wr0", "wr1", "wr2"]
    moved = {**store.get_groups(SCOPE, A, ["wr1"])["wr1"], "owner": "bob"}  # change_owner
    assert store.commit_change(SCOPE, A, marker="o10", group=moved, expect_version=moved["version"], members=[],
                               day=None, now=T)
    assert sorted(store.groups_of_owners(SCOPE, A, ["alice"])) == ["wr0"]
    assert store.groups_of_owners(SCOPE, A, ["bob"])["wr1"]["owner"] == "bob"
    with pytest.raises(Forbidden):
        store.groups_of_owners(Scope("corp-b", "k", "admin"), A, ["alice"])


def test_group_tags_are_kept_with_the_group_and_found_by_tag(store):
    assert store.put_group_tag(SCOPE, A, {"tag_id": "gt1", "name": "高活跃", "created_at": T})
    assert not store.put_group_tag(SCOPE, A, {"tag_id": "gt1", "name": "again", "created_at": T})
    assert store.put_group_tag(SCOPE, A, {"tag_id": "gt2", "name": "老群", "created_at": T})
    for i in range(3):
        g = {**rules.new_group(f"wr{i}", T), "owner": "alice", "size": 2}
        store.commit_change(SCOPE, A, marker=f"t{i}", group=g, expect_version=None, members=[], day=None, now=T)
    assert store.set_group_tags(SCOPE, A, "wr0", ["gt1"], 1)
    assert not store.set_group_tags(SCOPE, A, "wr0", ["gt2"], 1)  # stale version
    assert store.set_group_tags(SCOPE, A, "wr1", ["gt1", "gt2"], 1)
    assert sorted(store.groups_with_tags(SCOPE, A, ["gt1"])) == ["wr0", "wr1"]
    # a membership commit over the tagged group keeps its tags
    g = store.get_groups(SCOPE, A, ["wr1"])["wr1"]
    assert g["tags"] == ["gt1", "gt2"] and g["version"] == 2
    assert store.commit_change(SCOPE, A, marker="t9", group={**g, "size": 3}, expect_version=2, members=[], day=None,
                               now=T)
    assert store.get_groups(SCOPE, A, ["wr1"])["wr1"]["tags"] == ["gt1", "gt2"]
    assert store.set_group_tags(SCOPE, A, "wr1", ["gt2"], 3)
    assert sorted(store.groups_with_tags(SCOPE, A, ["gt1"])) == ["wr0"]
    assert sorted(store.groups_with_tags(SCOPE, A, ["gt1", "gt2"])) == ["wr0", "wr1"]
    assert store.set_group_tags(SCOPE, A, "wr0", [], 2) and store.groups_with_tags(SCOPE, A, ["gt1"]) == {}
    assert store.delete_group_tag(SCOPE, A, "gt2", T + 1) and not store.delete_group_tag(SCOPE, A, "gt2", T + 2)
    assert not store.delete_group_tag(SCOPE, A, "gt-none", T)
    assert [(t["tag_id"], t["deleted_at"]) for t in store.group_tags(SCOPE, A)] == [("gt1", None), ("gt2", T + 1)]
    assert store.group_tags(Scope.system(B), B) == []
