"""Loss alerts on the in-memory store with a WeCom double: off until an admin turns them on; one app message per
event whatever the redeliveries (the record claimed before sending, WeCom's duplicate check under a resend after a
crash); the recipient (the staff member or a supervisor), the events chosen, the message's content (customer,
channel, tags) and type; refusals counted failed, a busy WeCom retried; per-day counts. The wire format and the
worker's idempotency are tests/integration/test_loss_alerts.py's."""

from __future__ import annotations

import json

import pytest

from scrm import bootstrap
from scrm.contracts import parse
from scrm.contracts.staff import LossAlertSettings
from scrm.errors import NoAppSecret, ValidationError, WeChatBusy, WeChatError
from scrm.services.staff import alerts, views
from scrm.stores.staff import MemoryStaffStore
from scrm.tenancy import Scope
from tests.timing import Clock

A = "corp-1"
NOW = 1_764_576_000.0  # 2025-12-01 16:00 China time
SCOPE = Scope.system(A)


class FakeWeCom:
    """externalcontact/get (the contact gateway) and message/send as one of the corp's apps (`as_app`, only the apps
    it has Secrets of), with WeCom's duplicate check (the same body within the interval is received once)."""

    def __init__(self):
        self.app_secrets = {1000002: "alerts-app-secret"}
        self.received: list[dict] = []
        self.sends = 0
        self.bodies: dict[str, str] = {}
        self.fail: list[Exception] = []
        self.invalid: set[str] = set()
        self.customer = {"external_contact": {"name": "王小明"},
                         "follow_user": [{"userid": "alice", "tags": [{"tag_name": "VIP"}, {"tag_name": "上海"}]}]}

    def get(self, path, **params):
        assert path == "externalcontact/get"
        return self.customer

    def as_app(self, agentid):
        if agentid not in self.app_secrets:
            raise NoAppSecret(A, agentid)
        return _App(self, agentid)

    def send_app_message(self, agentid, touser, message, *, duplicate_check_interval):
        self.sends += 1
        if self.fail:
            raise self.fail.pop(0)
        body = json.dumps({"agentid": agentid, "touser": touser, **message}, sort_keys=True, ensure_ascii=False)
        if body in self.bodies:  # "同样内容（请求json）的消息，不会重复收到"
            return {"invaliduser": "", "msgid": self.bodies[body]}
        self.bodies[body] = f"msg{len(self.bodies) + 1}"
        self.received.append({"agentid": agentid, "touser": touser, **message})
        return {"invaliduser": "|".join(u for u in touser if u in self.invalid), "msgid": self.bodies[body]}


class _App:
    def __init__(self, corp: FakeWeCom, agentid: int):
        self.corp, self.agentid = corp, agentid

    def send_app_message(self, touser, message, *, duplicate_check_interval):
        return self.corp.send_app_message(self.agentid, touser, message,
                                          duplicate_check_interval=duplicate_check_interval)


@pytest.fixture
def world(monkeypatch):
    clock = Clock(NOW)
    store = MemoryStaffStore()
    bootstrap.reset(clock=clock, staff_store=store)
    wecom = FakeWeCom()
    monkeypatch.setattr(alerts, "_gateway", lambda account_id: wecom)
    monkeypatch.setattr(alerts, "_channel", lambda account_id, userid, ext: ("门店海报", []))
    return store, wecom


def turn_on(store, **values):
    settings = parse(LossAlertSettings, {"enabled": True, "agentid": 1000002, **values}).model_dump()
    store.put_alert_settings(SCOPE, A, settings, NOW)


def lost(change="del_follow_user", userid="alice", ext="wm-1", t=int(NOW), **extra) -> dict:
    event = {"ChangeType": change, "UserID": userid, "ExternalUserID": ext, "CreateTime": t, **extra}
    return {"account_id": A, "platform": "wecom", "kind": f"wecom.change_external_contact.{change}",
            "dedupe_key": f"wecom:change_external_contact|{change}|{userid}|{ext}|{t}", "event": event}


def test_alerts_are_off_until_turned_on(world):
    store, wecom = world
    assert alerts.on_customer_lost(lost()) == {"alert": "off"}
    assert wecom.sends == 0 and alerts.settings_of(SCOPE, A)["enabled"] is False


def test_one_message_per_event_under_4x_redelivery(world):
    store, wecom = world
    turn_on(store)
    results = [alerts.on_customer_lost(lost()) for _ in range(4)]
    assert results[0] == {"alert": "sent", "recipient": "alice"}
    assert [r["alert"] for r in results[1:]] == ["duplicate"] * 3
    assert wecom.sends == 1 and len(wecom.received) == 1
    text = wecom.received[0]["text"]["content"]
    assert wecom.received[0]["touser"] == ["alice"] and wecom.received[0]["agentid"] == 1000002
    assert "客户「王小明」删除了成员 alice" in text and "来源渠道：门店海报" in text and "客户标签：VIP、上海" in text
    assert "2025-12-01T16:00:00+08:00" in text
    assert store.alert_counts(SCOPE, A, "2025-12-01", "2025-12-01") == {
        "2025-12-01": {"sent": 1, "failed": 0, "unsent": 0}}


def test_a_crash_after_sending_resends_the_same_body_and_nobody_hears_it_twice(world, monkeypatch):
    store, wecom = world
    turn_on(store)
    finish = store.finish_alert

    def crash(*args, **kwargs):
        raise RuntimeError("the worker died after WeCom took the message")

    monkeypatch.setattr(store, "finish_alert", crash)
    with pytest.raises(RuntimeError):
        alerts.on_customer_lost(lost())
    monkeypatch.setattr(store, "finish_alert", finish)
    assert alerts.on_customer_lost(lost())["alert"] == "sent"  # the redelivery: the record was still pending
    assert wecom.sends == 2 and len(wecom.received) == 1  # WeCom's duplicate check kept the repeat from anyone
    assert store.alert_counts(SCOPE, A, "2025-12-01", "2025-12-01")["2025-12-01"]["sent"] == 1


def test_a_crash_between_finishing_and_counting_is_counted_on_redelivery(world, monkeypatch):
    store, wecom = world
    turn_on(store)
    count = store.count_alert
    monkeypatch.setattr(store, "count_alert", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("died")))
    with pytest.raises(RuntimeError):
        alerts.on_customer_lost(lost())
    monkeypatch.setattr(store, "count_alert", count)
    assert alerts.on_customer_lost(lost())["alert"] == "duplicate"
    assert alerts.on_customer_lost(lost())["alert"] == "duplicate"
    assert wecom.sends == 1
    assert store.alert_counts(SCOPE, A, "2025-12-01", "2025-12-01")["2025-12-01"] == {
        "sent": 1, "failed": 0, "unsent": 0}


def test_a_supervisor_hears_of_every_staff_members_losses(world):
    store, wecom = world
    turn_on(store, recipient="supervisor", supervisor="boss")
    alerts.on_customer_lost(lost(userid="alice", ext="wm-1"))
    alerts.on_customer_lost(lost(userid="bob", ext="wm-2"))
    assert [m["touser"] for m in wecom.received] == [["boss"], ["boss"]]
    assert "删除了成员 bob" in wecom.received[1]["text"]["content"]


def test_only_the_chosen_events_alert_and_never_a_transfer(world):
    store, wecom = world
    turn_on(store)
    assert alerts.on_customer_lost(lost("del_external_contact"))["alert"] == "off"
    turn_on(store, events=["del_follow_user", "del_external_contact"])
    out = alerts.on_customer_lost(lost("del_external_contact", Source="DELETE_BY_TRANSFER"))
    assert out["alert"] == "ignored"
    assert alerts.on_customer_lost(lost("del_external_contact", ext="wm-9"))["alert"] == "sent"
    assert "成员 alice 删除了客户「王小明」" in wecom.received[0]["text"]["content"]
    assert alerts.on_customer_lost(lost(ext=""))["alert"] == "ignored"


def test_a_textcard_opens_the_configured_page(world):
    store, wecom = world
    turn_on(store, message="textcard", url="https://scrm.example.com/console")
    alerts.on_customer_lost(lost())
    card = wecom.received[0]["textcard"]
    assert wecom.received[0]["msgtype"] == "textcard" and card["title"] == "客户流失提醒"
    assert card["url"] == "https://scrm.example.com/console" and "VIP、上海" in card["description"]


def test_tags_fall_back_to_colleagues_and_the_customer_name_to_the_id(world):
    store, wecom = world
    turn_on(store)
    wecom.customer = {"external_contact": {}, "follow_user": [{"userid": "carol", "tags": [{"tag_name": "老客"}]}]}
    alerts.on_customer_lost(lost(ext="wm-7"))
    assert "客户「wm-7」" in wecom.received[0]["text"]["content"] and "客户标签：老客" in wecom.received[0]["text"][
        "content"]


def test_refusals_count_failed_and_a_busy_wecom_is_retried(world):
    store, wecom = world
    turn_on(store)
    wecom.fail = [WeChatError(81013, "user & party & tag all invalid", "message/send")]
    assert alerts.on_customer_lost(lost(ext="wm-1"))["alert"] == "failed"
    wecom.invalid = {"alice"}
    assert alerts.on_customer_lost(lost(ext="wm-2"))["alert"] == "failed"  # answered, but alice was not reached
    wecom.invalid = set()
    wecom.fail = [WeChatBusy(-1, "system busy", "message/send")]
    with pytest.raises(WeChatBusy):
        alerts.on_customer_lost(lost(ext="wm-3"))
    assert alerts.on_customer_lost(lost(ext="wm-3"))["alert"] == "sent"  # the event came back
    assert store.alert_counts(SCOPE, A, "2025-12-01", "2025-12-01") == {
        "2025-12-01": {"sent": 1, "failed": 2, "unsent": 0}}
    got = views.alert_counts(SCOPE, A, {"from": "2025-11-30", "to": "2025-12-01"}, NOW)
    assert got == {"from": "2025-11-30", "to": "2025-12-01", "sent": 1, "failed": 2, "unsent": 0,
                   "days": [{"day": "2025-12-01", "sent": 1, "failed": 2, "unsent": 0}]}


@pytest.mark.parametrize("body, field", [
    ({"enabled": True}, "agentid"), ({"recipient": "supervisor"}, "supervisor"), ({"message": "textcard"}, "url"),
    ({"events": ["del_follow_user", "del_follow_user"]}, "events"), ({"events": []}, "events"),
    ({"duplicate_check_interval": 20000}, "duplicate_check_interval"), ({"colour": "red"}, "colour"),
    ({"enabled": "yes"}, "enabled")])
def test_bad_settings_are_refused_naming_the_field(body, field):
    with pytest.raises(ValidationError) as err:
        parse(LossAlertSettings, body)
    assert err.value.field == field


def test_without_the_apps_secret_an_alert_is_recorded_unsent_once_and_counted(world):
    store, wecom = world
    turn_on(store, agentid=1000009)  # an app the account has no Secret of
    first = alerts.on_customer_lost(lost())
    assert first == {"alert": "unsent", "recipient": "alice", "reason": "no_app_secret"}
    assert [alerts.on_customer_lost(lost())["alert"] for _ in range(3)] == ["duplicate"] * 3  # not retried
    assert wecom.sends == 0
    record = store.alert(A, alerts.alert_key(A, lost()["dedupe_key"]))
    assert record["state"] == "unsent" and record["reason"] == "no_app_secret"
    assert "agent_secrets" in record["why"] and "1000009" in record["why"]
    got = views.alert_counts(SCOPE, A, {"from": "2025-12-01", "to": "2025-12-01"}, NOW)
    assert (got["sent"], got["failed"], got["unsent"]) == (0, 0, 1)
    wecom.app_secrets[1000009] = "set-later"  # a later event goes out; the one recorded unsent stays so
    assert alerts.on_customer_lost(lost(ext="wm-2"))["alert"] == "sent"
    assert wecom.received[0]["agentid"] == 1000009
