"""Push use cases with the in-memory store and a fake WeChat gateway: exactly once, quotas, faults, resume."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import pytest

from scrm.errors import Conflict, ValidationError, WeChatBusy, WeChatError, WeChatUnavailable
from scrm.services.pushes import PushService
from scrm.stores.pushes import MemoryPushStore
from scrm.tenancy import Scope

T0 = 1_714_536_000.0  # 2024-05-01 12:00 Asia/Shanghai


class Crash(BaseException):
    """The Lambda dies: nothing after this point runs."""


@dataclass
class Account:
    account_id: str = "acct"
    kind: str = "oa"
    account_type: str = "service"
    options: dict = field(default_factory=dict)


class FakeOA:
    """Just enough of OfficialAccountGateway; WeChat's clientmsgid dedupe included."""

    def __init__(self, followers: list[str]):
        self.followers = followers
        self.deliveries: dict[str, int] = {}
        self.cmids: dict[str, int] = {}
        self.calls: list[str] = []
        self.faults: list[BaseException | str] = []  # raised before ("x") or, for "crash_after", after the send
        self.msg_ids = itertools.count(1000)
        self.templates: dict[str, int] = {}

    def _fault(self):
        if self.faults and self.faults[0] != "crash_after":
            raise self.faults.pop(0)

    def get(self, endpoint, **params):
        self.calls.append(endpoint)
        assert endpoint == "user/get"
        start = self.followers.index(params["next_openid"]) + 1 if params.get("next_openid") else 0
        page = self.followers[start:start + 10000]
        return {"data": {"openid": page}, "next_openid": page[-1] if page else ""}

    def mass_send_to_openids(self, openids, message, cmid):
        self.calls.append("mass/send")
        self._fault()
        assert 2 <= len(openids) <= 10000 and len(cmid.encode()) <= 64
        if cmid in self.cmids:
            e = WeChatError(45065, "clientmsgid exist")
            e.data = {"errcode": 45065, "msgid": self.cmids[cmid]}
            raise e
        self.cmids[cmid] = next(self.msg_ids)
        for o in openids:
            self.deliveries[o] = self.deliveries.get(o, 0) + 1
        if self.faults and self.faults[0] == "crash_after":
            self.faults.pop(0)
            raise Crash()
        return {"errcode": 0, "msg_id": self.cmids[cmid]}

    def send_template(self, openid, template_id, data, cid, url=None):
        self.calls.append("template/send")
        self._fault()
        if cid not in self.templates:
            self.templates[cid] = next(self.msg_ids)
            self.deliveries[openid] = self.deliveries.get(openid, 0) + 1
        return {"msgid": self.templates[cid]}

    def post(self, endpoint, body):
        self.calls.append(endpoint)
        self._fault()
        assert endpoint == "message/custom/send"
        self.deliveries[body["touser"]] = self.deliveries.get(body["touser"], 0) + 1
        return {"errcode": 0}


class Clock:
    def __init__(self):
        self.now = T0

    def __call__(self):
        return self.now


def make(followers=None, account=None, **opts):
    store = MemoryPushStore()
    gw = FakeOA(followers if followers is not None else [f"o{i:05d}" for i in range(25)])
    clock = Clock()
    acct = account or Account(**opts)
    svc = PushService(store, account_for=lambda _a: acct, gateway_for=lambda _a: gw, clock=clock)
    return svc, store, gw, clock


def body(**kw):
    b = {"content": {"type": "text", "text": "hello"}, "audience": {"type": "all"},
         "send_at": "2024-05-01T13:00:00", "confirm": True}
    b.update(kw)
    return b


SCOPE = Scope.system()


def run_until_done(svc, clock, max_ticks=20):
    for _ in range(max_ticks):
        clock.now += 3600
        svc.run_due()
    return svc


def test_mass_push_goes_out_once_in_batches_with_figures():
    svc, store, gw, clock = make(account=Account(options={"push_batch_size": 10}))
    push = svc.create(SCOPE, "acct", body())
    assert push["status"] == "scheduled" and push["preview"]["audience"] == 25 and push["preview"]["batches"] == 3
    svc.run_due()  # not due yet
    assert gw.calls.count("mass/send") == 0
    clock.now += 3600
    assert svc.run_due()["completed"] == 1
    assert gw.calls.count("mass/send") == 3 and set(gw.deliveries.values()) == {1} and len(gw.deliveries) == 25
    view = svc.get(SCOPE, "acct", push["push_id"])
    assert view["status"] == "completed" and view["runs"][0]["sent"] == 25
    clock.now += 3600
    svc.run_due()  # firing again sends nothing
    assert gw.calls.count("mass/send") == 3


def test_scheduler_firing_twice_claims_once():
    svc, store, gw, clock = make()
    push = svc.create(SCOPE, "acct", body())
    clock.now += 3600
    first = store.claim("acct", push["push_id"], "worker-1", clock(), clock() + 300)
    assert first is not None
    assert svc.run_due(owner="worker-2")["skipped"] == 1  # leased: the second scheduler gets nothing
    assert gw.calls.count("mass/send") == 0


@pytest.mark.parametrize("crash", ["crash_after", Crash()])
def test_dying_mid_push_resumes_without_double_sending(crash):
    svc, store, gw, clock = make(account=Account(options={"push_batch_size": 10}))
    push = svc.create(SCOPE, "acct", body())
    gw.faults = [crash]
    clock.now += 3600
    with pytest.raises(Crash):
        svc.run_due()
    assert store.get_push("acct", push["push_id"])["status"] == "running"
    svc.run_due()  # lease still held by the dead worker: nothing
    clock.now += 301
    svc.run_due()
    assert len(gw.deliveries) == 25 and set(gw.deliveries.values()) == {1}
    view = svc.get(SCOPE, "acct", push["push_id"])
    assert view["status"] == "completed" and view["runs"][0]["sent"] == 25


def test_quota_leaves_people_out_and_counts_them():
    svc, store, gw, clock = make(followers=[f"o{i}" for i in range(6)])
    for _ in range(4):  # four pushes this month: the service-account quota
        svc.create(SCOPE, "acct", body(audience={"type": "list", "recipients": ["o0", "o1", "o2"]}))
    p5 = svc.create(SCOPE, "acct", body(send_at="2024-05-01T14:00:00"))
    assert p5["preview"]["over_quota"] == 0  # nothing reserved yet at preview time
    run_until_done(svc, clock, 2)
    view = svc.get(SCOPE, "acct", p5["push_id"])
    assert view["runs"][0]["over_quota"] == 3 and view["runs"][0]["sent"] == 3
    assert all(gw.deliveries[o] == 4 for o in ("o0", "o1", "o2"))
    assert all(gw.deliveries[o] == 1 for o in ("o3", "o4", "o5"))
    p6 = svc.create(SCOPE, "acct", body(audience={"type": "list", "recipients": ["o0", "o1", "o3"]},
                                        send_at="2024-05-02T13:00:00"))
    assert p6["preview"]["over_quota"] == 2 and p6["preview"]["eligible"] == 1
    clock.now = T0 + 2 * 86400
    svc.run_due()
    v6 = svc.get(SCOPE, "acct", p6["push_id"])
    assert v6["runs"][0]["batch_states"] == {"failed": 1}  # 1 openid left: a mass send needs 2
    assert gw.deliveries["o3"] == 1  # and o3's reservation was given back
    assert store.used_many("acct", [k for k in store.ledger if k.endswith("#o3")]) == {
        k: 1 for k in store.ledger if k.endswith("#o3")}


def test_busy_and_timeouts_are_retried_and_refusals_recorded():
    svc, store, gw, clock = make()
    push = svc.create(SCOPE, "acct", body())
    gw.faults = [WeChatBusy(-1, "system busy"), WeChatUnavailable("timed out")]
    run_until_done(svc, clock, 4)
    assert gw.calls.count("mass/send") == 3 and len(gw.deliveries) == 25
    assert svc.get(SCOPE, "acct", push["push_id"])["status"] == "completed"
    # 45028: no quota at WeChat -> failed with the reason, quota given back
    p2 = svc.create(SCOPE, "acct", body(send_at="2024-05-03T13:00:00"))
    gw.faults = [WeChatError(45028, "has no masssend quota")]
    clock.now = T0 + 3 * 86400
    svc.run_due()
    v = svc.get(SCOPE, "acct", p2["push_id"])
    assert v["status"] == "failed"
    batches = svc.batches(SCOPE, "acct", p2["push_id"])
    assert batches[0]["reason"].startswith("no mass send quota") and batches[0]["errcode"] == 45028
    assert all(v == 1 for v in store.used_many("acct", list(store.ledger)).values())


def test_timeout_after_send_is_deduped_by_clientmsgid():
    svc, store, gw, clock = make()
    push = svc.create(SCOPE, "acct", body())
    gw.faults = ["crash_after"]
    clock.now += 3600
    with pytest.raises(Crash):
        svc.run_due()
    # the batch is in "sending": outcome unknown; the rerun resends with the same clientmsgid -> 45065
    clock.now += 400
    svc.run_due()
    batch = svc.batches(SCOPE, "acct", push["push_id"])[0]
    assert batch["state"] == "sent" and batch["deduped"] and batch["msg_id"] == 1000
    assert set(gw.deliveries.values()) == {1}


def test_bad_input_is_a_clear_400_and_cancel_only_before_it_runs():
    svc, store, gw, clock = make(followers=[])
    with pytest.raises(ValidationError, match="audience is empty"):
        svc.create(SCOPE, "acct", body())
    svc2, _, _, clock2 = make()
    with pytest.raises(ValidationError) as e:
        svc2.create(SCOPE, "acct", body(send_at="2024-04-01T00:00:00"))
    assert e.value.field == "send_at"
    with pytest.raises(ValidationError) as e:
        svc2.create(SCOPE, "acct", body(content={"type": "image"}))
    assert e.value.field == "content.media_id"
    draft = svc2.create(SCOPE, "acct", body(confirm=False))
    assert draft["status"] == "draft"
    assert svc2.cancel(SCOPE, "acct", draft["push_id"])["status"] == "cancelled"
    with pytest.raises(Conflict):
        svc2.confirm(SCOPE, "acct", draft["push_id"])
    p = svc2.create(SCOPE, "acct", body())
    clock2.now += 3600
    svc2.run_due()
    with pytest.raises(Conflict):
        svc2.cancel(SCOPE, "acct", p["push_id"])


def test_subscription_account_sends_by_tag_or_to_all_within_its_daily_quota():
    svc, store, gw, clock = make(account_type="subscription")
    with pytest.raises(ValidationError, match="subscription"):
        svc.create(SCOPE, "acct", body(audience={"type": "list", "recipients": ["a", "b"]}))


def test_recurring_push_runs_again_with_its_own_client_msg_ids():
    svc, store, gw, clock = make(followers=["a", "b", "c"])
    push = svc.create(SCOPE, "acct", body(recurrence={"freq": "daily", "count": 2}))
    clock.now += 3600
    svc.run_due()
    v = svc.get(SCOPE, "acct", push["push_id"])
    assert v["status"] == "scheduled" and v["run_no"] == 2
    clock.now += 86400
    svc.run_due()
    v = svc.get(SCOPE, "acct", push["push_id"])
    assert v["status"] == "completed" and [r["run_no"] for r in v["runs"]] == [1, 2]
    assert gw.deliveries == {"a": 2, "b": 2, "c": 2} and len(gw.cmids) == 2


def test_template_messages_per_user_resume_with_client_msg_id():
    svc, store, gw, clock = make(followers=[f"o{i}" for i in range(5)])
    push = svc.create(SCOPE, "acct", body(content={"type": "template", "template_id": "T1",
                                                   "data": {"first": "hi"}}))
    calls = {"n": 0}  # the third send is refused as busy: the batch retries later, from the start
    real = gw.send_template

    def flaky(*a, **k):
        calls["n"] += 1
        if calls["n"] == 3:
            raise WeChatBusy(-1, "busy")
        return real(*a, **k)

    gw.send_template = flaky
    run_until_done(svc, clock, 3)
    assert set(gw.deliveries.values()) == {1} and len(gw.deliveries) == 5
    v = svc.get(SCOPE, "acct", push["push_id"])
    assert v["status"] == "completed" and v["runs"][0]["sent"] == 5
    # TEMPLATESENDJOBFINISH counts once per message
    msgid = next(iter(gw.templates.values()))
    ev = {"MsgID": msgid, "Status": "success"}
    assert svc.on_template_finish("acct", ev)["applied"] and not svc.on_template_finish("acct", ev)["applied"]
    assert svc.batches(SCOPE, "acct", push["push_id"])[0]["delivered"] == 1


def test_template_messages_stop_at_the_accounts_daily_cap_and_a_refused_one_is_given_back():
    cap = {"push_quotas": {"oa:*:template": [{"scope": "account", "limit": 7, "period": "day", "unit": "message"}]}}
    svc, store, gw, clock = make(followers=[f"o{i}" for i in range(5)], account=Account(options=cap))
    template = {"type": "template", "template_id": "T1", "data": {"first": "hi"}}
    real = gw.send_template

    def refuses_o1(openid, *a, **k):
        if openid == "o1" and not gw.deliveries.get("o1") and gw.calls.count("template/send") < 5:
            gw.calls.append("template/send")
            raise WeChatError(43004, "require subscribe")
        return real(openid, *a, **k)

    gw.send_template = refuses_o1
    first = svc.create(SCOPE, "acct", body(content=template))
    run_until_done(svc, clock, 2)
    assert svc.get(SCOPE, "acct", first["push_id"])["runs"][0]["sent"] == 4  # o1 refused: its message given back
    second = svc.create(SCOPE, "acct", body(content=template, send_at="2024-05-01T16:00:00"))
    assert second["preview"]["over_quota"] == 2 and second["preview"]["eligible"] == 3  # 7 - 4 left today
    run_until_done(svc, clock, 2)
    run = svc.get(SCOPE, "acct", second["push_id"])["runs"][0]
    assert run["sent"] == 3 and run["over_quota"] == 2
    assert sum(gw.deliveries.values()) == 7  # never past the cap, whatever the reruns


def test_customer_service_messages_only_inside_the_48_hour_window():
    svc, store, gw, clock = make(followers=["a", "b", "c"])
    svc.on_interaction("acct", "oa.text", {"FromUserName": "a", "received_at": T0 - 3600})
    svc.on_interaction("acct", "oa.click", {"FromUserName": "b", "received_at": T0 - 49 * 3600})
    push = svc.create(SCOPE, "acct", body(content={"type": "text", "text": "hi", "delivery": "custom"}))
    run_until_done(svc, clock, 1)
    assert gw.deliveries == {"a": 1}
    run = svc.get(SCOPE, "acct", push["push_id"])["runs"][0]
    assert run["outside_window"] == 2 and run["sent"] == 1


def test_mass_finish_callback_updates_counts_once():
    svc, store, gw, clock = make()
    push = svc.create(SCOPE, "acct", body())
    run_until_done(svc, clock, 1)
    ev = {"MsgID": "1000", "Status": "send success", "TotalCount": "25", "FilterCount": "24", "SentCount": "24",
          "ErrorCount": "0"}
    assert svc.on_mass_finish("acct", ev)["applied"]
    assert not svc.on_mass_finish("acct", ev)["applied"]
    assert svc.on_mass_finish("acct", {"MsgID": "999"}) == {"ignored": "not one of our pushes"}
    run = svc.get(SCOPE, "acct", push["push_id"])["runs"][0]
    assert run["delivered"] == 24 and run["platform_total"] == 25
