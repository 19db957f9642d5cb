"""Customer group membership on the in-memory twins: change_external_chat events applied once, sizes that never go
negative nor count a member twice whatever order joins and leaves arrive in, unknown chat ids recorded as failures
with nothing half-written, large changes split into transactions. The same conditions on DynamoDB:
tests/contract/test_group_store.py; over moto and redelivery: tests/integration/test_groups.py."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scrm import bootstrap
from scrm.domain import groups as rules
from scrm.errors import WeChatBusy, WeChatError
from scrm.services.channels import common
from scrm.services.groups import admin, membership
from scrm.stores.channels import MemoryChannelStore
from scrm.stores.groups import MemoryGroupStore
from scrm.tenancy import Scope

CORP = "corp-1"
NOW = 1_764_576_000.0  # 2025-12-01 08:00 China time


class FakeGroups:
    """groupchat/get over a dict of chats (WeCom's shape), recording calls; 40050 for an unknown chat id."""

    def __init__(self):
        self.chats: dict[str, dict] = {}
        self.calls = 0
        self.busy = 0

    def chat(self, chat_id: str, owner: str = "zhangsan", name: str = "客户群") -> dict:
        self.chats[chat_id] = {"chat_id": chat_id, "name": name, "owner": owner, "create_time": int(NOW) - 60,
                               "member_list": [{"userid": owner, "type": 1, "join_time": int(NOW) - 60,
                                                "join_scene": 1}]}
        return self.chats[chat_id]

    def join(self, chat_id: str, userid: str, t: int, state: str | None = None) -> None:
        member = {"userid": userid, "type": 2, "join_time": t, "join_scene": 3, "invitor": {"userid": "zhangsan"}}
        if state:
            member["state"] = state
        self.chats[chat_id]["member_list"].append(member)

    def leave(self, chat_id: str, userid: str) -> None:
        self.chats[chat_id]["member_list"] = [m for m in self.chats[chat_id]["member_list"] if m["userid"] != userid]

    def group_chat(self, chat_id: str) -> dict:
        self.calls += 1
        if self.busy:
            self.busy -= 1
            raise WeChatBusy(-1, "system busy")
        if chat_id not in self.chats:
            raise WeChatError(40050, "chatid not found")
        return {"group_chat": self.chats[chat_id]}


@pytest.fixture
def world(monkeypatch):
    groups, channels, wecom = MemoryGroupStore(), MemoryChannelStore(), FakeGroups()
    bootstrap.reset(group_store=groups, channel_store=channels, clock=lambda: NOW)
    monkeypatch.setattr(common, "account_of", lambda a, allow_disabled=False: SimpleNamespace(account_id=a,
                                                                                            kind="wecom"))
    monkeypatch.setattr(common, "gateway_of", lambda account: wecom)
    return SimpleNamespace(store=groups, channels=channels, wecom=wecom, scope=Scope.system(CORP))


def event(chat_id: str, change: str, t: int, detail: str | None = None, members=(), **extra) -> dict:
    ev = {"ToUserName": CORP, "FromUserName": "sys", "CreateTime": str(t), "MsgType": "event",
          "Event": "change_external_chat", "ChatId": chat_id, "ChangeType": change}
    if detail:
        ev.update(UpdateDetail=detail, JoinScene="3", QuitScene="0", MemChangeCnt=str(len(members)),
                  MemChangeList=list(members))
    return {**ev, **extra}


def apply(ev: dict, key: str | None = None) -> dict:
    key = key or "|".join(str(ev.get(k, "")) for k in ("ChangeType", "ChatId", "UpdateDetail", "CreateTime",
                                                       "MemChangeList"))
    return membership.apply_chat_event(CORP, ev, key, "wecom.change_external_chat." + ev["ChangeType"])


def size(world, chat_id: str) -> int:
    return world.store.get_groups(world.scope, CORP, [chat_id])[chat_id]["size"]


def test_create_then_joins_and_leaves_keep_the_size_and_the_members(world):
    t = int(NOW)
    world.wecom.chat("wr1")
    apply(event("wr1", "create", t))
    assert size(world, "wr1") == 1  # the owner
    world.wecom.join("wr1", "wmA", t + 1)
    world.wecom.join("wr1", "wmB", t + 1)
    apply(event("wr1", "update", t + 1, "add_member", ["wmA", "wmB"]))
    assert size(world, "wr1") == 3
    world.wecom.leave("wr1", "wmA")
    apply(event("wr1", "update", t + 2, "del_member", ["wmA"]))
    assert size(world, "wr1") == 2
    members, _ = admin.members_page(world.scope, CORP, "wr1", limit=10)
    by_id = {m["userid"]: m for m in members}
    assert by_id["wmA"]["in_group"] is False and by_id["wmA"]["quit_time"] is not None
    assert by_id["wmB"]["in_group"] and by_id["wmB"]["join_scene"] == 3 and by_id["wmB"]["invitor"] == "zhangsan"
    days = admin.sizes(world.scope, CORP, "wr1", {}, NOW)["days"]
    assert days == [{"day": "2025-12-01", "joins": 3, "quits": 1, "size": 2}]


def test_a_redelivered_event_changes_nothing(world):
    t = int(NOW)
    world.wecom.chat("wr1")
    world.wecom.join("wr1", "wmA", t)
    ev = event("wr1", "update", t, "add_member", ["wmA"])
    first = apply(ev, "k1")
    commits = world.store.commits
    again = [apply(ev, "k1") for _ in range(3)]
    assert first["applied"] and all(a.get("duplicate") for a in again)
    assert world.store.commits == commits and size(world, "wr1") == 2


def test_a_leave_before_its_join_is_recorded_is_neither_negative_nor_counted(world):
    t = int(NOW)
    world.wecom.chat("wr1")
    apply(event("wr1", "create", t - 10))
    # wmA joined at t and left at t + 5; the leave arrives first, and groupchat/get no longer lists them
    apply(event("wr1", "update", t + 5, "del_member", ["wmA"]))
    assert size(world, "wr1") == 1
    apply(event("wr1", "update", t, "add_member", ["wmA"]))
    assert size(world, "wr1") == 1
    member = world.store.get_members(world.scope, CORP, "wr1", ["wmA"])["wmA"]
    assert member["in_group"] is False and member["join_time"] == t and member["quit_time"] == t + 5
    # and a leave of someone never in the group never takes the size below zero
    apply(event("wr1", "update", t + 6, "del_member", ["zhangsan"]))
    apply(event("wr1", "update", t + 7, "del_member", ["zhangsan"]))
    assert size(world, "wr1") == 0


def test_an_unknown_chat_id_is_a_recorded_failure_and_nothing_else(world):
    out = apply(event("wr-nope", "update", int(NOW), "add_member", ["wmA"]), "k-bad")
    assert out == {"failed": 40050, "duplicate": False}
    assert world.store.get_groups(world.scope, CORP, ["wr-nope"]) == {}
    assert world.store.members == {} and world.store.days == {}
    [failure] = admin.failures(world.scope, CORP)
    assert failure["errcode"] == 40050 and failure["chat_id"] == "wr-nope"
    assert apply(event("wr-nope", "update", int(NOW), "add_member", ["wmA"]), "k-bad")["duplicate"]
    assert len(admin.failures(world.scope, CORP)) == 1


def test_a_busy_wecom_is_retried_not_recorded(world):
    world.wecom.chat("wr1")
    world.wecom.busy = 1
    with pytest.raises(WeChatBusy):
        apply(event("wr1", "create", int(NOW)), "k1")
    assert world.store.failed == {} and world.store.markers == {}
    assert apply(event("wr1", "create", int(NOW)), "k1")["applied"]


def test_dismiss_marks_the_group_and_needs_no_call(world):
    world.wecom.chat("wr1")
    apply(event("wr1", "create", int(NOW)))
    calls = world.wecom.calls
    apply(event("wr1", "dismiss", int(NOW) + 5))
    group = admin.get_group(world.scope, CORP, "wr1")
    assert group["status"] == "dismissed" and group["size"] == 0 and world.wecom.calls == calls


def test_change_owner_and_name_come_from_groupchat_get(world):
    world.wecom.chat("wr1")
    apply(event("wr1", "create", int(NOW)))
    world.wecom.chats["wr1"].update(owner="lisi", name="VIP 群")
    apply(event("wr1", "update", int(NOW) + 1, "change_owner"))
    apply(event("wr1", "update", int(NOW) + 2, "change_name"))
    group = admin.get_group(world.scope, CORP, "wr1")
    assert (group["owner"], group["name"]) == ("lisi", "VIP 群")


def test_a_large_change_is_split_into_transactions_of_90(world):
    t = int(NOW)
    world.wecom.chat("wr1")
    ids = [f"wm{i:03d}" for i in range(150)]
    for u in ids:
        world.wecom.join("wr1", u, t)
    out = apply(event("wr1", "update", t, "add_member", ids))
    assert out["transactions"] == 2 and size(world, "wr1") == 151  # the baseline has them all, once


def test_groups_and_members_are_paged(world):
    for i in range(5):
        world.wecom.chat(f"wr{i}")
        apply(event(f"wr{i}", "create", int(NOW)))
    first, cursor = admin.list_groups_page(world.scope, CORP, limit=2)
    second, cursor2 = admin.list_groups_page(world.scope, CORP, limit=2, start=cursor)
    third, end = admin.list_groups_page(world.scope, CORP, limit=2, start=cursor2)
    assert [g["chat_id"] for g in first + second + third] == [f"wr{i}" for i in range(5)] and end is None


# ---- the rules, whatever the order

OPS = st.lists(st.tuples(st.sampled_from(["add", "del"]), st.sampled_from(["a", "b", "c"]),
                         st.integers(min_value=0, max_value=20)), max_size=30)


@settings(max_examples=200, deadline=None)
@given(OPS)
def test_size_equals_members_in_the_group_and_never_goes_negative(ops):
    group, known = rules.new_group("wr", 0), {}
    for op, userid, t in ops:
        change = rules.Change(group=dict(group))
        ev = {"UpdateDetail": "add_member" if op == "add" else "del_member", "MemChangeList": [userid]}
        rules.apply_update(change, ev, None, known, t)
        group = change.group
        for m in change.members:
            known[m["userid"]] = m
        assert group["size"] >= 0
        assert group["size"] == sum(1 for m in known.values() if m["in_group"])


@settings(max_examples=200, deadline=None)
@given(OPS)
def test_applying_an_event_twice_is_applying_it_once(ops):
    def run(ops, twice):
        group, known, joins = rules.new_group("wr", 0), {}, 0
        for op, userid, t in ops:
            for _ in range(2 if twice else 1):
                change = rules.Change(group=dict(group))
                ev = {"UpdateDetail": "add_member" if op == "add" else "del_member", "MemChangeList": [userid]}
                rules.apply_update(change, ev, None, known, t)
                group, joins = change.group, joins + len(change.joins)
                for m in change.members:
                    known[m["userid"]] = m
        return group["size"], joins

    assert run(ops, False) == run(ops, True)


# ---- group codes: which groups the code shows

POOL = [f"wr{i}" for i in range(8)]


def test_the_code_shows_the_first_open_groups_and_keeps_them_while_open():
    groups = {"wr0": {"size": 100}, "wr1": {"size": 99}, "wr2": {"status": "dismissed", "size": 3}}
    assert rules.in_code(POOL, groups, 100) == ["wr1", "wr3", "wr4", "wr5", "wr6"]
    # wr0 reopened by a leave: the code keeps its groups while they are open
    groups["wr0"]["size"] = 50
    assert rules.in_code(POOL, groups, 100, current=["wr1", "wr3", "wr4", "wr5", "wr6"]) == [
        "wr1", "wr3", "wr4", "wr5", "wr6"]
    # wr1 fills up: its place goes to the pool's first open group not on the code
    groups["wr1"]["size"] = 100
    assert rules.in_code(POOL, groups, 100, current=["wr1", "wr3", "wr4", "wr5", "wr6"]) == [
        "wr0", "wr3", "wr4", "wr5", "wr6"]


def test_a_full_pool_keeps_its_last_live_group_and_an_empty_one_none():
    full = {c: {"size": 100} for c in POOL}
    assert rules.in_code(POOL, full, 100) == ["wr7"]
    gone = {c: {"status": "dismissed"} for c in POOL}
    assert rules.in_code(POOL, gone, 100) == []
    assert not rules.needs_rotation(["wr1"], [])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 7), st.integers(0, 120), st.booleans()), max_size=12),
       st.lists(st.sampled_from(POOL), max_size=5, unique=True), st.integers(1, 120))
def test_the_code_holds_at_most_5_open_pool_groups_and_changes_only_for_a_reason(changes, current, cap):
    groups = {}
    for i, size, dismissed in changes:
        groups[POOL[i]] = {"size": size, "status": "dismissed" if dismissed else "active"}
    wanted = rules.in_code(POOL, groups, cap, current=current)

    def is_open(c):
        return groups.get(c, {}).get("status") != "dismissed" and groups.get(c, {}).get("size", 0) < cap

    assert len(wanted) <= rules.MAX_CODE_GROUPS and set(wanted) <= set(POOL)
    if any(is_open(c) for c in POOL):
        assert all(is_open(c) for c in wanted)
        assert {c for c in current if is_open(c)} <= set(wanted)  # an open group on the code stays
        if all(is_open(c) for c in current) and len(current) == min(5, sum(map(is_open, POOL))) and current:
            assert not rules.needs_rotation(current, wanted)  # nothing filled up: no update_join_way
