"""Follower profiles over moto and the WeChat sandbox: the admin API starts a sync (operator, audited), the real
queue carries its steps to the event worker's real path (events.process_batch: idempotency, then the step), the
gateway reads user/get and user/info/batchget in WeChat's shape, and the breakdowns (JSON, CSV with a BOM) and a
profile are read back; a step redelivered after a crash writes nothing twice; the sandbox's documented errors."""

from __future__ import annotations

import json

import pytest

from local.sandbox import SandboxClient
from scrm import bootstrap
from scrm.errors import WeChatError
from scrm.services import events
from scrm.tenancy import Scope
from tests.timing import Clock

NOW = 1_780_000_000.0


@pytest.fixture
def api(oa_account, monkeypatch):
    from chalice.test import Client

    from app import app
    from scrm.services import admin_keys

    monkeypatch.setattr(bootstrap.container(), "clock", Clock(NOW))
    _, key = admin_keys.issue(Scope.system(oa_account.account_id), oa_account.account_id, role="operator",
                              name="followers test")
    with Client(app) as client:
        def call(method, path, body=None):
            h = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
            res = getattr(client.http, method.lower())(f"/accounts/{oa_account.account_id}{path}", headers=h,
                                                       body=None if body is None else json.dumps(body))
            if {k.lower(): v for k, v in res.headers.items()}.get("content-type", "").startswith("text/csv"):
                return res.status_code, res.body
            return res.status_code, json.loads(res.body) if res.body else None
        yield call


def sqs_event(*payloads):
    return {"Records": [{
        "messageId": f"m{i}", "receiptHandle": f"r{i}", "body": json.dumps(p), "attributes": {},
        "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:ap-east-1:123456789012:events", "awsRegion": "ap-east-1"}
        for i, p in enumerate(payloads)]}


def queued():
    from scrm.aws import client as aws_client
    from scrm.queues import queue_url

    sqs, out = aws_client("sqs"), []
    while True:
        msgs = sqs.receive_message(QueueUrl=queue_url("events"), MaxNumberOfMessages=10).get("Messages", [])
        if not msgs:
            return out
        for m in msgs:
            out.append(json.loads(m["Body"]))
            sqs.delete_message(QueueUrl=queue_url("events"), ReceiptHandle=m["ReceiptHandle"])


def run_worker(limit=50) -> list[dict]:
    done = []
    while limit:
        msgs = queued()
        if not msgs:
            return done
        assert events.process_batch(sqs_event(*msgs)) == {"batchItemFailures": []}
        done += msgs
        limit -= 1
    return done


def arrange(sandbox, oa_account, n=250):
    sb = SandboxClient(sandbox.url)
    made = sb.oa_followers(oa_account.app_id, count=n, prefix="oF")
    first = made["first_openid"]
    from scrm.gateway import gateway_for

    tag = gateway_for(oa_account).post("tags/create", {"tag": {"name": "门店会员"}})["tag"]["id"]
    sb.oa_followers(oa_account.app_id, profiles={first: {"language": "en", "subscribe_scene": "ADD_SCENE_SEARCH",
                                                         "tagid_list": [tag], "remark": "老客户"}})
    return sb, first


def test_sync_through_the_queue_then_breakdowns_and_a_profile(api, sandbox, oa_account):
    sb, first = arrange(sandbox, oa_account)
    status, started = api("POST", "/followers/sync")
    assert status == 202 and started["phase"] == "list"
    assert api("POST", "/followers/sync")[0] == 409
    run_worker()
    status, state = api("GET", "/followers/sync")
    assert state["phase"] == "done" and state["listed"] == 250
    assert state["calls"] == {"user/get": 1, "user/info/batchget": 3}
    assert len(sb.calls("user/info/batchget")) == 3 and len(sb.calls("user/get")) == 1
    status, b = api("GET", "/followers/breakdown")
    assert status == 200 and b["total"] == 250
    assert {r["language"]: r["count"] for r in b["by_language"]} == {"zh_CN": 249, "en": 1}
    assert [(r["name"], r["count"]) for r in b["by_tag"]] == [("门店会员", 1)]
    assert "2021" in b["notes"]["zh"] and "nickname" in b["notes"]["en"]
    status, text = api("GET", "/followers/breakdown.csv")
    assert status == 200 and text.decode("utf-8").startswith("\ufeffdimension,value,name,count")
    status, p = api("GET", f"/followers/{first}")
    assert status == 200 and p["remark"] == "老客户" and p["subscribe_scene"] == "ADD_SCENE_SEARCH"
    assert api("GET", "/followers/nobody")[0] == 404


def test_a_redelivered_step_and_an_unfollow_count_once(api, sandbox, oa_account):
    sb, first = arrange(sandbox, oa_account, n=30)
    api("POST", "/followers/sync")
    step0 = queued()
    events.process_batch(sqs_event(*step0))
    step1 = queued()
    # step 0 again under a new message id (a lost idempotency record): it only queues step 1 again
    assert events.process_batch(sqs_event({**step0[0], "dedupe_key": step0[0]["dedupe_key"] + "-again"})) == {
        "batchItemFailures": []}
    events.process_batch(sqs_event(*step1, *queued()))
    run_worker()
    assert api("GET", "/followers/breakdown")[1]["total"] == 30
    unfollow = {"account_id": oa_account.account_id, "platform": "oa", "kind": "oa.unsubscribe",
                "dedupe_key": f"evt:{first}|{int(NOW) + 5}|unsubscribe",
                "event": {"FromUserName": first, "Event": "unsubscribe", "CreateTime": str(int(NOW) + 5),
                          "MsgType": "event"}}
    events.process_batch(sqs_event(unfollow, {**unfollow, "dedupe_key": unfollow["dedupe_key"] + "x"}))
    assert api("GET", "/followers/breakdown")[1]["total"] == 29
    assert api("GET", f"/followers/{first}")[1]["subscribe"] is False


def test_the_sandbox_answers_batchget_and_user_get_as_documented(oa_account, sandbox):
    from scrm.gateway import gateway_for

    sb = SandboxClient(sandbox.url)
    made = sb.oa_followers(oa_account.app_id, count=3, prefix="oG")
    gw = gateway_for(oa_account)
    page = gw.followers_page()
    assert page["count"] == 3 and page["next_openid"] == made["last_openid"] and page["total"] == 3
    assert gw.followers_page(made["last_openid"]) == {"total": 3, "count": 0, "next_openid": ""}
    infos = gw.follower_infos([made["first_openid"]])
    assert infos[0]["subscribe"] == 1 and "nickname" not in infos[0] and "headimgurl" not in infos[0]
    with pytest.raises(WeChatError) as bad:
        gw.post("user/info/batchget", {"user_list": [{"openid": f"o{i}"} for i in range(101)]})
    assert bad.value.errcode == 40032
    with pytest.raises(WeChatError) as bad:
        gw.follower_infos([made["first_openid"], "x" * 70])
    assert bad.value.errcode == 40003
    with pytest.raises(ValueError):
        gw.follower_infos([])
