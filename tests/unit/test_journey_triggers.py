"""The journey triggers beyond follows and added customers (a prize won, a customer group joined, a tag given), the
prize goal, and customer-service steps that are not text, on the in-memory twins with fake gateways. Each entry is
once per (journey, person) whatever the redelivery; the window is opened by a user's text message (oa.text)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from scrm import errors
from scrm.domain import journeys as rules
from scrm.services.journeys import JourneyService
from scrm.stores.groups import MemoryGroupStore
from scrm.stores.journeys import MemoryJourneyStore
from scrm.stores.pushes import MemoryPushStore
from scrm.tenancy import Scope

NOW = 1_796_176_800.0  # 2026-12-02T10:00:00+08:00
ADMIN = Scope.system()


class FakeOA:
    def __init__(self):
        self.sent, self.tagged = [], []

    def post(self, endpoint, body):
        if endpoint == "message/custom/send":
            self.sent.append(body)
        else:
            self.tagged.append((endpoint, body["openid_list"][0], body["tagid"]))
        return {"errcode": 0}


class FakeWeCom:
    def __init__(self):
        self.tasks, self.marks = [], []

    def add_msg_template(self, sender, external_userids, message):
        self.tasks.append((sender, tuple(external_userids), message["text"]["content"]))
        return {"msgid": f"msg{len(self.tasks)}", "fail_list": []}

    def mark_tag(self, userid, external_userid, add, remove=None):
        self.marks.append((userid, external_userid, tuple(add), tuple(remove or ())))
        return {}


def make(kind="oa"):
    clock = SimpleNamespace(now=NOW)
    gw = FakeOA() if kind == "oa" else FakeWeCom()
    account = SimpleNamespace(account_id="acct", kind=kind, account_type="service", options={})
    pushes = MemoryPushStore()
    svc = JourneyService(MemoryJourneyStore(), pushes, account_for=lambda _a: account, gateway_for=lambda _a: gw,
                         clock=lambda: clock.now)
    return SimpleNamespace(svc=svc, gw=gw, clock=clock, pushes=pushes)


def journey(env, trigger, steps=None, **extra):
    body = {"name": "旅程", "trigger": trigger, "steps": steps or [{"type": "wait", "seconds": 60}], **extra}
    j = env.svc.admin.create(ADMIN, "acct", body)
    env.svc.admin.move(ADMIN, "acct", j["journey_id"], "activate")
    return j["journey_id"]


def message(env, openid):
    env.pushes.touch("acct", openid, env.clock.now, "oa.text")  # a user's message opens the window


def win(env, openid, campaign="spring", kind="campaign.draw", won=True, draw="d1"):
    ev = {"FromUserName": openid, "won": won, "CampaignId": campaign, "PrizeId": "p1" if won else None}
    return env.svc.triggers.on_prize({"account_id": "acct", "kind": kind, "dedupe_key": f"draw:{campaign}:{draw}",
                                      "event": ev})


def entrants(env, jid):
    return env.svc.admin.figures(ADMIN, "acct", jid)["entrants"]


# ---------------------------------------------------------------- won a prize


def test_a_win_enrols_once_and_only_into_the_named_campaigns_journeys():
    env = make()
    any_prize = journey(env, {"kind": "won_prize"})
    spring = journey(env, {"kind": "won_prize", "campaign_id": "spring"})
    journey(env, {"kind": "won_prize", "campaign_id": "autumn"})
    assert win(env, "o1", won=False)["ignored"]  # a draw that won nothing
    assert sorted(win(env, "o1")["entered"]) == sorted([any_prize, spring])
    assert win(env, "o1")["entered"] == []  # redelivered
    assert win(env, "o1", kind="campaign.win", draw="l#o1")["entered"] == []  # won again (the lottery): once
    assert entrants(env, any_prize) == entrants(env, spring) == 1


def test_winning_a_prize_is_a_goal_any_or_one_campaigns():
    env = make()
    steps = [{"type": "wait", "seconds": 3600}, {"type": "custom", "text": "快来抽奖"}]
    anywhere = journey(env, {"kind": "followed"}, steps, goal_prize={})
    autumn = journey(env, {"kind": "followed"}, steps, goal_prize={"campaign_id": "autumn"})
    env.svc.triggers.on_oa({"account_id": "acct", "event": {"FromUserName": "o1", "Event": "subscribe"}})
    assert sorted(win(env, "o1", campaign="spring")["goal"]) == [anywhere]
    assert env.svc.store.get_entrant("acct", anywhere, "o1")["exit_reason"] == "goal"
    assert env.svc.store.get_entrant("acct", autumn, "o1")["state"] == "ready"
    assert win(env, "o1", campaign="autumn", draw="d2")["goal"] == [autumn]
    assert env.svc.admin.get(ADMIN, "acct", anywhere)["goal_prize"] == {}


def test_a_prize_goal_or_trigger_on_a_wecom_account_is_refused_naming_the_field():
    env = make("wecom")
    for body, field in (({"trigger": {"kind": "won_prize"}}, "trigger.kind"),
                        ({"trigger": {"kind": "customer_added"}, "goal_prize": {}}, "goal_prize")):
        with pytest.raises(errors.ValidationError) as caught:
            env.svc.admin.create(ADMIN, "acct", {"name": "x", "steps": [{"type": "wait", "seconds": 5}], **body})
        assert caught.value.field == field


# ---------------------------------------------------------------- joined a group


def group_join(env, groups, chat_id, userids, key="g1"):
    ev = {"ChatId": chat_id, "ChangeType": "update", "UpdateDetail": "add_member", "MemChangeList": userids}
    return env.svc.triggers.on_group({"account_id": "acct", "kind": "wecom.change_external_chat.update",
                                      "dedupe_key": key, "event": ev}, groups, ADMIN)


def stored_group(chat_id, members):
    groups = MemoryGroupStore()
    group = {"chat_id": chat_id, "name": "VIP", "owner": "zhangsan", "status": "active", "size": len(members),
             "version": 0, "created_at": NOW, "updated_at": NOW}
    assert groups.commit_change(ADMIN, "acct", marker="m0", group=group, expect_version=None, members=members,
                                day=None, also=[], now=NOW)
    return groups


def member(chat_id, userid, type_=2, channel_id=None, in_group=True):
    return {"chat_id": chat_id, "userid": userid, "type": type_, "join_scene": 3, "invitor": None,
            "join_time": int(NOW), "quit_time": None, "quit_scene": None, "state": None, "channel_id": channel_id,
            "in_group": in_group}


def test_a_customer_joining_a_group_enrols_once_staff_and_leavers_do_not():
    env = make("wecom")
    any_group = journey(env, {"kind": "joined_group"}, [{"type": "wecom", "text": "欢迎入群"}])
    by_code = journey(env, {"kind": "joined_group", "channel_id": "ch-code"})
    other = journey(env, {"kind": "joined_group", "chat_id": "wrOther"})
    groups = stored_group("wrVIP", [member("wrVIP", "wm1", channel_id="ch-code"), member("wrVIP", "wm2"),
                                    member("wrVIP", "lisi", type_=1), member("wrVIP", "wm3", in_group=False)])
    out = group_join(env, groups, "wrVIP", ["wm1", "wm2", "lisi", "wm3"])
    # the journeys a person entered, in no particular order
    entered = {k: sorted(v) for k, v in out["entered"].items()}
    assert entered == {"wm1": sorted([any_group, by_code]), "wm2": [any_group]}
    assert group_join(env, groups, "wrVIP", ["wm1", "wm2"])["entered"] == {"wm1": [], "wm2": []}  # redelivered
    assert (entrants(env, any_group), entrants(env, by_code), entrants(env, other)) == (2, 1, 0)
    env.svc.run_due()
    assert sorted(env.gw.tasks) == [("zhangsan", ("wm1",), "欢迎入群"), ("zhangsan", ("wm2",), "欢迎入群")]


def test_a_group_event_other_than_a_join_enrols_nobody():
    env = make("wecom")
    journey(env, {"kind": "joined_group"})
    groups = stored_group("wrVIP", [member("wrVIP", "wm1")])
    ev = {"ChatId": "wrVIP", "ChangeType": "update", "UpdateDetail": "del_member", "MemChangeList": ["wm1"]}
    assert env.svc.triggers.on_group({"account_id": "acct", "event": ev}, groups, ADMIN)["ignored"]


# ---------------------------------------------------------------- got a tag


def test_a_tag_step_enrols_into_a_tag_journey_once_and_reaches_its_goal():
    env = make()
    tagger = journey(env, {"kind": "followed"}, [{"type": "tag", "tag_id": "7"}])
    on_tag = journey(env, {"kind": "tag_added", "tag_id": "7"}, [{"type": "custom", "text": "会员专享"}])
    other_tag = journey(env, {"kind": "tag_added", "tag_id": "8"})
    env.svc.triggers.on_oa({"account_id": "acct", "event": {"FromUserName": "o1", "Event": "subscribe"}})
    message(env, "o1")
    env.svc.run_due()
    assert env.svc.store.get_entrant("acct", on_tag, "o1") is not None
    env.svc.run_due()
    assert [b["text"]["content"] for b in env.gw.sent] == ["会员专享"]
    assert env.svc.triggers.tagged("acct", "o1", 7)["entered"] == []  # the channel's tagging too: still once
    assert (entrants(env, tagger), entrants(env, on_tag), entrants(env, other_tag)) == (1, 1, 0)


def test_a_wecom_tag_enrols_with_the_staff_member_who_carries_it():
    env = make("wecom")
    jid = journey(env, {"kind": "tag_added"}, [{"type": "wecom", "text": "hi"}])
    assert env.svc.triggers.tagged("acct", "wm1", "etTAG", staff="lisi")["entered"] == [jid]
    env.svc.run_due()
    assert env.gw.tasks == [("lisi", ("wm1",), "hi")]


@pytest.mark.parametrize("trigger, field", [
    ({"kind": "tag_added", "scene": "x"}, "trigger.scene"),
    ({"kind": "followed", "tag_id": "7"}, "trigger.tag_id"),
    ({"kind": "won_prize", "chat_id": "wr1"}, "trigger.chat_id"),
])
def test_a_narrowing_of_another_trigger_is_refused_naming_it(trigger, field):
    env = make()
    with pytest.raises(errors.ValidationError) as caught:
        env.svc.admin.create(ADMIN, "acct", {"name": "x", "trigger": trigger,
                                             "steps": [{"type": "wait", "seconds": 5}]})
    assert field in (caught.value.field or "") + str(caught.value.details)


# ---------------------------------------------------------------- customer-service messages that are not text

CUSTOM_STEPS = [
    {"type": "custom", "msgtype": "image", "media_id": "MEDIA_1"},
    {"type": "custom", "msgtype": "news", "title": "新品", "description": "看看", "url": "https://shop.example/n",
     "picurl": "https://shop.example/p.jpg"},
    {"type": "custom", "msgtype": "mpnews", "media_id": "NEWS_1"},
    {"type": "custom", "msgtype": "miniprogrampage", "title": "小程序", "appid": "wxmini", "pagepath": "pages/i",
     "thumb_media_id": "THUMB_1"},
]


def test_non_text_customer_service_steps_send_the_documented_bodies():
    env = make()
    journey(env, {"kind": "followed"}, CUSTOM_STEPS)
    env.svc.triggers.on_oa({"account_id": "acct", "event": {"FromUserName": "o1", "Event": "subscribe"}})
    message(env, "o1")
    for _ in CUSTOM_STEPS:
        env.svc.run_due()
    assert env.gw.sent == [
        {"touser": "o1", "msgtype": "image", "image": {"media_id": "MEDIA_1"}},
        {"touser": "o1", "msgtype": "news", "news": {"articles": [
            {"title": "新品", "description": "看看", "url": "https://shop.example/n",
             "picurl": "https://shop.example/p.jpg"}]}},
        {"touser": "o1", "msgtype": "mpnews", "mpnews": {"media_id": "NEWS_1"}},
        {"touser": "o1", "msgtype": "miniprogrampage", "miniprogrampage": {
            "title": "小程序", "appid": "wxmini", "pagepath": "pages/i", "thumb_media_id": "THUMB_1"}}]


@pytest.mark.parametrize("step, fields", [
    ({"type": "custom", "msgtype": "image"}, ["steps[0].media_id"]),
    ({"type": "custom", "msgtype": "news", "title": "t"}, ["steps[0].url"]),
    ({"type": "custom", "msgtype": "miniprogrampage", "title": "t"},
     ["steps[0].appid", "steps[0].pagepath", "steps[0].thumb_media_id"]),
    ({"type": "custom", "msgtype": "video", "media_id": "m"}, ["steps[0].msgtype"]),
    ({"type": "wait", "seconds": 5, "msgtype": "image"}, ["steps[0].msgtype"]),
    ({"type": "custom", "msgtype": "news", "title": "t", "url": "u", "picurl": "ftp://x"}, ["steps[0].picurl"]),
])
def test_a_bad_customer_service_step_is_refused_naming_every_missing_field(step, fields):
    env = make()
    with pytest.raises(errors.ValidationError) as caught:
        env.svc.admin.create(ADMIN, "acct", {"name": "x", "trigger": {"kind": "followed"}, "steps": [step]})
    named = (caught.value.field or "") + str(caught.value.details)
    assert all(f in named for f in fields)


def test_the_body_builder_defaults_to_text():
    assert rules.custom_message({"type": "custom", "text": "hi"}, "o1") == {
        "touser": "o1", "msgtype": "text", "text": {"content": "hi"}}


def test_a_channels_tagging_applied_tells_journeys_and_a_failure_there_keeps_the_tagging_done(monkeypatch):
    from scrm.services import journeys
    from scrm.services.channels import tagging

    told, deleted = [], []
    store = SimpleNamespace(delete_taggings=deleted.extend)
    gateway = SimpleNamespace(post=lambda path, body: {"errcode": 0},
                              mark_tag=lambda userid, ext, tags: None)
    monkeypatch.setattr(journeys, "tagged", lambda account_id, people, tag: told.append((account_id, people, tag)))
    oa = [{"account_id": "acct", "platform": "oa", "openid": f"o{i}", "tag": 7} for i in range(2)]
    tagging._batch(store, gateway, "acct", 7, oa, {"calls": 0, "applied": 0, "failed": 0})
    wecom = {"account_id": "wc", "platform": "wecom", "userid": "lisi", "external_userid": "wm1", "tags": ["etA"]}
    tagging._mark(store, gateway, wecom, {"calls": 0, "applied": 0, "failed": 0})
    assert told == [("acct", [("o0", None), ("o1", None)], 7), ("wc", [("wm1", "lisi")], "etA")]

    def broken(*_a):
        raise RuntimeError("journey store unavailable")

    monkeypatch.setattr(journeys, "tagged", broken)
    tally = {"calls": 0, "applied": 0, "failed": 0}
    tagging._mark(store, gateway, wecom, tally)
    assert tally["applied"] == 1 and deleted[-1] == wecom
