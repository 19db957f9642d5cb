"""Pushes to customer groups (群发到客户群) on the in-memory twins: the audience from the groups capability (by owner,
by chat id; dismissed, unknown and ownerless groups left out and counted), one add_msg_template (chat_type group)
per owner, once a day per group (skipped and counted, reserved once under redelivery), results through the v2
APIs."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import pytest

from scrm.errors import ValidationError, WeChatUnavailable
from scrm.services.pushes import PushService
from scrm.stores.groups.memory import MemoryGroupStore
from scrm.stores.pushes import MemoryPushStore
from scrm.tenancy import Scope

T0 = 1_714_536_000.0  # 2024-05-01 12:00 Asia/Shanghai
ACCT = "corp"
SCOPE = Scope.system()


@dataclass
class Account:
    account_id: str = ACCT
    kind: str = "wecom"
    account_type: str = "service"
    options: dict = field(default_factory=dict)


class Clock:
    def __init__(self):
        self.now = T0

    def __call__(self):
        return self.now


class FakeWeCom:
    """add_msg_template (chat_type group with chat_id_list) and the v2 result APIs, as documented (93338)."""

    def __init__(self):
        self.tasks: dict[str, dict] = {}
        self.calls: list[tuple[str, str, list]] = []
        self.faults: list[BaseException] = []
        self.ids = itertools.count(1)

    def add_msg_template_to_groups(self, sender, chat_ids, message):
        assert 1 <= len(chat_ids) <= 2000
        self.calls.append(("add_msg_template", sender, list(chat_ids)))
        msgid = f"msg{next(self.ids)}"
        self.tasks[msgid] = {"creator": sender, "chat_ids": list(chat_ids), "message": message, "sent": False,
                             "create_time": 0}
        if self.faults:
            raise self.faults.pop(0)  # WeCom created it, but we never heard back
        return {"errcode": 0, "fail_list": [], "msgid": msgid}

    def post(self, endpoint, body):
        assert endpoint == "externalcontact/get_groupmsg_list_v2" and body["chat_type"] == "group"
        rows = [{"msgid": m, "creator": t["creator"], "create_type": 0, "text": t["message"].get("text"),
                 "attachments": t["message"].get("attachments", [])}
                for m, t in self.tasks.items() if t["creator"] == body["creator"]]
        return {"group_msg_list": rows, "next_cursor": ""}

    def groupmsg_task(self, msgid, cursor=""):
        t = self.tasks[msgid]
        return {"task_list": [{"userid": t["creator"], "status": 2 if t["sent"] else 0}], "next_cursor": ""}

    def groupmsg_send_result(self, msgid, userid, cursor=""):
        t = self.tasks[msgid]  # chat_type group: only the groups it was sent to are listed
        return {"send_list": [{"chat_id": c, "userid": userid, "status": 1} for c in t["chat_ids"]] if t["sent"]
                else [], "next_cursor": ""}


def add_group(groups: MemoryGroupStore, chat_id: str, owner: str | None, status: str = "active"):
    groups.commit_change(SCOPE, ACCT, marker=f"m-{chat_id}", group={
        "chat_id": chat_id, "name": chat_id, "owner": owner, "status": status, "size": 3, "version": 0,
        "created_at": T0, "updated_at": T0}, expect_version=None, members=[], day=None, now=T0)


def make(options=None):
    store, groups, gw, clock = MemoryPushStore(), MemoryGroupStore(), FakeWeCom(), Clock()
    acct = Account(options=options or {})
    svc = PushService(store, account_for=lambda _a: acct, gateway_for=lambda _a: gw, clock=clock, groups=groups)
    return svc, groups, gw, clock


def body(audience, **kw):
    return {"content": {"type": "wecom", "text": "周末团购"}, "audience": audience,
            "send_at": "2024-05-01T13:00:00", **kw}


def run(svc, clock, ticks=3):
    for _ in range(ticks):
        clock.now += 3600
        svc.run_due()


def test_one_task_per_owner_with_that_owners_groups():
    svc, groups, gw, clock = make()
    for i in range(5):
        add_group(groups, f"wr-a{i}", "alice")
    for i in range(3):
        add_group(groups, f"wr-b{i}", "bob")
    add_group(groups, "wr-c0", "carol")
    p = svc.create(SCOPE, ACCT, body({"type": "groups", "owners": ["alice", "bob"]}))
    preview = svc.preview_push(SCOPE, ACCT, p["push_id"])
    assert (preview["groups"], preview["owners"], preview["api_calls"], preview["strategy"]) == (8, 2, 2, "groups")
    svc.confirm(SCOPE, ACCT, p["push_id"])
    run(svc, clock, 1)
    assert sorted((s, len(c)) for _, s, c in gw.calls) == [("alice", 5), ("bob", 3)]
    view = svc.get(SCOPE, ACCT, p["push_id"])
    assert view["status"] == "completed" and view["runs"][0]["sent"] == 8


def test_chat_ids_left_out_and_why():
    svc, groups, gw, clock = make()
    add_group(groups, "wr-1", "alice")
    add_group(groups, "wr-2", "bob")
    add_group(groups, "wr-gone", "alice", status="dismissed")
    add_group(groups, "wr-orphan", None)
    p = svc.create(SCOPE, ACCT, body({"type": "groups", "chat_ids": ["wr-1", "wr-2", "wr-gone", "wr-orphan",
                                                                     "wr-unknown"]}))
    preview = svc.preview_push(SCOPE, ACCT, p["push_id"])
    assert preview["left_out"] == {"dismissed": 1, "no_owner": 1, "unknown_group": 1}
    assert (preview["groups"], preview["owners"], preview["api_calls"]) == (2, 2, 2)


def test_an_owner_with_more_than_2000_groups_gets_tasks_of_2000():
    svc, groups, gw, clock = make()
    for i in range(2500):
        add_group(groups, f"wr-{i:05d}", "alice")
    svc.create(SCOPE, ACCT, body({"type": "groups", "owners": ["alice"]}, confirm=True))
    run(svc, clock, 1)
    assert sorted(len(c) for _, _, c in gw.calls) == [500, 2000]


def test_a_group_sent_to_today_is_skipped_and_counted_but_tomorrow_gets_it():
    svc, groups, gw, clock = make()
    for i in range(4):
        add_group(groups, f"wr-{i}", "alice")
    add_group(groups, "wr-b", "bob")
    svc.create(SCOPE, ACCT, body({"type": "groups", "chat_ids": ["wr-0", "wr-1"]}, confirm=True))
    run(svc, clock, 1)
    p2 = svc.create(SCOPE, ACCT, body({"type": "groups", "owners": ["alice", "bob"]},
                                      send_at="2024-05-01T16:00:00"))
    preview = svc.preview_push(SCOPE, ACCT, p2["push_id"])
    assert (preview["groups"], preview["sent_today"], preview["over_quota"], preview["eligible"]) == (5, 2, 2, 3)
    svc.confirm(SCOPE, ACCT, p2["push_id"])
    run(svc, clock, 3)  # 16:00
    assert gw.calls[-2:] == [("add_msg_template", "alice", ["wr-2", "wr-3"]), ("add_msg_template", "bob", ["wr-b"])]
    run_fig = svc.get(SCOPE, ACCT, p2["push_id"])["runs"][0]
    assert (run_fig["over_quota"], run_fig["sent"]) == (2, 3)
    # everyone of bob's groups at quota: that batch is skipped, no call
    p3 = svc.create(SCOPE, ACCT, body({"type": "groups", "owners": ["bob"]}, send_at="2024-05-01T20:00:00",
                                      confirm=True))
    calls = len(gw.calls)
    run(svc, clock, 4)  # 20:00, still 1 May in Asia/Shanghai
    assert len(gw.calls) == calls
    [b] = svc.batches(SCOPE, ACCT, p3["push_id"])
    assert b["state"] == "skipped" and b["over_quota"] == 1
    # the next day (Asia/Shanghai) the groups can receive again
    clock.now = T0 + 86400
    svc.create(SCOPE, ACCT, body({"type": "groups", "owners": ["bob"]}, send_at="2024-05-02T13:00:00",
                                 confirm=True))
    run(svc, clock, 1)
    assert gw.calls[-1] == ("add_msg_template", "bob", ["wr-b"])


def test_redelivery_after_a_lost_answer_neither_resends_nor_reserves_twice():
    svc, groups, gw, clock = make()
    for i in range(3):
        add_group(groups, f"wr-{i}", "alice")
    gw.faults.append(WeChatUnavailable("timeout"))
    p = svc.create(SCOPE, ACCT, body({"type": "groups", "owners": ["alice"]}, confirm=True))
    run(svc, clock, 3)
    assert len(gw.calls) == 1  # the lost answer was looked up (get_groupmsg_list_v2, chat_type group)
    [b] = svc.batches(SCOPE, ACCT, p["push_id"])
    assert b["state"] == "sent" and b["recovered"] and b["msg_id"] == "msg1"
    # a second push the same day sees each group reserved exactly once: all three at quota
    p2 = svc.create(SCOPE, ACCT, body({"type": "groups", "owners": ["alice"]}, send_at="2024-05-01T22:00:00"))
    assert svc.preview_push(SCOPE, ACCT, p2["push_id"])["sent_today"] == 3


def test_results_come_from_the_v2_apis():
    svc, groups, gw, clock = make()
    for i in range(3):
        add_group(groups, f"wr-{i}", "alice")
    p = svc.create(SCOPE, ACCT, body({"type": "groups", "owners": ["alice"]}, confirm=True))
    run(svc, clock, 1)
    svc.poll_wecom_results(ACCT, p["push_id"])
    [b] = svc.batches(SCOPE, ACCT, p["push_id"])
    assert (b["delivered"], b["pending_results"], b.get("results_final")) == (0, 3, None)
    gw.tasks["msg1"]["sent"] = True  # the owner sends the task in their client
    svc.poll_wecom_results(ACCT, p["push_id"])
    [b] = svc.batches(SCOPE, ACCT, p["push_id"])
    assert (b["delivered"], b["pending_results"], b["results_final"]) == (3, 0, True)
    assert svc.get(SCOPE, ACCT, p["push_id"])["runs"][0]["delivered"] == 3


@pytest.mark.parametrize("audience, field", [
    ({"type": "groups"}, "audience.owners"),
    ({"type": "groups", "owners": []}, "audience.owners"),
    ({"type": "groups", "chat_ids": [""]}, "audience.chat_ids[0]"),
])
def test_a_groups_audience_names_owners_or_chat_ids(audience, field):
    svc, *_ = make()
    with pytest.raises(ValidationError) as e:
        svc.create(SCOPE, ACCT, body(audience))
    assert e.value.field == field


def test_an_oa_account_cannot_send_to_groups_and_segments_do_not_hold_groups():
    svc, *_ = make()
    svc.deps.account_for = lambda _a: Account(kind="oa")
    with pytest.raises(ValidationError) as e:
        svc.create(SCOPE, ACCT, {**body({"type": "groups", "owners": ["alice"]}),
                                 "content": {"type": "text", "text": "x"}})
    assert e.value.field == "audience.type"
    svc2, *_ = make()
    with pytest.raises(ValidationError) as e:
        svc2.create_segment(SCOPE, ACCT, {"name": "群", "audience": {"type": "groups", "owners": ["alice"]}})
    assert e.value.field == "audience.type"


def test_the_cli_builds_groups_audiences():
    from scrm_cli.engagement import _audience

    assert _audience("groups", ("alice", "bob")) == {"type": "groups", "owners": ["alice", "bob"]}
    assert _audience("chats", ("wr1",)) == {"type": "groups", "chat_ids": ["wr1"]}


def test_a_segment_holding_groups_is_refused_when_a_push_names_it():
    """A segment saved before segments refused groups (or written around the API) must not send chat ids as people:
    the push naming it is refused, saying which segment and why."""
    svc, groups, gw, _ = make()
    add_group(groups, "wr1", "alice")
    svc.deps.store.put_segment({"account_id": ACCT, "segment_id": "s-old", "name": "旧群",
                                "audience": {"type": "groups", "owners": ["alice"]}, "created_at": T0})
    with pytest.raises(ValidationError) as e:
        svc.preview(SCOPE, ACCT, body({"type": "segment", "segment_id": "s-old"}))
    assert e.value.field == "audience.segment_id" and "s-old" in str(e.value) and "groups" in str(e.value)
    assert gw.calls == []


def test_a_push_by_group_tag_reaches_the_tagged_groups_and_a_deleted_tag_reaches_none():
    from scrm import bootstrap
    from scrm.services.groups import tags

    svc, groups, gw, clock = make()
    bootstrap.reset(group_store=groups, clock=clock)
    for chat_id, owner in (("wr1", "alice"), ("wr2", "bob"), ("wr3", "bob"), ("wr4", "carol")):
        add_group(groups, chat_id, owner)
    hot = tags.create_tag(SCOPE, ACCT, {"name": "高活跃"}, T0)
    old = tags.create_tag(SCOPE, ACCT, {"name": "老群"}, T0)
    tags.set_tags(SCOPE, ACCT, "wr1", {"tag_ids": [hot["tag_id"]]})
    tags.set_tags(SCOPE, ACCT, "wr3", {"tag_ids": [hot["tag_id"], old["tag_id"]]})
    tags.set_tags(SCOPE, ACCT, "wr4", {"tag_ids": [old["tag_id"]]})
    audience = {"type": "groups", "group_tags": [hot["tag_id"], old["tag_id"]]}
    preview = svc.preview(SCOPE, ACCT, body(audience))
    assert (preview["groups"], preview["owners"]) == (3, 3)
    p = svc.create(SCOPE, ACCT, {**body(audience), "confirm": True})
    tags.delete_tag(SCOPE, ACCT, old["tag_id"], T0)  # deleted while the push refers to it
    run(svc, clock)
    assert sorted((s, tuple(c)) for _, s, c in gw.calls) == [("alice", ("wr1",)), ("bob", ("wr3",))]
    assert svc.get(SCOPE, ACCT, p["push_id"])["runs"][0]["sent"] == 2
    # a new push may not name it: deleted (or unknown) tags are refused where they are named
    for bad in (old["tag_id"], "gt-nope"):
        with pytest.raises(ValidationError) as e:
            svc.create(SCOPE, ACCT, body({"type": "groups", "group_tags": [hot["tag_id"], bad]},
                                         send_at="2024-05-02T13:00:00"))
        assert e.value.field.startswith("audience.group_tags[") and bad in str(e.value)
    left = svc.preview(SCOPE, ACCT, body({"type": "groups", "group_tags": [hot["tag_id"]]},
                                         send_at="2024-05-02T13:00:00"))
    assert left["groups"] == 2


def test_a_groups_tags_are_live_tags_and_written_over_its_version():
    from scrm import bootstrap
    from scrm.errors import Conflict, NotFound
    from scrm.services.groups import admin, tags

    groups = MemoryGroupStore()
    bootstrap.reset(group_store=groups, clock=lambda: T0)
    add_group(groups, "wr1", "alice")
    add_group(groups, "wr-gone", "alice", status="dismissed")
    t = tags.create_tag(SCOPE, ACCT, {"name": "华东"}, T0)
    with pytest.raises(Conflict):
        tags.create_tag(SCOPE, ACCT, {"name": "华东"}, T0)  # one live tag per name
    with pytest.raises(ValidationError) as e:
        tags.set_tags(SCOPE, ACCT, "wr1", {"tag_ids": [t["tag_id"], "gt-nope"]})
    assert e.value.field == "tag_ids[1]" and groups.get_groups(SCOPE, ACCT, ["wr1"])["wr1"]["version"] == 1
    with pytest.raises(NotFound):
        tags.set_tags(SCOPE, ACCT, "wr-none", {"tag_ids": [t["tag_id"]]})
    with pytest.raises(Conflict):
        tags.set_tags(SCOPE, ACCT, "wr-gone", {"tag_ids": [t["tag_id"]]})
    out = tags.set_tags(SCOPE, ACCT, "wr1", {"tag_ids": [t["tag_id"], t["tag_id"]]})
    assert out["tags"] == [{**t, "deleted": False}]
    assert admin.get_group(SCOPE, ACCT, "wr1")["tags"] == [t["tag_id"]]
    tags.delete_tag(SCOPE, ACCT, t["tag_id"], T0)
    assert tags.list_tags(SCOPE, ACCT)[0]["deleted"] and admin.get_group(SCOPE, ACCT, "wr1")["tags"] == [t["tag_id"]]
    with pytest.raises(ValidationError):
        tags.set_tags(SCOPE, ACCT, "wr1", {"tag_ids": [t["tag_id"]]})
    assert tags.set_tags(SCOPE, ACCT, "wr1", {"tag_ids": []})["tags"] == []
