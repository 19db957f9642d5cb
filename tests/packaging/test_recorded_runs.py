"""Recorded runs of each flow, function by function, as Lambda runs them: the real handlers (the API through
chalice's test client, each queue or schedule function through its own handler with a Lambda event), messages
passed from one function to the next through the queues, WeChat as the sandbox. Every AWS call each function
makes (tests/packaging/recorded.py) must be one its role grants (infra/access.json, from which the template's
policies are built): a function whose role lacks a table, an index, an action or a queue fails here, as it would
fail deployed with AccessDenied.
"""

from __future__ import annotations

import json
import time
import urllib.parse

import pytest

from tests.packaging.recorded import SCHEDULED, LambdaContext, Recorder, take_sqs_event

pytestmark = pytest.mark.packaging


class FixedClock:
    def __init__(self, now: float):
        self.now = now

    def __call__(self) -> float:
        return self.now


def _fixed_now(monkeypatch) -> FixedClock:
    """One "now" for every function of the run (the container's business clock)."""
    from scrm import bootstrap

    clock = FixedClock(float(int(time.time())))
    monkeypatch.setattr(bootstrap.container(), "clock", clock)
    return clock


def _queue_worker(name: str):
    import functions.event_worker as workers
    import functions.privacy_worker as privacy
    import functions.reassignment as reassignment

    return {"HandleEvents": workers.handle_events, "HandleWelcome": workers.handle_welcome,
            "ReassignmentWorker": reassignment.reassignment_worker, "ErasureWorker": privacy.erasure_worker}[name]


def consume(rec: Recorder, lid: str, queue: str) -> dict:
    """Deliver what waits on `queue` to its consumer, as the function `lid`; the batch must succeed."""
    event = take_sqs_event(queue)
    assert event["Records"], f"nothing waiting on {queue} for {lid}"
    with rec.running(lid):
        out = _queue_worker(lid)(event, LambdaContext(lid))
    assert not (out or {}).get("batchItemFailures"), out
    return out


def scheduled(rec: Recorder, lid: str, handler):
    with rec.running(lid):
        return handler(SCHEDULED, LambdaContext(lid))


def admin(client, key: str):
    def call(method: str, path: str, body=None, headers=None):
        h = {"Authorization": f"Bearer {key}", "Content-Type": "application/json", **(headers or {})}
        return getattr(client.http, method.lower())(path, headers=h, body=None if body is None else json.dumps(body))
    return call


def key_for(account_id: str, role: str = "admin") -> str:
    from scrm.services import admin_keys
    from scrm.tenancy import Scope

    return admin_keys.issue(Scope.system(account_id), account_id, role=role, name=f"recorded {role}")[1]


def post_callback(client, platform: str, account, xml: str, openid: str = "o-fan-1"):
    from local.sandbox import callbacks as wx

    if platform == "oa":
        cfg = {"token": account.token, "aes_key": account.aes_key, "appid": account.app_id,
               "original_id": account.original_id, "encrypt_mode": "aes"}
        query, body = wx.oa_request(cfg, xml, openid)
    else:
        query, body = wx.wecom_request({"token": account.token, "aes_key": account.aes_key,
                                        "corpid": account.app_id}, xml)
    res = client.http.post(f"/wechat/{platform}/{account.account_id}?{urllib.parse.urlencode(query)}",
                           body=body.encode() if isinstance(body, str) else body, headers={"Content-Type": "text/xml"})
    assert res.status_code == 200, res.body
    return res


def oa_xml(account, now: float, **fields) -> str:
    from local.sandbox import callbacks as wx

    base = {"ToUserName": account.original_id, "FromUserName": "o-fan-1", "CreateTime": int(now),
            "MsgType": "event", "Event": "subscribe", "EventKey": ""}
    base.update(fields)
    return wx.build_xml({k: v for k, v in base.items() if v is not None})


def wecom_xml(account, now: float, **fields) -> str:
    from local.sandbox import callbacks as wx

    return wx.build_xml({"ToUserName": account.app_id, "FromUserName": "sys", "CreateTime": int(now),
                         "MsgType": "event", **fields})


@pytest.fixture
def fresh_callbacks():
    from scrm import bootstrap
    from scrm.services import channels, replies

    bootstrap.container().forget("callback_service")
    replies.forget_cache()
    channels.forget_cache()
    yield


# ---------------------------------------------------------------- pushes


def test_a_recorded_push_uses_nothing_its_roles_lack(oa_account, sandbox, monkeypatch):
    """A push created, previewed and confirmed over the admin API, sent by the content_push schedule, and its
    MASSSENDJOBFINISH callback applied by the event worker; then a WeCom-less follow-up view of the results."""
    from chalice.test import Client

    from app import app
    from functions.content_push import content_push
    from local.sandbox import SandboxClient
    from tests.integration.test_pushes import iso, set_options

    clock = _fixed_now(monkeypatch)
    sb = SandboxClient(sandbox.url)
    sb.oa_followers(oa_account.app_id, count=150)
    set_options(oa_account, push_batch_size=100)
    a = oa_account.account_id
    recorder = Recorder(monkeypatch, "push")
    with Client(app) as client:
        call = admin(client, key_for(a, "operator"))
        with recorder.running("APIHandler"):
            r = call("POST", f"/accounts/{a}/pushes", {"name": "五月新闻", "content": {"type": "text", "text": "你好"},
                                                     "audience": {"type": "all"}, "send_at": iso(clock.now - 5)})
            assert r.status_code == 201, r.body
            pid = r.json_body["push_id"]
            assert call("POST", f"/accounts/{a}/pushes/{pid}/preview").json_body["batches"] == 2
            assert call("POST", f"/accounts/{a}/pushes/{pid}/confirm").json_body["status"] == "scheduled"
        scheduled(recorder, "ContentPush", content_push)
        with recorder.running("APIHandler"):
            view = call("GET", f"/accounts/{a}/pushes/{pid}").json_body
            assert view["status"] == "completed" and view["runs"][0]["sent"] == 150, view
            msg_id = call("GET", f"/accounts/{a}/pushes/{pid}/batches").json_body["items"][0]["msg_id"]
            post_callback(client, "oa", oa_account, oa_xml(
                oa_account, clock.now, FromUserName="mphelper", Event="MASSSENDJOBFINISH", EventKey=None,
                MsgID=msg_id, Status="send success", TotalCount=100, FilterCount=100, SentCount=99, ErrorCount=1),
                openid="mphelper")
        consume(recorder, "HandleEvents", "events")
        with recorder.running("APIHandler"):
            assert call("GET", f"/accounts/{a}/pushes/{pid}").json_body["runs"][0]["delivered"] == 99
            assert call("GET", f"/accounts/{a}/pushes").json_body["items"][0]["push_id"] == pid
    assert {t for _s, _op, t in recorder.of("ContentPush")} >= {"pushes", "push_batches"}, "the hook saw the sender"
    assert recorder.refused(["APIHandler", "ContentPush", "HandleEvents"]) == {
        "APIHandler": [], "ContentPush": [], "HandleEvents": []}


# ---------------------------------------------------------------- staff departure


def test_a_recorded_staff_departure_uses_nothing_its_roles_lack(wecom_account, sandbox, monkeypatch,
                                                                 fresh_callbacks):
    """delete_user over the WeCom callback, the event worker's plan, the reassignment worker's transfers (from
    the queue), the follow-up schedule's transfer_result polling a day later, the sweep, and the admin views."""
    from chalice.test import Client

    from app import app
    from functions.reassignment import reassignment_follow_up, reassignment_sweep
    from local.sandbox import SandboxClient

    sb = SandboxClient(sandbox.url)
    corpid, a = wecom_account.app_id, wecom_account.account_id
    for u in ("t1", "t2"):
        sb.wecom_staff(corpid, u)
    sb.wecom_customers(corpid, "leaver", count=30)
    sb.wecom_groupchats(corpid, "leaver", count=1)
    out = sb.wecom_event(corpid, "delete_user", userid="leaver")
    recorder = Recorder(monkeypatch, "reassignment")
    with Client(app) as client:
        call = admin(client, key_for(a))
        with recorder.running("APIHandler"):
            post_callback(client, "wecom", wecom_account, out["xml"])
        consume(recorder, "HandleEvents", "events")
        consume(recorder, "ReassignmentWorker", "reassignment")
        assert sb.calls(path_contains="transfer_customer"), "the worker transferred the customers"
        sb.advance(86400 + 60)
        follow = scheduled(recorder, "ReassignmentFollowUp", reassignment_follow_up)
        assert follow["plans"] == 1, follow
        sb.wecom_staff(corpid, "gone2", status="resigned")
        sb.wecom_customers(corpid, "gone2", count=2)
        scheduled(recorder, "ReassignmentSweep", reassignment_sweep)
        with recorder.running("APIHandler"):
            plans = call("GET", f"/accounts/{a}/reassignment/staff/leaver/history").json_body["items"]
            assert plans and plans[0]["status"] == "done", plans
            plan = plans[0]["plan_id"]
            assert call("GET", f"/accounts/{a}/reassignment/plans/{plan}").status_code == 200
            items = call("GET", f"/accounts/{a}/reassignment/plans/{plan}/items").json_body["items"]
            customer = next(i["id"] for i in items if i["kind"] == "customer")
            assert call("GET", f"/accounts/{a}/reassignment/customers/{customer}").status_code == 200
    assert recorder.of("ReassignmentWorker"), "the hook saw the worker"
    functions = ["APIHandler", "HandleEvents", "ReassignmentWorker", "ReassignmentFollowUp", "ReassignmentSweep"]
    assert recorder.refused(functions) == {lid: [] for lid in functions}


# ---------------------------------------------------------------- channels


def test_a_recorded_channel_admin_uses_nothing_its_roles_lack(oa_account, wecom_account, sandbox, monkeypatch,
                                                              fresh_callbacks):
    """OA QR channels and a WeCom contact way over the admin API (create, QR image, renew, stats, CSV, archive),
    a follow through the channel (callback, event worker), the tagging and upkeep schedules."""
    from chalice.test import Client

    from app import app
    from functions.channel_upkeep import channel_tagging, channel_upkeep
    from local.sandbox import SandboxClient

    clock = _fixed_now(monkeypatch)
    sb = SandboxClient(sandbox.url)
    sb.wecom_staff(wecom_account.app_id, "alice")
    sb.oa_followers(oa_account.app_id, openids=["o-fan-1"])
    oa, wecom = oa_account.account_id, wecom_account.account_id
    recorder = Recorder(monkeypatch, "channels")
    with Client(app) as client:
        oa_call, wecom_call = admin(client, key_for(oa, "operator")), admin(client, key_for(wecom, "operator"))
        with recorder.running("APIHandler"):
            tag = oa_call("POST", f"/accounts/{oa}/channels", {"kind": "oa_qr", "name": "海报", "group": "posters",
                                                             "tags": [101], "welcome": {"text": "欢迎"}})
            assert tag.status_code == 201, tag.body
            ch = tag.json_body
            temp = oa_call("POST", f"/accounts/{oa}/channels", {"kind": "oa_qr", "name": "周末", "qr_type": "temporary",
                                                              "expire_seconds": 3600}).json_body
            assert oa_call("POST", f"/accounts/{oa}/channels/{temp['channel_id']}/renew").status_code == 200
            png = oa_call("GET", f"/accounts/{oa}/channels/{ch['channel_id']}/qrcode?format=png",
                          headers={"Accept": "image/png"})
            assert png.status_code == 200
            way = wecom_call("POST", f"/accounts/{wecom}/channels", {"kind": "wecom_contact_way", "name": "门店",
                                                                   "staff": ["alice"], "daily_cap": 5})
            assert way.status_code == 201, way.body
            assert wecom_call("GET", f"/accounts/{wecom}/channels/{way.json_body['channel_id']}/qrcode?format=png",
                              headers={"Accept": "image/png"}).status_code == 200
            post_callback(client, "oa", oa_account, oa_xml(oa_account, clock.now, EventKey=f"qrscene_{ch['scene']}",
                                                           Ticket=ch["ticket"]))
        consume(recorder, "HandleEvents", "events")
        scheduled(recorder, "ChannelTagging", channel_tagging)
        scheduled(recorder, "ChannelUpkeep", channel_upkeep)
        with recorder.running("APIHandler"):
            stats = oa_call("GET", f"/accounts/{oa}/channel-stats").json_body
            assert [r for r in stats["channels"] if r["channel_id"] == ch["channel_id"]][0]["new_follows"] == 1
            assert oa_call("GET", f"/accounts/{oa}/channel-stats.csv").status_code == 200
            assert oa_call("GET", f"/accounts/{oa}/contacts?openid=o-fan-1").status_code == 200
            renamed = oa_call("PATCH", f"/accounts/{oa}/channels/{ch['channel_id']}", {"name": "海报二"})
            assert renamed.status_code == 200, renamed.body
            assert oa_call("DELETE", f"/accounts/{oa}/channels/{ch['channel_id']}").status_code == 200
            assert wecom_call("DELETE", f"/accounts/{wecom}/channels/{way.json_body['channel_id']}").status_code == 200
    assert recorder.of("ChannelTagging"), "the hook saw the tagging schedule"
    functions = ["APIHandler", "HandleEvents", "ChannelTagging", "ChannelUpkeep"]
    assert recorder.refused(functions) == {lid: [] for lid in functions}


# ---------------------------------------------------------------- privacy


def test_a_recorded_privacy_request_uses_nothing_its_roles_lack(oa_account, sandbox, monkeypatch, fresh_callbacks):
    """A follower's data made by the real flows (a follow callback, a campaign draw), exported and erased over the
    admin API (the erasure queued, carried out by the erasure worker in several runs, its status read back); an
    event of the erased person still on the queue is dropped by the event worker."""
    from chalice.test import Client

    from app import app
    from scrm.services import campaigns
    from scrm.services.privacy import job
    from scrm.tenancy import Scope

    clock = _fixed_now(monkeypatch)
    monkeypatch.setattr(job, "STEPS_PER_RUN", 8)  # 22 tables: the worker hands the request on to itself twice
    a = oa_account.account_id
    recorder = Recorder(monkeypatch, "privacy")
    with Client(app) as client:
        call = admin(client, key_for(a))
        post_callback(client, "oa", oa_account, oa_xml(oa_account, clock.now - 10))
        consume(recorder, "HandleEvents", "events")
        campaigns.create_campaign(Scope.system(a), a, {
            "campaign_id": "spring", "name": "春季", "starts_at": int(clock.now - 60), "ends_at": int(clock.now + 3600),
            "status": "active", "eligibility": {"must_follow": False},
            "prizes": [{"prize_id": "mug", "name": "杯子", "kind": "physical", "weight": 1, "stock": 5}]})
        assert campaigns.draw(a, "spring", "o-fan-1", "req-000001")["outcome"] == "win"
        post_callback(client, "oa", oa_account, oa_xml(oa_account, clock.now - 5, MsgType="text", Event=None,
                                                       EventKey=None, Content="在吗", MsgId=77))
        with recorder.running("APIHandler"):
            r = call("POST", f"/accounts/{a}/privacy/export", {"openid": "o-fan-1"})
            assert r.status_code == 200 and "contacts" in r.json_body["tables"], r.body
            r = call("POST", f"/accounts/{a}/privacy/erase", {"openid": "o-fan-1"})
            assert r.status_code == 202 and r.json_body["status"] == "pending", r.body
            status_url = r.json_body["status_url"]
        for _run in range(3):
            consume(recorder, "ErasureWorker", "erasure")
        with recorder.running("APIHandler"):
            r = call("GET", status_url)
            assert r.json_body["status"] == "done" and r.json_body["erased"].get("draws") == 1, r.body
            assert call("GET", f"/accounts/{a}/audit?action=privacy.").status_code == 200
        consume(recorder, "HandleEvents", "events")  # the text message sent before the erasure
        with recorder.running("APIHandler"):
            r = call("POST", f"/accounts/{a}/privacy/export", {"openid": "o-fan-1"})
            assert r.json_body["tables"] == {}, r.body
    assert any(t == "erasures" for _s, _op, t in recorder.of("HandleEvents")), "the worker looked the person up"
    assert any(t == "erasure_requests" for _s, _op, t in recorder.of("ErasureWorker"))
    functions = ["APIHandler", "HandleEvents", "ErasureWorker"]
    assert recorder.refused(functions) == {lid: [] for lid in functions}


# ---------------------------------------------------------------- WeChat callbacks


def test_recorded_callbacks_use_nothing_their_roles_lack(oa_account, wecom_account, sandbox, monkeypatch,
                                                         fresh_callbacks):
    """OA (follow with a reply, keyword reply, menu click, unfollow) and WeCom (a customer added through a contact
    way with its welcome code, edited, removed, a refused transfer, a group chat change) through the callback
    routes, with WeChat's retry of one; the event and welcome workers from their queues; the inbox sweeper."""
    from chalice.test import Client

    from app import app
    from functions.inbox_sweeper import inbox_sweeper
    from local.sandbox import SandboxClient
    from scrm.services import replies
    from scrm.tenancy import Scope

    clock = _fixed_now(monkeypatch)
    sb = SandboxClient(sandbox.url)
    sb.wecom_staff(wecom_account.app_id, "zhangsan")
    oa, wecom = oa_account.account_id, wecom_account.account_id
    replies.put_welcome(Scope.system(oa), oa, {"welcome": {"type": "text", "content": "欢迎关注"}})
    recorder = Recorder(monkeypatch, "callbacks")
    with Client(app) as client:
        call = admin(client, key_for(oa, "operator"))
        wecom_call = admin(client, key_for(wecom, "operator"))
        with recorder.running("APIHandler"):
            rule = call("POST", f"/accounts/{oa}/reply-rules", {"match": "contains", "keywords": ["价格"],
                                                              "reply": {"type": "text", "content": "九块九"}})
            assert rule.status_code == 201, rule.body
            way = wecom_call("POST", f"/accounts/{wecom}/channels", {"kind": "wecom_contact_way", "name": "门店",
                                                                   "staff": ["zhangsan"],
                                                                   "welcome": {"text": "你好"}}).json_body
            follow = oa_xml(oa_account, clock.now)
            post_callback(client, "oa", oa_account, follow)
            post_callback(client, "oa", oa_account, follow)  # WeChat's retry: the same reply, no second event
            for n, fields in enumerate([dict(MsgType="text", Event=None, EventKey=None, Content="价格", MsgId=11),
                                        dict(Event="CLICK", EventKey="MENU_A"), dict(Event="unsubscribe")]):
                post_callback(client, "oa", oa_account, oa_xml(oa_account, clock.now + 1 + n, **fields))
            sb.wecom_customers(wecom_account.app_id, "zhangsan", external_userids=["wm1"])
            added = sb.wecom_event(wecom_account.app_id, "add_external_contact", userid="zhangsan",
                                   external_userid="wm1", state=way["state"])
            post_callback(client, "wecom", wecom_account, added["xml"])
            for fields in [
                {"Event": "change_external_contact", "ChangeType": "edit_external_contact", "UserID": "zhangsan",
                 "ExternalUserID": "wm1"},
                {"Event": "change_external_contact", "ChangeType": "transfer_fail", "UserID": "zhangsan",
                 "ExternalUserID": "wm1", "FailReason": "customer_refused"},
                {"Event": "change_external_chat", "ChangeType": "update", "ChatId": "wr1",
                 "UpdateDetail": "add_member", "MemChangeList": ["Jack"]},
                {"Event": "change_external_contact", "ChangeType": "del_follow_user", "UserID": "zhangsan",
                 "ExternalUserID": "wm1"},
            ]:
                post_callback(client, "wecom", wecom_account, wecom_xml(wecom_account, clock.now + 10, **fields))
        consume(recorder, "HandleWelcome", "welcome")
        consume(recorder, "HandleEvents", "events")
        scheduled(recorder, "InboxSweeper", inbox_sweeper)
    assert sb.calls(path_contains="send_welcome_msg"), "the welcome worker greeted the customer"
    functions = ["APIHandler", "HandleEvents", "HandleWelcome", "InboxSweeper"]
    assert recorder.refused(functions) == {lid: [] for lid in functions}


# ---------------------------------------------------------------- customer moments


def test_a_recorded_moment_uses_nothing_its_roles_lack(wecom_account, sandbox, monkeypatch):
    """A moment created and previewed over the admin API, created on WeCom, its job followed and its figures
    pulled by the content_push schedule (the monthly counts in quota_ledger), cancelled, and the admin views."""
    from chalice.test import Client

    from app import app
    from functions.content_push import content_push
    from local.sandbox import SandboxClient
    from tests.integration.test_pushes import iso

    clock = _fixed_now(monkeypatch)
    sb = SandboxClient(sandbox.url)
    corpid, a = wecom_account.app_id, wecom_account.account_id
    sb.wecom_customers(corpid, "s1", count=3)
    recorder = Recorder(monkeypatch, "moments")
    with Client(app) as client:
        call = admin(client, key_for(a, "operator"))
        with recorder.running("APIHandler"):
            r = call("POST", f"/accounts/{a}/moments", {"text": "新品上市", "senders": ["s1"],
                                                      "send_at": iso(int(clock.now))})
            assert r.status_code == 201, r.body
            mid = r.json_body["moment_id"]
            assert call("POST", f"/accounts/{a}/moments/{mid}/preview").json_body["visible"] == 3
        scheduled(recorder, "ContentPush", content_push)
        sb.advance(2)
        clock.now += 2
        scheduled(recorder, "ContentPush", content_push)
        with recorder.running("APIHandler"):
            view = call("GET", f"/accounts/{a}/moments/{mid}").json_body
            assert view["status"] == "publishing" and view["reserved"] == 3, view
            assert call("GET", f"/accounts/{a}/moments/{mid}/figures").json_body["senders"] == 1
            assert call("GET", f"/accounts/{a}/moments").json_body["items"][0]["moment_id"] == mid
            assert call("POST", f"/accounts/{a}/moments/{mid}/cancel").json_body["status"] == "cancelled"
    assert {t for _s, _op, t in recorder.of("ContentPush")} >= {"moments", "quota_ledger"}, "the hook saw the run"
    assert recorder.refused(["APIHandler", "ContentPush"]) == {"APIHandler": [], "ContentPush": []}
# ---------------------------------------------------------------- staff figures


def test_a_recorded_staff_figures_pull_uses_nothing_its_roles_lack(wecom_account, sandbox, monkeypatch):
    """The daily pull of 联系客户统计 and 群聊数据统计 (the schedule's handler, twice: the re-run asks only for
    yesterday), then the
    figures over the admin API as JSON and CSV."""
    from datetime import date, timedelta

    from chalice.test import Client

    from app import app
    from functions.staff_figures import staff_figures
    from local.sandbox import SandboxClient
    from scrm.domain.channels import day_of

    clock = _fixed_now(monkeypatch)
    sb = SandboxClient(sandbox.url)
    clock.now = sb.now()
    yesterday = (date.fromisoformat(day_of(clock.now)) - timedelta(days=1)).isoformat()
    sb.wecom_stats(wecom_account.app_id, "alice", yesterday, behavior={"new_contact_cnt": 3},
                   groupchat={"chat_total": 2})
    a = wecom_account.account_id
    recorder = Recorder(monkeypatch, "staff")
    with Client(app) as client:
        call = admin(client, key_for(a, "read-only"))
        assert scheduled(recorder, "StaffFigures", staff_figures)["rows"] == 30
        assert scheduled(recorder, "StaffFigures", staff_figures)["days"] == 1  # yesterday again (it may fill in)
        with recorder.running("APIHandler"):
            r = call("GET", f"/accounts/{a}/staff/figures?from={yesterday}&to={yesterday}")
            assert r.json_body["items"][0]["new_contact_cnt"] == 3, r.body
            assert call("GET", f"/accounts/{a}/staff/figures.csv?from={yesterday}").status_code == 200
    assert any(t == "staff_activity" for _s, _op, t in recorder.of("StaffFigures")), "the hook saw the pull"
    assert recorder.refused(["APIHandler", "StaffFigures"]) == {"APIHandler": [], "StaffFigures": []}


# ---------------------------------------------------------------- loss alerts


def test_a_recorded_loss_alert_uses_nothing_its_roles_lack(wecom_account, sandbox, monkeypatch, fresh_callbacks):
    """Alert settings over the admin API; a customer added through a contact way and then deleting the staff member
    (callbacks, the event worker sending the app message); the counts over the admin API."""
    from chalice.test import Client

    from app import app
    from local.sandbox import SandboxClient
    from tests.integration.app_secrets import give_app

    clock = _fixed_now(monkeypatch)
    sb = SandboxClient(sandbox.url)
    sb.wecom_staff(wecom_account.app_id, "zhangsan")
    a = wecom_account.account_id
    give_app(wecom_account, sandbox.url, 1000002)  # the alerts app's Secret (its own token sends the message)
    recorder = Recorder(monkeypatch, "loss_alerts")
    with Client(app) as client:
        call = admin(client, key_for(a))
        with recorder.running("APIHandler"):
            r = call("PUT", f"/accounts/{a}/loss-alerts/settings", {"enabled": True, "agentid": 1000002})
            assert r.status_code == 200, r.body
            way = call("POST", f"/accounts/{a}/channels", {"kind": "wecom_contact_way", "name": "门店",
                                                         "staff": ["zhangsan"]}).json_body
            sb.wecom_customers(wecom_account.app_id, "zhangsan", external_userids=["wm1"])
            post_callback(client, "wecom", wecom_account, wecom_xml(
                wecom_account, clock.now, Event="change_external_contact", ChangeType="add_external_contact",
                UserID="zhangsan", ExternalUserID="wm1", State=way["state"]))
        consume(recorder, "HandleEvents", "events")
        with recorder.running("APIHandler"):
            post_callback(client, "wecom", wecom_account, wecom_xml(
                wecom_account, clock.now + 5, Event="change_external_contact", ChangeType="del_follow_user",
                UserID="zhangsan", ExternalUserID="wm1"))
        consume(recorder, "HandleEvents", "events")
        with recorder.running("APIHandler"):
            assert call("GET", f"/accounts/{a}/loss-alerts/counts").json_body["sent"] == 1
            assert call("GET", f"/accounts/{a}/loss-alerts/settings").json_body["enabled"] is True
    assert len(sb.wecom_app_messages(wecom_account.app_id)["messages"]) == 1
    assert any(t == "staff_activity" for _s, _op, t in recorder.of("HandleEvents")), "the hook saw the alert"
    assert recorder.refused(["APIHandler", "HandleEvents"]) == {"APIHandler": [], "HandleEvents": []}


# ---------------------------------------------------------------- OA insight (datacube)


def test_a_recorded_oa_insight_pull_uses_nothing_its_roles_lack(oa_account, sandbox, monkeypatch):
    """The daily pull of the OA's datacube statistics (the schedule's handler, twice: the re-run asks nothing), one
    API refused (its refusal recorded), then the figures over the admin API as JSON and CSV."""
    from chalice.test import Client

    from app import app
    from functions.oa_insight import oa_insight
    from local.sandbox import SandboxClient

    clock = _fixed_now(monkeypatch)
    sb = SandboxClient(sandbox.url)
    clock.now = sb.now()
    sb.fault("datacube/getupstreammsg", errcode=48001, platform="oa", times=1)
    a = oa_account.account_id
    recorder = Recorder(monkeypatch, "insight")
    with Client(app) as client:
        call = admin(client, key_for(a, "read-only"))
        assert scheduled(recorder, "OaInsight", oa_insight)["refused"] == 1
        assert scheduled(recorder, "OaInsight", oa_insight)["calls"] == 0
        with recorder.running("APIHandler"):
            r = call("GET", f"/accounts/{a}/insight/figures")
            assert r.status_code == 200 and r.json_body["refusals"][0]["errcode"] == 48001, r.body
            assert call("GET", f"/accounts/{a}/insight/figures.csv").status_code == 200
    assert any(t == "oa_insight" for _s, _op, t in recorder.of("OaInsight")), "the hook saw the pull"
    assert recorder.refused(["APIHandler", "OaInsight"]) == {"APIHandler": [], "OaInsight": []}


# ---------------------------------------------------------------- menus and followers


def drain(rec: Recorder, lid: str, queue: str, rounds: int = 20) -> int:
    """Deliver what waits on `queue` until nothing does (a step that queues its next step), as the function `lid`."""
    delivered = 0
    for _ in range(rounds):
        event = take_sqs_event(queue)
        if not event["Records"]:
            return delivered
        with rec.running(lid):
            out = _queue_worker(lid)(event, LambdaContext(lid))
        assert not (out or {}).get("batchItemFailures"), out
        delivered += len(event["Records"])
    raise AssertionError(f"{queue} still has messages after {rounds} rounds")


def test_a_recorded_menu_and_follower_sync_use_nothing_their_roles_lack(oa_account, sandbox, monkeypatch,
                                                                        fresh_callbacks):
    """An OA's menu over the admin API (a draft, published, a conditional menu, trymatch, a rollback, delete), a
    click on it through the callback route counted by the event worker (menu-stats), and a follower sync: started
    over the API, its pages run by the event worker from the events queue, then breakdowns and a profile."""
    from chalice.test import Client

    from app import app
    from local.sandbox import SandboxClient

    clock = _fixed_now(monkeypatch)
    sb = SandboxClient(sandbox.url)
    first = sb.oa_followers(oa_account.app_id, count=120, prefix="oR")["first_openid"]
    a = oa_account.account_id
    menu = {"name": "五月", "button": [{"type": "click", "name": "签到", "key": "SIGN_IN"},
                                     {"type": "view", "name": "商城", "url": "https://shop.example.com/"}]}
    recorder = Recorder(monkeypatch, "menus_followers")
    with Client(app) as client:
        call = admin(client, key_for(a, "operator"))
        with recorder.running("APIHandler"):
            draft = call("POST", f"/accounts/{a}/menu-drafts", menu)
            assert draft.status_code == 201, draft.body
            draft_id = draft.json_body["draft_id"]
            assert call("PUT", f"/accounts/{a}/menu-drafts/{draft_id}", {**menu, "name": "六月"}).status_code == 200
            assert call("GET", f"/accounts/{a}/menu-drafts").status_code == 200
            assert call("POST", f"/accounts/{a}/menu/publish", {"draft_id": draft_id}).json_body["version"] == 1
            assert call("GET", f"/accounts/{a}/menu/current").status_code == 200
            made = call("POST", f"/accounts/{a}/menu/conditionals", {
                "button": [{"type": "click", "name": "安卓专享", "key": "ANDROID"}],
                "matchrule": {"client_platform_type": "2"}})
            assert made.status_code == 201, made.body
            assert call("GET", f"/accounts/{a}/menu/conditionals").status_code == 200
            assert call("POST", f"/accounts/{a}/menu/trymatch", {"user_id": first}).status_code == 200
            assert call("DELETE", f"/accounts/{a}/menu/conditionals/{made.json_body['menuid']}").status_code == 200
            post_callback(client, "oa", oa_account, oa_xml(oa_account, clock.now, Event="CLICK", EventKey="SIGN_IN"),
                          openid=first)
        consume(recorder, "HandleEvents", "events")
        with recorder.running("APIHandler"):
            stats = call("GET", f"/accounts/{a}/menu-stats")
            assert stats.status_code == 200, stats.body
            assert call("GET", f"/accounts/{a}/menu/versions").status_code == 200
            assert call("POST", f"/accounts/{a}/menu/versions/1/rollback").status_code == 200
            assert call("DELETE", f"/accounts/{a}/menu").status_code == 200
            assert call("DELETE", f"/accounts/{a}/menu-drafts/{draft_id}").status_code in (200, 204)
            started = call("POST", f"/accounts/{a}/followers/sync")
            assert started.status_code == 202, started.body
        assert drain(recorder, "HandleEvents", "events") >= 1
        with recorder.running("APIHandler"):
            state = call("GET", f"/accounts/{a}/followers/sync").json_body
            assert state["phase"] == "done" and state["listed"] == 120, state
            assert call("GET", f"/accounts/{a}/followers/breakdown").json_body["total"] == 120
            assert call("GET", f"/accounts/{a}/followers/breakdown.csv").status_code == 200
            assert call("GET", f"/accounts/{a}/followers/{first}").status_code == 200
    assert any(t == "menu_stats" for _s, _op, t in recorder.of("HandleEvents")), "the hook saw the click counted"
    assert recorder.refused(["APIHandler", "HandleEvents"]) == {"APIHandler": [], "HandleEvents": []}


# ---------------------------------------------------------------- tags and customer groups


def test_recorded_tags_and_groups_use_nothing_their_roles_lack(wecom_account, sandbox, monkeypatch, fresh_callbacks):
    """WeCom corp tags over the admin API (create, rename, a group renamed, sync, delete); customer groups made by
    the change_external_chat callbacks (the event worker), then listed with members and sizes, flagged VIP; group
    welcome templates created, replaced and deleted."""
    from chalice.test import Client

    from app import app
    from local.sandbox import SandboxClient

    _fixed_now(monkeypatch)
    sb = SandboxClient(sandbox.url)
    corpid, a = wecom_account.app_id, wecom_account.account_id
    sb.wecom_staff(corpid, "zhangsan")
    chats = sb.wecom_groupchats(corpid, "zhangsan", count=2)["chat_ids"]
    recorder = Recorder(monkeypatch, "tags_groups")
    with Client(app) as client:
        call = admin(client, key_for(a, "operator"))
        with recorder.running("APIHandler"):
            made = call("POST", f"/accounts/{a}/tags", {"group_name": "会员等级", "tags": [{"name": "金卡"},
                                                                                       {"name": "银卡"}]})
            assert made.status_code == 201, made.body
            group = made.json_body
            tag = group["tags"][0]["tag_id"]
            assert call("GET", f"/accounts/{a}/tags").status_code == 200
            assert call("PATCH", f"/accounts/{a}/tags/{tag}", {"name": "白金"}).status_code == 200
            assert call("PATCH", f"/accounts/{a}/tag-groups/{group['group_id']}", {"name": "等级"}).status_code == 200
            assert call("POST", f"/accounts/{a}/tags/sync").status_code == 200
            assert call("DELETE", f"/accounts/{a}/tags/{tag}").status_code == 200
            assert call("DELETE", f"/accounts/{a}/tag-groups/{group['group_id']}").status_code == 200
            for n, fields in enumerate([{"ChangeType": "create"}, {"ChangeType": "update", "UpdateDetail": "add_member",
                                                                     "MemChangeList": ["wm-1"]}]):
                post_callback(client, "wecom", wecom_account, wecom_xml(
                    wecom_account, sb.now() + n, Event="change_external_chat", ChatId=chats[0], **fields))
        drain(recorder, "HandleEvents", "events")
        with recorder.running("APIHandler"):
            listed = call("GET", f"/accounts/{a}/groups")
            assert chats[0] in [g["chat_id"] for g in listed.json_body["items"]], listed.body
            assert call("GET", f"/accounts/{a}/groups/{chats[0]}").status_code == 200
            assert call("GET", f"/accounts/{a}/groups/{chats[0]}/members").status_code == 200
            assert call("GET", f"/accounts/{a}/groups/{chats[0]}/sizes").status_code == 200
            assert call("PUT", f"/accounts/{a}/groups/{chats[0]}/vip", {"vip": True}).status_code == 200
            body = {"name": "入群欢迎", "text": {"content": "欢迎 %NICKNAME%"}}
            made = call("POST", f"/accounts/{a}/group-welcome-templates", body)
            assert made.status_code == 201, made.body
            template = made.json_body["template_id"]
            assert call("GET", f"/accounts/{a}/group-welcome-templates").status_code == 200
            replaced = call("PUT", f"/accounts/{a}/group-welcome-templates/{template}", {**body, "name": "新人"})
            assert replaced.status_code == 200, replaced.body
            assert call("GET", f"/accounts/{a}/group-welcome-templates/{template}").status_code == 200
            assert call("DELETE", f"/accounts/{a}/group-welcome-templates/{template}").status_code in (200, 204)
    assert any(t == "customer_groups" for _s, _op, t in recorder.of("HandleEvents")), "the hook saw the groups"
    assert recorder.refused(["APIHandler", "HandleEvents"]) == {"APIHandler": [], "HandleEvents": []}
