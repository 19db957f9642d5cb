"""API answers are readable as they are: Chinese is UTF-8 on the wire (not `\\uXXXX`), the JSON media type says
its charset, and CSV documents start with the UTF-8 BOM Excel on Windows needs."""

from __future__ import annotations

import csv
import io
import json
import time

import pytest

from scrm.services import channels
from scrm.tenancy import Scope

NAME = "门店导购"


@pytest.fixture
def api(oa_account):
    from chalice.test import Client

    from app import app
    from scrm.services import admin_keys

    channels.forget_cache()
    _, key = admin_keys.issue(Scope.system(oa_account.account_id), oa_account.account_id, role="operator",
                              name="readable answers test")
    with Client(app) as client:
        def call(method, path, body=None):
            h = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
            return getattr(client.http, method.lower())(
                f"/accounts/{oa_account.account_id}{path}", headers=h,
                body=None if body is None else json.dumps(body))
        yield call


def test_json_answer_carries_chinese_unescaped(api):
    r = api("POST", "/channels", {"kind": "oa_qr", "name": NAME, "group": "stores"})
    assert r.status_code == 201, r.body
    assert r.headers["Content-Type"] == "application/json; charset=utf-8"
    assert NAME.encode("utf-8") in r.body and b"\\u95e8" not in r.body
    listed = api("GET", "/channels")
    assert NAME.encode("utf-8") in listed.body and listed.headers["Content-Type"] == "application/json; charset=utf-8"


def test_error_answer_carries_chinese_unescaped(api):
    r = api("GET", "/channels/无此渠道")
    assert r.status_code == 404 and r.headers["Content-Type"] == "application/json; charset=utf-8"
    assert b"\\u" not in r.body


def test_csv_starts_with_bom_and_round_trips_chinese(api, oa_account):
    from scrm.services import events

    ch = api("POST", "/channels", {"kind": "oa_qr", "name": NAME, "group": "stores"}).json_body
    events.apply({"account_id": oa_account.account_id, "platform": "oa", "kind": "oa.subscribe", "dedupe_key": "k1",
                  "event": {"FromUserName": "o-a", "CreateTime": int(time.time()), "Event": "subscribe",
                            "EventKey": f"qrscene_{ch['scene']}"}})
    r = api("GET", "/channel-stats.csv")
    assert r.status_code == 200 and r.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert r.body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(r.body.decode("utf-8-sig"))))
    assert list(rows[0])[:4] == ["day", "channel_id", "name", "group"]  # English field names, stable
    assert NAME in {row["name"] for row in rows}


def test_gateway_answer_rewrite_is_unescaped_utf8():
    from functions.gateway_answers import reshape

    out = reshape({"statusCode": 415, "headers": {},
                   "body": json.dumps({"Code": "UnsupportedMediaType", "Message": "不支持 text/plain"})})
    assert out["headers"]["Content-Type"] == "application/json; charset=utf-8"
    assert "不支持" in out["body"]
