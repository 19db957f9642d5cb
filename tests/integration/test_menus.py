"""Custom menus through the admin API (chalice test client, moto, the WeChat sandbox): drafts refused with the
field named before WeChat sees them, one menu/create for a draft published twice, rollback republishing an
earlier version exactly, delete, conditional menus; clicks counted exactly once under redelivery (the queue's,
a lost idempotency record, concurrent deliveries) and reported with the menu's names."""

from __future__ import annotations

import json
import threading

import pytest

from local.sandbox import SandboxClient
from scrm import bootstrap
from scrm.errors import WeChatError
from scrm.services import events
from scrm.services.menus import clicks
from scrm.tenancy import Scope
from tests.timing import Clock

NOW = 1_780_000_000.0  # 2026-05-29 04:26:40 +08:00
DAY = "2026-05-29"
MENU = {"name": "五月", "button": [
    {"type": "click", "name": "签到", "key": "SIGN_IN"},
    {"name": "会员", "sub_button": [{"type": "click", "name": "积分", "key": "POINTS"},
                                   {"type": "view", "name": "商城", "url": "https://shop.example.com/"}]}]}


@pytest.fixture
def api(oa_account, monkeypatch):
    from chalice.test import Client

    from app import app
    from scrm.services import admin_keys

    monkeypatch.setattr(bootstrap.container(), "clock", Clock(NOW))
    _, key = admin_keys.issue(Scope.system(oa_account.account_id), oa_account.account_id, role="operator",
                              name="menus test")
    with Client(app) as client:
        def call(method, path, body=None):
            h = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
            res = getattr(client.http, method.lower())(f"/accounts/{oa_account.account_id}{path}", headers=h,
                                                       body=None if body is None else json.dumps(body))
            return res.status_code, json.loads(res.body) if res.body else None
        yield call


def test_a_menu_wechat_would_refuse_is_refused_first_naming_the_field(api, sandbox):
    bad = {"button": [{"type": "view", "name": "一二三四五六", "url": "ftp://x"},
                      {"name": "会员", "sub_button": [{"type": "click", "name": "a"}]}]}
    status, body = api("POST", "/menu-drafts", bad)
    assert status == 400
    fields = [e["field"] for e in body["error"]["details"]["errors"]]
    assert fields == ["button[0].name", "button[0].url", "button[1].sub_button[0].key"]
    assert SandboxClient(sandbox.url).calls("menu/") == []


def test_publish_twice_is_one_menu_create_and_rollback_is_exact(api, sandbox, oa_account):
    status, draft = api("POST", "/menu-drafts", MENU)
    assert status == 201 and draft["name"] == "五月"
    status, first = api("POST", "/menu/publish", {"draft_id": draft["draft_id"]})
    assert (status, first["version"], first["unchanged"]) == (200, 1, False)
    status, again = api("POST", "/menu/publish", {"draft_id": draft["draft_id"]})
    assert (again["version"], again["unchanged"]) == (1, True)
    assert len(SandboxClient(sandbox.url).calls("menu/create")) == 1
    status, current = api("GET", "/menu/current")
    assert status == 200 and current["matches_published"] is True and current["wechat"]["is_menu_open"] == 1
    assert current["wechat"]["selfmenu_info"]["button"][1]["sub_button"]["list"][0]["key"] == "POINTS"

    _, other = api("POST", "/menu-drafts", {"button": [{"type": "click", "name": "新品", "key": "NEW"}]})
    assert api("POST", "/menu/publish", {"draft_id": other["draft_id"]})[1]["version"] == 2
    status, back = api("POST", "/menu/versions/1/rollback")
    assert (status, back["version"], back["unchanged"]) == (200, 3, False)
    _, v1 = api("GET", "/menu/versions/1")
    _, v3 = api("GET", "/menu/versions/3")
    assert v3["button"] == v1["button"] and v3["rollback_of"] == 1 and v3["digest"] == v1["digest"]
    sent = SandboxClient(sandbox.url).calls("menu/create")[-1]["body"]
    assert sent["button"] == v1["button"]
    _, listed = api("GET", "/menu/versions?limit=2")
    assert [v["version"] for v in listed["items"]] == [3, 2] and listed["next_cursor"]
    _, rest = api("GET", f"/menu/versions?limit=2&cursor={listed['next_cursor']}")
    assert [v["version"] for v in rest["items"]] == [1] and rest["next_cursor"] is None
    assert api("POST", "/menu/versions/9/rollback")[0] == 404
    assert api("POST", "/menu/versions/x/rollback")[0] == 400


def test_conditional_menus_and_delete(api, sandbox, oa_account):
    sb = SandboxClient(sandbox.url)
    conditional = {"button": [{"type": "click", "name": "安卓专享", "key": "ANDROID"}],
                   "matchrule": {"client_platform_type": "2"}}
    status, body = api("POST", "/menu/conditionals", conditional)
    assert status == 409 and "65303" in body["error"]["message"]
    _, draft = api("POST", "/menu-drafts", MENU)
    api("POST", "/menu/publish", {"draft_id": draft["draft_id"]})
    status, made = api("POST", "/menu/conditionals", conditional)
    assert status == 201 and made["menuid"].isdigit()
    status, body = api("POST", "/menu/conditionals", {**conditional, "matchrule": {"language": "zh_CN"}})
    assert status == 400 and body["error"]["field"] == "matchrule.language"
    sb.oa_followers(oa_account.app_id, openids=["o-menu-1"])
    status, seen = api("POST", "/menu/trymatch", {"user_id": "o-menu-1"})
    assert status == 200 and seen["button"][0]["key"] == "SIGN_IN"  # a platform-3 follower: the default menu
    assert api("POST", "/menu/trymatch", {"user_id": "o-nobody"})[0] == 404
    assert [c["menuid"] for c in api("GET", "/menu/conditionals")[1]["items"]] == [made["menuid"]]
    assert api("DELETE", f"/menu/conditionals/{made['menuid']}") == (200, {"deleted": made["menuid"]})
    assert api("DELETE", f"/menu/conditionals/{made['menuid']}")[0] == 404  # WeChat's 65301, ours gone too
    assert api("DELETE", "/menu") == (200, {"deleted": "menu"})
    _, current = api("GET", "/menu/current")
    assert current["published"] is None and current["wechat"]["is_menu_open"] == 0
    assert current["matches_published"] is True
    assert api("POST", "/menu/versions/1/rollback")[1]["version"] == 2  # versions outlive the delete


def test_the_sandbox_answers_wechats_errcodes(oa_account):
    from scrm.gateway import gateway_for

    gw = gateway_for(oa_account)
    cases = [([{"type": "click", "name": f"b{i}", "key": "k"} for i in range(4)], 40016),
             ([{"type": "nope", "name": "a"}], 40017),
             ([{"type": "click", "name": "一二三四五六", "key": "k"}], 40018),
             ([{"type": "click", "name": "a", "key": "k" * 129}], 40019),
             ([{"name": "a", "sub_button": [{"type": "click", "name": "s", "key": "k"}] * 6}], 40023),
             ([{"name": "a"}], 65308)]
    for buttons, errcode in cases:
        with pytest.raises(WeChatError) as refused:
            gw.create_menu(buttons)
        assert refused.value.errcode == errcode, buttons
    with pytest.raises(WeChatError) as refused:
        gw.delete_conditional_menu("123")
    assert refused.value.errcode == 65301


def sqs_event(*payloads):
    return {"Records": [{
        "messageId": f"m{i}", "receiptHandle": f"r{i}", "body": json.dumps(p), "attributes": {},
        "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:ap-east-1:123456789012:events", "awsRegion": "ap-east-1"}
        for i, p in enumerate(payloads)]}


def click(account_id, openid, key, t):
    event = {"ToUserName": "gh_test00000001", "FromUserName": openid, "CreateTime": str(int(t)),
             "MsgType": "event", "Event": "CLICK", "EventKey": key}
    return {"account_id": account_id, "platform": "oa", "kind": "oa.click", "event": event,
            "dedupe_key": f"evt:{openid}|{int(t)}|CLICK|{key}"}


def clicks_of(account_id, key):
    counts, _ = bootstrap.menu_store().read_counts(Scope.system(account_id), account_id, DAY, DAY)
    return counts.get((f"click:{key}", DAY), {"clicks": 0, "users": 0})


def test_clicks_count_exactly_once_under_redelivery(aws, monkeypatch):
    monkeypatch.setattr(bootstrap.container(), "clock", Clock(NOW))
    a = "acct-menu"
    first, second, third = (click(a, "o1", "SIGN_IN", NOW), click(a, "o1", "SIGN_IN", NOW + 1),
                            click(a, "o2", "SIGN_IN", NOW + 2))
    # the queue redelivers: duplicates in one batch, and again later
    assert events.process_batch(sqs_event(first, first, second)) == {"batchItemFailures": []}
    assert events.process_batch(sqs_event(first, second)) == {"batchItemFailures": []}
    # the idempotency record is lost (a crash after the count, before Powertools saved it): the marker holds
    from scrm.aws import client
    from scrm.config import settings

    table = settings().table_name("idempotency")
    for item in client("dynamodb").scan(TableName=table)["Items"]:
        client("dynamodb").delete_item(TableName=table, Key={"id": item["id"]})
    assert events.process_batch(sqs_event(first, second)) == {"batchItemFailures": []}
    # concurrent deliveries of one new event
    threads = [threading.Thread(target=lambda: events.process_batch(sqs_event(third))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert events.process_batch(sqs_event(third)) == {"batchItemFailures": []}  # every delivery has finished
    assert clicks.count_event(third) == {"counted": "duplicate"}
    assert clicks_of(a, "SIGN_IN") == {"clicks": 3, "users": 2, "label": "SIGN_IN"}


def test_menu_stats_through_the_api(api, oa_account):
    _, draft = api("POST", "/menu-drafts", MENU)
    api("POST", "/menu/publish", {"draft_id": draft["draft_id"]})
    a = oa_account.account_id
    for i, who in enumerate(("o1", "o2", "o1")):
        events.apply(click(a, who, "POINTS", NOW + i))
    status, report = api("GET", f"/menu-stats?from={DAY}&to={DAY}")
    assert status == 200
    assert [(e["name"], e["clicks"], e["user_days"]) for e in report["entries"]] == [("会员/积分", 3, 2)]
    assert [u["name"] for u in report["unused"]] == ["签到", "会员/商城"]
    assert api("GET", "/menu-stats?from=2026-01-01&to=2026-05-29")[0] == 400
