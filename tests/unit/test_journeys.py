"""Journey rules on the in-memory twins (journey store + push store's ledger and interactions) with fake gateways:
what a journey body may hold, enrolment once per (journey, person) under redelivery and only while active, each
step once per person (redelivered events, two runners, a crash between the WeChat call and the outcome), quota
skips shared with pushes, refusals recorded and not retried forever, exits counted per step."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from scrm import errors
from scrm.services.journeys import JourneyService, Runner
from scrm.stores.journeys import MemoryJourneyStore
from scrm.stores.pushes import MemoryPushStore
from scrm.tenancy import Scope

NOW = 1_796_176_800.0  # 2026-12-02T10:00:00+08:00
ADMIN = Scope.system()


class FakeOA:
    def __init__(self):
        self.sent, self.templates, self.tagged, self.fail = [], [], [], []

    def _maybe_fail(self):
        if self.fail:
            raise self.fail.pop(0)

    def post(self, endpoint, body):
        self._maybe_fail()
        if endpoint == "message/custom/send":
            self.sent.append((body["touser"], body["text"]["content"]))
        else:
            self.tagged.append((endpoint, body["openid_list"][0], body["tagid"]))
        return {"errcode": 0}

    def send_template(self, openid, template_id, data, client_msg_id, url=None):
        self._maybe_fail()
        self.templates.append((openid, template_id, client_msg_id))
        return {"msgid": len(self.templates)}


class FakeWeCom:
    def __init__(self):
        self.tasks, self.marks = [], []

    def add_msg_template(self, sender, external_userids, message):
        self.tasks.append((sender, tuple(external_userids), message["text"]["content"]))
        return {"msgid": f"msg{len(self.tasks)}", "fail_list": []}

    def mark_tag(self, userid, external_userid, add, remove=None):
        self.marks.append((userid, external_userid, tuple(add), tuple(remove or ())))
        return {}


def make(kind="oa", options=None):
    clock = SimpleNamespace(now=NOW)
    gw = FakeOA() if kind == "oa" else FakeWeCom()
    account = SimpleNamespace(account_id="acct", kind=kind, account_type="service", options=options or {})
    pushes = MemoryPushStore()
    svc = JourneyService(MemoryJourneyStore(), pushes, account_for=lambda _a: account, gateway_for=lambda _a: gw,
                         clock=lambda: clock.now)
    return SimpleNamespace(svc=svc, gw=gw, clock=clock, pushes=pushes, account=account)


STEPS_OA = [{"type": "custom", "text": "欢迎关注"}, {"type": "wait", "seconds": 3600},
            {"type": "template", "template_id": "T1", "data": {"first": {"value": "hi"}}}]


def journey(env, steps=None, trigger=None, activate=True, **extra):
    body = {"name": "新关注欢迎", "trigger": trigger or {"kind": "followed"}, "steps": steps or STEPS_OA, **extra}
    j = env.svc.admin.create(ADMIN, "acct", body)
    if activate:
        env.svc.admin.move(ADMIN, "acct", j["journey_id"], "activate")
    return j["journey_id"]


def follow(env, openid, key="follow-1", scene=None):
    env.pushes.touch("acct", openid, env.clock.now, "oa.subscribe")  # the pushes' handler opens the window
    ev = {"FromUserName": openid, "Event": "subscribe", "EventKey": f"qrscene_{scene}" if scene else ""}
    return env.svc.triggers.on_oa({"account_id": "acct", "kind": "oa.subscribe", "dedupe_key": key, "event": ev})


def says(env, openid):
    """The follower sends a message: the pushes' handler opens the 48-hour allowance of 5 customer-service messages
    (a follow alone opens 3 for one minute)."""
    env.pushes.touch("acct", openid, env.clock.now, "oa.text")


def figures(env, jid):
    return env.svc.admin.figures(ADMIN, "acct", jid)


@pytest.mark.parametrize("bad, field", [
    ({"steps": []}, "steps"),
    ({"steps": [{"type": "custom"}]}, "steps[0].text"),
    ({"steps": [{"type": "wait", "seconds": 0}]}, "steps[0].seconds"),
    ({"steps": [{"type": "template", "template_id": "T"}]}, "steps[0].data"),
    ({"steps": [{"type": "wecom", "text": "hi"}]}, "steps[0].type"),  # a WeCom step on an OA account
    ({"trigger": {"kind": "customer_added"}}, "trigger.kind"),
    ({"name": " "}, "name"),
])
def test_a_bad_journey_is_refused_naming_the_field_and_nothing_is_stored(bad, field):
    env = make()
    with pytest.raises(errors.ValidationError) as caught:
        env.svc.admin.create(ADMIN, "acct", {"name": "x", "trigger": {"kind": "followed"}, "steps": STEPS_OA, **bad})
    assert field in (caught.value.field or "") + str(caught.value.details)
    assert env.svc.admin.list_page(ADMIN, "acct")[0] == []


def test_only_an_active_journey_enrols_and_a_redelivered_follow_enrols_once():
    env = make()
    jid = journey(env, activate=False)
    assert follow(env, "o1")["entered"] == []
    env.svc.admin.move(ADMIN, "acct", jid, "activate")
    assert follow(env, "o1")["entered"] == [jid]
    assert follow(env, "o1")["entered"] == []  # the same event again, or a re-follow: entered once
    assert figures(env, jid)["entrants"] == 1


def test_a_channel_trigger_enrols_only_follows_through_that_channel():
    env = make()
    jid = journey(env, trigger={"kind": "followed", "scene": "shop-7"})
    assert follow(env, "o1", scene="shop-8")["entered"] == []
    assert follow(env, "o2", scene="shop-7")["entered"] == [jid]


def test_three_steps_run_once_each_and_the_figures_add_up():
    env = make()
    jid = journey(env)
    follow(env, "o1")
    env.svc.run_due()
    assert env.gw.sent == [("o1", "欢迎关注")] and env.gw.templates == []  # waiting an hour before the template
    env.svc.run_due()
    assert env.gw.templates == []
    env.clock.now += 3600
    env.svc.run_due()
    env.svc.run_due()
    assert len(env.gw.templates) == 1 and len(env.gw.sent) == 1
    f = figures(env, jid)
    assert [(s["entered"], s["done"], s["sent"]) for s in f["steps"]] == [(1, 1, 1), (1, 1, 0), (1, 1, 1)]
    assert f["completed"] == 1
    e = env.svc.store.get_entrant("acct", jid, "o1")
    assert e["state"] == "done" and "due" not in e and [o["outcome"] for o in e["outcomes"]] == ["sent", "done", "sent"]


def test_two_runners_never_run_the_same_step_twice():
    env = make()
    journey(env, steps=[{"type": "custom", "text": "hi"}])
    follow(env, "o1")
    other = Runner(env.svc.deps)
    assert other.advance("acct", env.svc.store.due(NOW)[0][1], "o1") == "sent"
    env.svc.run_due()
    assert env.gw.sent == [("o1", "hi")]


class CrashAfterSend(Exception):
    pass


def test_a_crash_between_the_send_and_the_outcome_never_sends_twice_and_does_not_stall_the_person():
    env = make()
    jid = journey(env, steps=[{"type": "custom", "text": "hi"}, {"type": "custom", "text": "second"}])
    follow(env, "o1")
    says(env, "o1")
    store = env.svc.store
    real = store.finish_step

    def crash(*a, **k):
        raise CrashAfterSend()

    store.finish_step = crash
    with pytest.raises(CrashAfterSend):
        env.svc.run_due()
    store.finish_step = real
    assert env.gw.sent == [("o1", "hi")]
    env.svc.run_due()  # the lease still holds: nothing happens
    assert env.gw.sent == [("o1", "hi")]
    env.clock.now += 121
    env.svc.run_due()  # lease over: step 0 recorded unknown (not resent), step 1 runs
    assert env.gw.sent == [("o1", "hi"), ("o1", "second")]
    f = figures(env, jid)["steps"]
    assert f[0]["unknown"] == 1 and f[0]["sent"] == 0 and f[1]["sent"] == 1


def test_customer_service_messages_only_inside_the_48_hour_window_and_the_skip_moves_on():
    env = make()
    jid = journey(env, steps=[{"type": "wait", "seconds": 49 * 3600}, {"type": "custom", "text": "late"},
                              {"type": "tag", "tag_id": "101"}])
    follow(env, "o1")
    says(env, "o1")
    env.svc.run_due()
    env.clock.now += 49 * 3600
    env.svc.run_due()
    assert env.gw.sent == [] and env.gw.tagged == [("tags/members/batchtagging", "o1", 101)]
    f = figures(env, jid)["steps"]
    assert f[1]["skipped_quota"] == 1 and f[1]["done"] == 0 and f[2]["done"] == 1
    reason = env.svc.store.get_entrant("acct", jid, "o1")["outcomes"][1]["reason"]
    assert "48 hours" in reason


def test_a_follow_alone_allows_three_messages_within_the_minute_and_a_message_five_within_48_hours():
    env = make()
    steps = [{"type": "custom", "text": f"m{i}"} for i in range(4)] + [{"type": "wait", "seconds": 120},
                                                                       {"type": "custom", "text": "later"}]
    jid = journey(env, steps=steps)
    follow(env, "o1")
    for _ in range(3):
        env.svc.run_due()
    env.clock.now += 120
    for _ in range(3):
        env.svc.run_due()
    assert [t for _o, t in env.gw.sent] == ["m0", "m1", "m2"]  # the 4th and the one after the wait: none open
    f = figures(env, jid)["steps"]
    assert [f[i]["sent"] for i in (0, 1, 2, 3, 5)] == [1, 1, 1, 0, 0] and f[3]["skipped_quota"] == 1
    env = make()
    jid2 = journey(env, steps=[{"type": "custom", "text": f"n{i}"} for i in range(6)])
    follow(env, "o2", key="follow-2")
    says(env, "o2")
    env.clock.now += 3600  # the follow's minute is over; the message's 48 hours are not
    for _ in range(6):
        env.svc.run_due()
    assert [t for o, t in env.gw.sent if o == "o2"] == ["n0", "n1", "n2", "n3", "n4"]
    assert figures(env, jid2)["steps"][5]["skipped_quota"] == 1


def test_the_template_daily_cap_is_the_one_pushes_use():
    env = make(options={"push_quotas": {"oa:*:template": [{"scope": "account", "limit": 2, "period": "day",
                                                           "unit": "message"}]}})
    jid = journey(env, steps=[STEPS_OA[2]])
    for i in range(3):
        follow(env, f"o{i}", key=f"f{i}")
    env.svc.run_due()
    f = figures(env, jid)["steps"][0]
    assert len(env.gw.templates) == 2 and f["sent"] == 2 and f["skipped_quota"] == 1 and f["entered"] == 3


def test_a_wecom_message_respects_once_a_day_per_customer_shared_with_pushes():
    env = make("wecom")
    jid = journey(env, trigger={"kind": "customer_added", "state": "way1"},
                  steps=[{"type": "wecom", "text": "你好"}, {"type": "wecom", "text": "again"},
                         {"type": "tag", "tag_id": "etVIP"}])
    for i, state in enumerate(("way1", "way2")):
        out = env.svc.triggers.on_wecom({"account_id": "acct", "event": {
            "ChangeType": "add_external_contact", "ExternalUserID": f"wm{i}", "UserID": "zhangsan", "State": state}})
        assert out["entered"] == ([jid] if state == "way1" else [])
    env.svc.run_due()
    assert env.gw.tasks == [("zhangsan", ("wm0",), "你好")]  # the second message the same day: skipped
    assert env.gw.marks == [("zhangsan", "wm0", ("etVIP",), ())]
    f = figures(env, jid)["steps"]
    assert (f[0]["sent"], f[1]["skipped_quota"], f[2]["done"], figures(env, jid)["completed"]) == (1, 1, 1, 1)


def test_a_refusal_is_recorded_with_its_reason_and_not_retried():
    env = make()
    jid = journey(env, steps=[{"type": "custom", "text": "hi"}])
    follow(env, "o1")
    env.gw.fail = [errors.WeChatError(43004, "require subscribe", "message/custom/send")]
    env.svc.run_due()
    env.clock.now += 86400
    env.svc.run_due()
    e = env.svc.store.get_entrant("acct", jid, "o1")
    assert e["state"] == "done" and e["outcomes"][0]["errcode"] == 43004 and "43004" in e["outcomes"][0]["reason"]
    assert figures(env, jid)["steps"][0]["refused"] == 1 and env.gw.sent == []


def test_transient_errors_are_retried_a_bounded_number_of_times_then_recorded_refused():
    env = make()
    jid = journey(env, steps=[{"type": "custom", "text": "hi"}])
    follow(env, "o1")
    says(env, "o1")
    env.gw.fail = [errors.WeChatBusy(-1, "system busy", "message/custom/send") for _ in range(10)]
    for _ in range(10):
        env.svc.run_due()
        env.clock.now += 7200
    e = env.svc.store.get_entrant("acct", jid, "o1")
    assert e["state"] == "done" and "gave up after 5 attempts" in e["outcomes"][0]["reason"]
    assert len(env.gw.fail) == 5 and figures(env, jid)["steps"][0]["refused"] == 1


def test_unfollowing_exits_and_is_counted_at_the_step_reached():
    env = make()
    jid = journey(env)
    follow(env, "o1")
    env.svc.run_due()
    env.svc.run_due()  # now waiting at step 2
    out = env.svc.triggers.on_oa({"account_id": "acct", "event": {"FromUserName": "o1", "Event": "unsubscribe"}})
    assert out["exited"] == [jid]
    env.clock.now += 3600
    env.svc.run_due()
    assert env.gw.templates == []
    assert figures(env, jid)["steps"][2]["exited"] == 1


def test_reaching_the_goal_tag_exits_the_journey():
    env = make()
    goal = journey(env, steps=[{"type": "wait", "seconds": 60}, {"type": "custom", "text": "buy"}], goal_tag_id="7")
    tagger = journey(env, steps=[{"type": "tag", "tag_id": "7"}])
    follow(env, "o1")
    env.svc.run_due()
    env.clock.now += 60
    env.svc.run_due()
    assert env.gw.sent == [] and env.svc.store.get_entrant("acct", goal, "o1")["exit_reason"] == "goal"
    assert sum(s["exited"] for s in figures(env, goal)["steps"]) == 1 and figures(env, tagger)["completed"] == 1


def test_only_a_draft_changes_and_the_status_moves_as_allowed():
    env = make()
    jid = journey(env, activate=False)
    env.svc.admin.update(ADMIN, "acct", jid, {"name": "改名", "trigger": {"kind": "followed"}, "steps": STEPS_OA})
    env.svc.admin.move(ADMIN, "acct", jid, "activate")
    with pytest.raises(errors.Conflict):
        env.svc.admin.update(ADMIN, "acct", jid, {"name": "x", "trigger": {"kind": "followed"}, "steps": STEPS_OA})
    assert env.svc.admin.move(ADMIN, "acct", jid, "pause")["status"] == "paused"
    assert env.svc.admin.move(ADMIN, "acct", jid, "end")["status"] == "ended"
    with pytest.raises(errors.Conflict):
        env.svc.admin.move(ADMIN, "acct", jid, "activate")


def test_a_paused_journey_holds_its_people_and_an_ended_one_lets_them_go():
    env = make()
    jid = journey(env, steps=[{"type": "custom", "text": "hi"}])
    follow(env, "o1")
    env.svc.admin.move(ADMIN, "acct", jid, "pause")
    env.svc.run_due()
    assert env.gw.sent == [] and env.svc.store.get_entrant("acct", jid, "o1")["state"] == "ready"
    env.svc.admin.move(ADMIN, "acct", jid, "end")
    env.clock.now += 600
    env.svc.run_due()
    assert env.gw.sent == [] and env.svc.store.get_entrant("acct", jid, "o1")["exit_reason"] == "journey ended"


def test_entrants_of_a_step_are_listed():
    env = make()
    jid = journey(env)
    for i in range(3):
        follow(env, f"o{i}", key=f"f{i}")
    env.svc.run_due()
    rows, _ = env.svc.admin.entrants(ADMIN, "acct", jid, step=2)
    assert [r["person"] for r in rows] == ["o0", "o1", "o2"] and rows[0]["outcomes"][0]["outcome"] == "sent"
    with pytest.raises(errors.ValidationError):
        env.svc.admin.entrants(ADMIN, "acct", jid, step=3)
