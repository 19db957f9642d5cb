"""VIP customer groups' loss alerts and the group request bodies, on the in-memory twins: a customer leaving a VIP
group (flagged itself or through its group code) is one app message to the group's owner (or the supervisor)
whatever the redeliveries, staff leaving and plain groups are none, the event is chosen per account; the template,
pool and VIP bodies name the field they refuse."""

from __future__ import annotations

import importlib

import pytest

from scrm import bootstrap
from scrm.contracts import parse
from scrm.contracts.groups import GroupPoolChange, GroupWelcomeTemplateBody
from scrm.domain import groups as rules
from scrm.errors import ValidationError
from scrm.services.groups import leave_alerts
from scrm.services.staff import alerts
from scrm.stores.groups import MemoryGroupStore
from tests.unit.test_loss_alerts import NOW, SCOPE, A, turn_on
from tests.unit.test_loss_alerts import world as loss_world  # noqa: F401 (the fixture)


@pytest.fixture
def world(loss_world, monkeypatch):  # noqa: F811
    store, wecom = loss_world
    groups = MemoryGroupStore()
    bootstrap.reset(clock=bootstrap.container().clock, staff_store=store, group_store=groups)
    codes = {}
    resolving = importlib.import_module("scrm.services.channels.resolve")  # the package shadows the module's name
    monkeypatch.setattr(resolving, "resolve", lambda a, kind, value: codes.get(value))
    monkeypatch.setattr(resolving, "definition",
                        lambda a, channel_id: {"kind": "wecom_group", "vip": True, "name": "VIP 群码"}
                        if channel_id == "ch-vip" else None)
    monkeypatch.setattr(alerts, "definition_of", lambda a, channel_id: {"name": "VIP 群码"})
    return store, wecom, groups, codes


def a_group(groups, chat_id: str, vip: bool = False, members=(("wm-1", 2),)) -> None:
    g = {**rules.new_group(chat_id, int(NOW)), "name": "尊享群", "owner": "zhangsan", "size": len(members) + 1,
         "vip": vip}
    ms = [{**rules.member_from(chat_id, {"userid": u, "type": t}, int(NOW)), "in_group": False,
           "channel_id": "ch-vip" if chat_id == "wr-code" else None} for u, t in members]
    assert groups.commit_change(SCOPE, A, marker=f"m-{chat_id}", group=g, expect_version=None, members=ms,
                                day=None, now=NOW)


def left(chat_id: str, *userids: str, t: int = int(NOW) + 60) -> dict:
    event = {"ChangeType": "update", "UpdateDetail": "del_member", "ChatId": chat_id, "QuitScene": "0",
             "MemChangeList": list(userids), "CreateTime": str(t)}
    return {"account_id": A, "platform": "wecom", "kind": "wecom.change_external_chat.update",
            "dedupe_key": f"wecom:change_external_chat|{chat_id}|{t}", "event": event}


def test_a_customer_leaving_a_vip_group_is_one_alert_to_the_owner_under_4x_redelivery(world):
    store, wecom, groups, _codes = world
    turn_on(store, events=["vip_group_leave"])
    a_group(groups, "wr-vip", vip=True)
    results = [leave_alerts.on_member_left(left("wr-vip", "wm-1")) for _ in range(4)]
    assert results[0]["alerts"] == [{"alert": "sent", "recipient": "zhangsan"}]
    assert [r["alerts"][0]["alert"] for r in results[1:]] == ["duplicate"] * 3
    assert wecom.sends == 1
    text = wecom.received[0]["text"]["content"]
    assert wecom.received[0]["touser"] == ["zhangsan"]
    assert "客户「王小明」退出了VIP客户群「尊享群」" in text and "客户标签：" in text, text
    assert store.alert_counts(SCOPE, A, "2025-12-01", "2025-12-01") == {
        "2025-12-01": {"sent": 1, "failed": 0, "unsent": 0}}


def test_a_group_of_a_vip_code_alerts_naming_the_code_and_a_supervisor_can_hear_it(world):
    store, wecom, groups, codes = world
    turn_on(store, events=["vip_group_leave"], recipient="supervisor", supervisor="boss")
    a_group(groups, "wr-code")
    codes["wr-code"] = "ch-vip"
    assert leave_alerts.on_member_left(left("wr-code", "wm-1"))["alerts"][0] == {"alert": "sent",
                                                                                  "recipient": "boss"}
    assert "来源渠道：VIP 群码" in wecom.received[0]["text"]["content"]


def test_plain_groups_staff_leaving_and_accounts_not_asking_send_nothing(world):
    store, wecom, groups, _codes = world
    a_group(groups, "wr-vip", vip=True, members=(("wm-1", 2), ("lisi", 1)))
    a_group(groups, "wr-plain")
    turn_on(store)  # del_follow_user only
    assert leave_alerts.on_member_left(left("wr-vip", "wm-1")) == {"alert": "off"}
    turn_on(store, events=["del_follow_user", "vip_group_leave"])
    assert leave_alerts.on_member_left(left("wr-plain", "wm-1")) == {"alert": "not vip"}
    assert leave_alerts.on_member_left(left("wr-vip", "lisi")) == {"alerts": []}  # a staff member
    join = left("wr-vip", "wm-1")
    join["event"]["UpdateDetail"] = "add_member"
    assert leave_alerts.on_member_left(join)["alert"] == "ignored"
    assert wecom.sends == 0


@pytest.mark.parametrize("body, field", [
    ({"name": "x"}, "body"),
    ({"name": "x", "text": {"content": "字" * 1001}}, "text.content"),
    ({"name": "x", "link": {"title": "t" * 129, "url": "https://e/"}}, "link.title"),
    ({"name": "x", "link": {"title": "t", "url": "ftp://e/"}}, "link.url"),
    ({"name": "x", "text": {"content": "hi"}, "image": {"media_id": "m"}, "miniprogram": {
        "title": "t", "pic_media_id": "m", "appid": "wx8bd80126147dfAAA", "page": "/p"}}, "miniprogram"),
    ({"name": "x", "miniprogram": {"title": "标题" * 11, "pic_media_id": "m", "appid": "wx8bd80126147dfAAA",
                                   "page": "/p"}}, "miniprogram.title"),
    ({"name": "x", "text": {"content": "hi"}, "video": {"media_id": "m"}}, "video"),
])
def test_a_bad_template_names_its_field(body, field):
    with pytest.raises(ValidationError) as err:
        parse(GroupWelcomeTemplateBody, body)
    assert err.value.field == field


def test_a_good_template_keeps_wecoms_shape():
    t = parse(GroupWelcomeTemplateBody, {"name": "欢迎", "text": {"content": "亲爱的%NICKNAME%"},
                                         "image": {"pic_url": "https://p.qpic.cn/1"}})
    assert t.model_dump(exclude_none=True)["image"] == {"pic_url": "https://p.qpic.cn/1"}


@pytest.mark.parametrize("body, field", [
    ({}, "body"), ({"add": ["wr1", "wr1"]}, "add"), ({"add": ["wr1"], "remove": ["wr1"]}, "remove"),
    ({"group_cap": 201}, "group_cap"), ({"add": ["bad id"]}, "add[0]"),
])
def test_a_bad_pool_change_names_its_field(body, field):
    with pytest.raises(ValidationError) as err:
        parse(GroupPoolChange, body)
    assert err.value.field == field
