"""Segments through the queue and the admin API (chalice test client, moto): facts kept exactly once from callback
events under redelivery (duplicates in a batch, a lost idempotency record) and from a draw queued by the campaign
use case, a rule refused with every wrong condition's path, a preview reading the matches only, a saved segment
with its size, flags, CSV and RFM bands, and a push previewed to it."""

from __future__ import annotations

import csv
import io
import json

import pytest

from scrm import bootstrap
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
                              name="segments test")
    with Client(app) as client:
        def call(method, path, body=None, raw=False):
            h = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
            res = getattr(client.http, method.lower())(f"/accounts/{oa_account.account_id}{path}", headers=h,
                                                       body=None if body is None else json.dumps(body))
            if raw:
                return res.status_code, res.body.decode("utf-8")
            return res.status_code, json.loads(res.body) if res.body else None
        yield call


def sqs_event(*payloads):
    return {"Records": [{
        "messageId": f"m{i}", "receiptHandle": f"r{i}", "body": json.dumps(p), "attributes": {},
        "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:ap-east-1:123456789012:events", "awsRegion": "ap-east-1"}
        for i, p in enumerate(payloads)]}


def text(account_id, openid, t):
    event = {"ToUserName": "gh_test00000001", "FromUserName": openid, "CreateTime": str(int(t)), "MsgType": "text",
             "Content": "你好", "MsgId": str(int(t))}
    return {"account_id": account_id, "platform": "oa", "kind": "oa.text", "event": event,
            "dedupe_key": f"msg:{openid}:{int(t)}"}


def facts_of(account_id, openid):
    key = f"oa:{account_id}:{openid}"
    return bootstrap.segment_store().facts(Scope.system(account_id), account_id, account_id, [key]).get(key)


def test_message_facts_count_once_under_redelivery(aws, monkeypatch):
    monkeypatch.setattr(bootstrap.container(), "clock", Clock(NOW))
    a = "acct-seg"
    first, second = text(a, "o1", NOW), text(a, "o1", NOW + 5)
    assert events.process_batch(sqs_event(first, first, second)) == {"batchItemFailures": []}
    from scrm.aws import client
    from scrm.config import settings

    table = settings().table_name("idempotency")  # lost: a crash after the facts, before Powertools saved it
    for item in client("dynamodb").scan(TableName=table)["Items"]:
        client("dynamodb").delete_item(TableName=table, Key={"id": item["id"]})
    assert events.process_batch(sqs_event(first, second)) == {"batchItemFailures": []}
    f = facts_of(a, "o1")
    assert f["counts"] == {"messages": 2} and f["last_message"] == int(NOW + 5) and f["version"] == 2


def test_segments_through_the_api(api, oa_account, monkeypatch):
    a = oa_account.account_id
    queued = []
    bootstrap.container()._made["segment_events"] = queued.append  # the queue: delivered by hand below
    for i in range(30):
        events.apply(text(a, f"o{i:02d}", NOW - i * 86400))
    from scrm.services.segments import hand_off

    for i in range(3):
        hand_off.draw_made(a, "spring", {"draw_id": f"i#o{i:02d}#r1", "openid": f"o{i:02d}", "outcome": "win",
                                         "at": NOW})
    for message in queued + queued:  # each delivered twice
        events.apply(message)

    status, refused = api("POST", "/segments/preview", {"rule": {"any": [
        {"field": "wins", "op": "has", "value": 1}, {"field": "channel", "op": "has"}]}})
    assert status == 400
    assert [e["field"] for e in refused["error"]["details"]["errors"]] == ["rule.any[0].op", "rule.any[1].value"]

    rule = {"field": "wins", "op": "gte", "value": 1}
    status, found = api("POST", "/segments/preview", {"rule": rule, "sample": 2})
    assert status == 200 and found["count"] == 3 and len(found["sample"]) == 2 and found["items_read"] == 6
    status, seg = api("POST", "/segments/rules", {"name": "中奖的人", "rule": {"all": [
        rule, {"field": "channel", "op": "lacks", "value": "c-gone"}]}})
    assert status == 201 and seg["flags"] == [{"field": "rule.all[1]", "problem": "channel_deleted",
                                               "value": "c-gone"}]
    status, shown = api("GET", f"/segments/rules/{seg['segment_id']}")
    assert status == 200 and shown["size"] == 3 and shown["name"] == "中奖的人"
    status, listed = api("GET", "/segments/rules")
    assert [s["segment_id"] for s in listed["items"]] == ["vip", seg["segment_id"]]
    status, body = api("GET", f"/segments/rules/{seg['segment_id']}/export.csv", raw=True)
    rows = list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))
    assert status == 200 and sorted(r["identities"] for r in rows) == ["o00", "o01", "o02"]
    assert {r["wins"] for r in rows} == {"1"} and {r["messages"] for r in rows} == {"1"}

    status, bad = api("PUT", "/segments/rfm", {"recency_days": [30, 7, 90, 180], "frequency": [1, 2, 3, 4],
                                               "value": [1, 2, 3, 4]})
    assert status == 400 and bad["error"]["field"] == "recency_days"
    status, bands = api("PUT", "/segments/rfm", {"recency_days": [1, 2, 3, 4], "frequency": [1, 2, 3, 4],
                                                 "value": [1, 2, 3, 4], "weights": {"wins": 4}})
    assert status == 200 and api("GET", "/segments/rfm")[1] == bands
    m4 = {"rule": {"field": "rfm.m", "op": "gte", "value": 4}}
    assert api("POST", "/segments/preview", m4)[1]["count"] == 3  # one win is worth 4 now: M = 4
    assert api("GET", "/segments/rules/vip")[1]["size"] == 0  # two interactions each: F = 3 (needs 4)

    status, push = api("POST", "/pushes", {"content": {"type": "text", "text": "恭喜"}, "send_at":
                                           "2026-06-30T12:00:00", "audience": {"type": "segment",
                                                                               "segment_id": seg["segment_id"]}})
    assert status == 201, push
    status, previewed = api("POST", f"/pushes/{push['push_id']}/preview")
    assert status == 200 and previewed["audience"] == 3, previewed
    assert api("DELETE", f"/segments/rules/{seg['segment_id']}")[0] == 200
    assert api("GET", f"/segments/rules/{seg['segment_id']}")[0] == 404
