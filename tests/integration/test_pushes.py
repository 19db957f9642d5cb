"""Pushes with moto (DynamoDB store) and the real gateway against the WeChat sandbox: the admin API flow,
the scheduler, callbacks, faults, crashes and quotas."""

from __future__ import annotations

import threading
import time

import pytest

from local.sandbox import SandboxClient
from scrm import bootstrap
from scrm.services.pushes import PushService
from scrm.services.segments import admin as segment_admin
from scrm.services.segments import facts
from scrm.stores.pushes.dynamo import DynamoPushStore
from scrm.tenancy import Scope


class Clock:
    def __init__(self):
        self.now = time.time()

    def __call__(self):
        return self.now


def iso(t):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return datetime.fromtimestamp(t, ZoneInfo("Asia/Shanghai")).isoformat()


def svc(clock=None):
    return PushService(DynamoPushStore(Scope.system()), clock=clock or time.time)


def set_options(account, **options):
    from scrm import accounts
    from scrm.data.accounts import AccountRecord

    rec = AccountRecord.get(account.account_id)
    rec.options = {**(rec.options.as_dict() if rec.options else {}), **options}
    rec.save()
    accounts.forget_cache()
    return accounts.get(account.account_id)


def mass_jobs(sb, appid):
    return [c for c in sb.calls(path_contains="message/mass/send", app=appid) if c["errcode"] == 0]


def test_admin_flow_schedule_send_and_callback_figures(oa_account, sandbox, monkeypatch):
    from chalice.test import Client

    from app import app
    from scrm.services import admin_keys
    from scrm.services import pushes as pushes_module
    from scrm.services.events import apply

    clock = Clock()  # the API's and the scheduler's "now": confirming is never late because the preview was slow
    store = pushes_module.default_store
    monkeypatch.setattr(pushes_module, "service",
                        lambda scope=None: PushService(store(scope or Scope.system()), clock=clock))
    sb = SandboxClient(sandbox.url)
    sb.oa_followers(oa_account.app_id, count=250)
    set_options(oa_account, push_batch_size=100)
    _, key = admin_keys.issue(Scope.system("test-oa"), "test-oa", role="operator", name="ops")
    h = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    import json

    with Client(app) as c:
        def call(method, path, body=None):
            r = getattr(c.http, method)(f"/accounts/test-oa{path}", headers=h,
                                        body=json.dumps(body) if body is not None else None)
            return r.status_code, r.json_body

        status, err = call("post", "/pushes", {"content": {"type": "text", "text": "hi"}, "audience": {"type": "all"},
                                               "send_at": "2020-01-01T09:00:00"})
        assert status == 400 and err["error"]["field"] == "send_at"
        status, err = call("post", "/pushes", {"content": {"type": "text"}, "audience": {"type": "all"},
                                               "send_at": iso(clock.now + 3600)})
        assert status == 400 and err["error"]["field"] == "content.text"
        status, err = call("post", "/pushes", {"content": {"type": "text", "text": "hi"},
                                               "audience": {"type": "list", "recipients": []},
                                               "send_at": iso(clock.now + 3600)})
        assert status == 400 and err["error"]["field"] == "audience.recipients"
        status, push = call("post", "/pushes", {"name": "May news", "content": {"type": "text", "text": "hi"},
                                                "audience": {"type": "all"}, "send_at": iso(clock.now - 5)})
        assert status == 201 and push["status"] == "draft"
        pid = push["push_id"]
        status, preview = call("post", f"/pushes/{pid}/preview")
        assert status == 200 and (preview["audience"], preview["batches"], preview["api_calls"]) == (250, 3, 3)
        assert call("post", f"/pushes/{pid}/confirm")[1]["status"] == "scheduled"
        assert call("post", f"/pushes/{pid}/confirm")[0] == 409
        from scrm.services.pushes import run_scheduled

        run_scheduled(lambda: 600)
        status, view = call("get", f"/pushes/{pid}")
        assert view["status"] == "completed" and view["runs"][0]["sent"] == 250
        assert call("post", f"/pushes/{pid}/cancel")[0] == 409
        jobs = mass_jobs(sb, oa_account.app_id)
        assert len(jobs) == 3 and sum(len(j["body"]["touser"]) for j in jobs) == 250
        # MASSSENDJOBFINISH through the event worker path (MsgID field), applied once
        status, batches = call("get", f"/pushes/{pid}/batches")
        msg_id = batches["items"][0]["msg_id"]
        ev = {"account_id": "test-oa", "platform": "oa", "kind": "oa.masssendjobfinish", "dedupe_key": f"m{msg_id}",
              "event": {"MsgID": str(msg_id), "Status": "send success", "TotalCount": "100", "FilterCount": "100",
                        "SentCount": "99", "ErrorCount": "1"}}
        apply(ev)
        apply({**ev, "dedupe_key": "another-delivery"})
        view = call("get", f"/pushes/{pid}")[1]
        assert view["runs"][0]["delivered"] == 99 and view["runs"][0]["errors"] == 1
        assert call("get", "/pushes")[1]["items"][0]["push_id"] == pid


def test_scheduler_firing_twice_at_once_sends_each_batch_once(oa_account, sandbox):
    sb = SandboxClient(sandbox.url)
    sb.oa_followers(oa_account.app_id, count=120)
    set_options(oa_account, push_batch_size=40)
    s = svc()
    s.create(Scope.system(), "test-oa", {"content": {"type": "text", "text": "x"}, "audience": {"type": "all"},
                                         "send_at": iso(time.time() - 5), "confirm": True})
    threads = [threading.Thread(target=svc().run_due) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    svc().run_due()
    jobs = mass_jobs(sb, oa_account.app_id)
    sent = [o for j in jobs for o in j["body"]["touser"]]
    assert len(jobs) == 3 and len(sent) == len(set(sent)) == 120


class Crash(BaseException):
    pass


def test_dying_after_wechat_accepted_resumes_with_the_same_clientmsgid(oa_account, sandbox, monkeypatch):
    sb = SandboxClient(sandbox.url)
    sb.oa_followers(oa_account.app_id, count=60)
    set_options(oa_account, push_batch_size=30)
    clock = Clock()
    s = svc(clock)
    push = s.create(Scope.system(), "test-oa", {"content": {"type": "text", "text": "x"}, "audience": {"type": "all"},
                                                "send_at": iso(clock.now - 5), "confirm": True})
    real = DynamoPushStore.update_batch
    seen = {"sent": 0}

    def dying(self, *a, **kw):
        changes = a[4] if len(a) > 4 else kw.get("changes")
        if isinstance(changes, dict) and changes.get("state") == "sent" and not seen["sent"]:
            seen["sent"] += 1
            raise Crash()  # WeChat took batch 1; we die before writing it down
        return real(self, *a, **kw)

    monkeypatch.setattr(DynamoPushStore, "update_batch", dying)
    with pytest.raises(Crash):
        s.run_due()
    monkeypatch.setattr(DynamoPushStore, "update_batch", real)
    clock.now += 301  # the dead worker's lease runs out
    s.run_due()  # within WeChat's minute: 45066 -> wait
    sb.advance(120)
    clock.now += 120
    s.run_due()
    batches = s.batches(Scope.system(), "test-oa", push["push_id"])
    assert [b["state"] for b in batches] == ["sent", "sent"] and batches[0]["deduped"]
    jobs = mass_jobs(sb, oa_account.app_id)
    assert len(jobs) == 2  # batch 1 once (the resend was answered 45065 with its msgid), batch 2 once
    assert batches[0]["msg_id"] == jobs[0]["response"]["msg_id"]
    assert s.get(Scope.system(), "test-oa", push["push_id"])["status"] == "completed"


def test_faults_are_retried_or_recorded_with_reason(oa_account, sandbox):
    sb = SandboxClient(sandbox.url)
    sb.oa_followers(oa_account.app_id, count=10)
    clock = Clock()
    s = svc(clock)
    p = s.create(Scope.system(), "test-oa", {"content": {"type": "text", "text": "x"}, "audience": {"type": "all"},
                                             "send_at": iso(clock.now - 5), "confirm": True})
    sb.fault("message/mass/send", errcode=45009, platform="oa", times=3)  # outlasts the gateway's 2 retries
    s.run_due()
    b = s.batches(Scope.system(), "test-oa", p["push_id"])[0]
    assert b["state"] == "retry" and "45009" in b["reason"]
    clock.now += 3600
    s.run_due()
    assert s.get(Scope.system(), "test-oa", p["push_id"])["status"] == "completed"
    p2 = s.create(Scope.system(), "test-oa", {"content": {"type": "text", "text": "y"}, "audience": {"type": "all"},
                                              "send_at": iso(clock.now - 5), "confirm": True})
    sb.fault("message/mass/send", errcode=45028, platform="oa", times=1)
    s.run_due()
    b = s.batches(Scope.system(), "test-oa", p2["push_id"])[0]
    assert b["state"] == "failed" and b["errcode"] == 45028 and "no mass send quota" in b["reason"]
    assert s.get(Scope.system(), "test-oa", p2["push_id"])["status"] == "failed"


def test_service_account_quota_four_a_month_is_enforced_across_pushes(oa_account, sandbox):
    sb = SandboxClient(sandbox.url)
    sb.oa_followers(oa_account.app_id, openids=["oA", "oB", "oC"])
    s = svc()
    for i in range(5):
        s.create(Scope.system(), "test-oa", {"content": {"type": "text", "text": f"n{i}"},
                                             "audience": {"type": "all"}, "send_at": iso(time.time() - 5),
                                             "confirm": True})
        s.run_due()
    for o in ("oA", "oB", "oC"):
        assert sb.oa_follower(oa_account.app_id, o)["mass_received_this_month"] == 4
    runs = [p["runs"][0] for p in s.list(Scope.system(), "test-oa")]
    assert sorted(r["over_quota"] for r in runs) == [0, 0, 0, 0, 3]


def test_wecom_group_messages_per_staff_quota_and_results(wecom_account, sandbox):
    sb = SandboxClient(sandbox.url)
    corp = wecom_account.app_id
    customers = {}
    for u in ("alice", "bob", "carol"):
        customers[u] = sb.wecom_customers(corp, u, count=20)["external_userids"]
    s = svc()
    body = {"content": {"type": "wecom", "text": "新品上市", "attachments": []}, "audience": {"type": "all"},
            "send_at": iso(time.time() - 5), "confirm": True}
    p = s.create(Scope.system(), "test-wecom", body)
    assert p["preview"]["batches"] == 3
    s.run_due()
    calls = [c for c in sb.calls(path_contains="add_msg_template") if c["errcode"] == 0]
    assert len(calls) == 3 and {c["body"]["sender"] for c in calls} == {"alice", "bob", "carol"}
    # a second push the same day: every customer already had today's message
    p2 = s.create(Scope.system(), "test-wecom", {**body, "content": {"type": "wecom", "text": "again"}})
    assert p2["preview"]["over_quota"] == 60
    s.run_due()
    assert len([c for c in sb.calls(path_contains="add_msg_template") if c["errcode"] == 0]) == 3
    assert s.get(Scope.system(), "test-wecom", p2["push_id"])["runs"][0]["over_quota"] == 60
    # staff confirm in their client; results come from the groupmsg v2 APIs
    first = s.batches(Scope.system(), "test-wecom", p["push_id"])
    queued = []
    bootstrap.container()._made["segment_events"] = queued.append
    sb.wecom_confirm_groupmsg(corp, first[0]["msg_id"], first[0]["sender"])
    s.poll_wecom_results("test-wecom", p["push_id"])
    b = s.batches(Scope.system(), "test-wecom", p["push_id"])[0]
    assert b["delivered"] == 20 and b["results_final"] and b["pending_results"] == 0
    # the customers it reached count it in their segment facts (push engagement), once each
    assert sorted(i for m in queued for i in m["event"]["identities"]) == sorted(customers[first[0]["sender"]])
    for m in queued + queued:
        facts.on_push_delivered(m)
    found = segment_admin.preview(Scope.system("test-wecom"), "test-wecom", {
        "rule": {"field": "push_deliveries", "op": "eq", "value": 1}})
    assert found["count"] == 20


def test_wecom_unknown_outcome_is_looked_up_not_resent(wecom_account, sandbox, monkeypatch):
    sb = SandboxClient(sandbox.url)
    sb.wecom_customers(wecom_account.app_id, "alice", count=5)
    clock = Clock()
    s = svc(clock)
    p = s.create(Scope.system(), "test-wecom", {"content": {"type": "wecom", "text": "once"},
                                                "audience": {"type": "all"}, "send_at": iso(clock.now - 5),
                                                "confirm": True})
    real = DynamoPushStore.update_batch

    def dying(self, *a, **kw):
        changes = a[4] if len(a) > 4 else kw.get("changes")
        if isinstance(changes, dict) and changes.get("state") == "sent":
            raise Crash()
        return real(self, *a, **kw)

    monkeypatch.setattr(DynamoPushStore, "update_batch", dying)
    with pytest.raises(Crash):
        s.run_due()
    monkeypatch.setattr(DynamoPushStore, "update_batch", real)
    clock.now += 301
    s.run_due()
    assert len([c for c in sb.calls(path_contains="add_msg_template") if c["errcode"] == 0]) == 1
    b = s.batches(Scope.system(), "test-wecom", p["push_id"])[0]
    assert b["state"] == "sent" and b["recovered"]


def test_customer_service_window_from_callback_events(oa_account, sandbox):
    from scrm.services.events import apply

    sb = SandboxClient(sandbox.url)
    sb.oa_followers(oa_account.app_id, openids=["oX", "oY"])
    now = time.time()
    apply({"account_id": "test-oa", "platform": "oa", "kind": "oa.text", "dedupe_key": "t1",
           "event": {"FromUserName": "oX", "MsgType": "text", "received_at": now}})
    sb.oa_event(oa_account.app_id, "text", openid="oX")  # the sandbox opens its own window too
    s = svc()
    p = s.create(Scope.system(), "test-oa", {"content": {"type": "text", "text": "hi", "delivery": "custom"},
                                             "audience": {"type": "all"}, "send_at": iso(now - 5), "confirm": True})
    s.run_due()
    sent = [c for c in sb.calls(path_contains="custom/send") if c["errcode"] == 0]
    assert [c["body"]["touser"] for c in sent] == ["oX"]
    assert s.get(Scope.system(), "test-oa", p["push_id"])["runs"][0]["outside_window"] == 1


def test_wecom_minus_one_that_wecom_processed_is_looked_up_not_resent(wecom_account, sandbox, monkeypatch):
    """add_msg_template has no dedupe key. WeCom creates the task and answers -1: the sender must look the
    message up (get_groupmsg_list_v2, this staff member, since the attempt, content, not another batch's
    message) before resending. The gateway's own blind retry of -1 is switched off here, as the gateway
    change for this call does."""
    from scrm.gateway import base

    monkeypatch.setattr(base, "BUSY_RETRIES", 0, raising=False)
    set_options(wecom_account, push_batch_size=5)
    sb = SandboxClient(sandbox.url)
    sb.wecom_customers(wecom_account.app_id, "alice", count=10)
    clock = Clock()
    s = svc(clock)
    p = s.create(Scope.system(), "test-wecom", {"content": {"type": "wecom", "text": "one task per batch"},
                                                "audience": {"type": "all"}, "send_at": iso(clock.now - 5),
                                                "confirm": True})
    assert p["preview"]["batches"] == 2  # two batches of alice's, with the same content
    sb.fault("externalcontact/add_msg_template", None, platform="wecom")  # batch 1 goes through
    sb.fault("externalcontact/add_msg_template", -1, platform="wecom", apply=True)  # batch 2: done, but -1
    s.run_due()
    corp = sandbox.sandbox.wecom.app(wecom_account.app_id)
    assert len(corp.msg_templates) == 2
    batches = s.batches(Scope.system(), "test-wecom", p["push_id"])
    assert [b["state"] for b in batches] == ["sent", "unknown"]
    clock.now += 3600
    s.run_due()
    assert len(corp.msg_templates) == 2  # nothing sent twice
    batches = s.batches(Scope.system(), "test-wecom", p["push_id"])
    assert [b["state"] for b in batches] == ["sent", "sent"] and batches[1]["recovered"]
    assert batches[0]["msg_id"] != batches[1]["msg_id"]
    assert set(corp.msg_templates) == {b["msg_id"] for b in batches}


def test_channel_audience_is_who_still_follows_and_the_preview_says_who_left(oa_account, sandbox):
    import json

    from scrm.services import channels, events

    a = oa_account.account_id
    sb = SandboxClient(sandbox.url)
    sb.oa_followers(oa_account.app_id, openids=["o-1", "o-2", "o-3"])
    ch = channels.create_channel(Scope.system(a), a, {"kind": "oa_qr", "name": "Poster", "qr_type": "temporary",
                                                      "expire_seconds": 86400})
    t = int(time.time()) - 600

    def event(name, openid, at, key):
        return {"account_id": a, "platform": "oa", "kind": f"oa.{name}", "dedupe_key": f"{openid}|{at}|{name}",
                "event": {"ToUserName": oa_account.original_id, "FromUserName": openid, "CreateTime": at,
                          "MsgType": "event", "Event": name, "EventKey": key, "received_at": at}}

    payloads = [event("subscribe", o, t + i, "qrscene_" + ch["scene"]) for i, o in enumerate(["o-1", "o-2", "o-3"])]
    payloads.append(event("unsubscribe", "o-3", t + 60, ""))
    records = [{"messageId": f"m{i}", "receiptHandle": f"r{i}", "body": json.dumps(p), "attributes": {},
                "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:ap-east-1:123456789012:events", "awsRegion": "ap-east-1"}
               for i, p in enumerate(payloads)]
    assert events.process_batch({"Records": records}) == {"batchItemFailures": []}
    s = svc()
    p = s.create(Scope.system(), a, {"content": {"type": "text", "text": "poster fans"},
                                     "audience": {"type": "channel", "channel_ids": [ch["channel_id"]]},
                                     "send_at": iso(time.time() - 5), "confirm": True})
    assert p["preview"]["audience"] == 2
    assert p["preview"]["left_out"] == {"unfollowed": 1} and p["preview"]["left_out_total"] == 1
    s.run_due()
    [job] = mass_jobs(sb, oa_account.app_id)
    assert sorted(job["body"]["touser"]) == ["o-1", "o-2"]
    run = s.get(Scope.system(), a, p["push_id"])["runs"][0]
    assert run["sent"] == 2 and run["left_out"] == {"unfollowed": 1}
