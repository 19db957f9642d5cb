"""The admin API's edge check of push and segment bodies reads the account's real platform (issue 16): a WeCom
account creates WeCom pushes (content type wecom, staff audiences, corp tag ids as strings) and segments over HTTP,
and an OA account still gets its OA refusals, every wrong field reported at once."""

from __future__ import annotations

import json

import pytest

from local.sandbox import SandboxClient
from scrm.services import channels
from scrm.tenancy import Scope

SEND_AT = "2099-01-01T09:00:00+08:00"


def _client(account):
    from chalice.test import Client

    from app import app
    from scrm.services import admin_keys

    channels.forget_cache()
    _, key = admin_keys.issue(Scope.system(account.account_id), account.account_id, role="operator", name="t")
    client = Client(app)

    def call(method, path, body=None):
        h = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        return getattr(client.http, method.lower())(f"/accounts/{account.account_id}{path}", headers=h,
                                                    body=None if body is None else json.dumps(body))
    return call


@pytest.fixture
def wecom_api(wecom_account):
    return _client(wecom_account)


@pytest.fixture
def oa_api(oa_account):
    return _client(oa_account)


def test_a_wecom_account_creates_wecom_pushes_and_segments_over_the_api(wecom_api, wecom_account, sandbox):
    sb = SandboxClient(sandbox.url)
    for u in ("alice", "bob"):
        sb.wecom_staff(wecom_account.app_id, u)
    group = wecom_api("POST", "/tags", {"group_name": "来源", "tags": [{"name": "展会"}]}).json_body
    fair = group["tags"][0]["tag_id"]
    content = {"type": "wecom", "text": "新品到店", "attachments": [
        {"msgtype": "link", "link": {"title": "新品", "url": "https://example.com/new"}}]}
    staff = wecom_api("POST", "/pushes", {"content": content, "audience": {"type": "staff", "userids": ["alice"]},
                                          "send_at": SEND_AT})
    assert staff.status_code == 201, staff.json_body
    assert staff.json_body["platform"] == "wecom" and staff.json_body["content"]["type"] == "wecom"
    tagged = wecom_api("POST", "/pushes", {"content": content, "audience": {"type": "tags", "tag_ids": [fair]},
                                           "send_at": SEND_AT})
    assert tagged.status_code == 201, tagged.json_body
    assert tagged.json_body["audience"]["tag_ids"] == [fair]
    seg = wecom_api("POST", "/segments", {"name": "展会客户", "audience": {"type": "tags", "tag_ids": [fair]}})
    assert seg.status_code == 201, seg.json_body
    groups = wecom_api("POST", "/pushes", {"content": content, "audience": {"type": "groups", "owners": ["alice"]},
                                           "send_at": SEND_AT})
    assert groups.status_code == 201, groups.json_body
    assert groups.json_body["audience"] == {"type": "groups", "owners": ["alice"]}
    empty = wecom_api("POST", f"/pushes/{groups.json_body['push_id']}/preview")
    assert empty.status_code == 400 and empty.json_body["error"]["field"] == "audience"  # alice owns no group yet
    seg2 = wecom_api("POST", "/segments", {"name": "alice 的客户", "audience": {"type": "staff", "userids": ["alice"]}})
    assert seg2.status_code == 201, seg2.json_body


def test_a_wecom_account_is_refused_oa_content_with_every_field(wecom_api):
    r = wecom_api("POST", "/pushes", {"content": {"type": "text", "text": "hi"},
                                      "audience": {"type": "staff", "userids": []}, "send_at": SEND_AT})
    assert r.status_code == 400
    fields = {e["field"] for e in r.json_body["error"]["details"]["errors"]}
    assert {"content.type", "audience.userids"} <= fields


def test_an_oa_account_still_gets_its_oa_refusals_all_at_once(oa_api):
    r = oa_api("POST", "/pushes", {"content": {"type": "wecom", "text": "hi"},
                                   "audience": {"type": "tags", "tag_ids": ["et-1"]}, "send_at": SEND_AT})
    assert r.status_code == 400
    errs = {e["field"]: e["message"] for e in r.json_body["error"]["details"]["errors"]}
    assert "content.type" in errs and "WeCom" in errs["content.type"]
    assert "audience.tag_ids" in errs and "integers" in errs["audience.tag_ids"]
    staff = oa_api("POST", "/pushes", {"content": {"type": "text", "text": "hi"},
                                       "audience": {"type": "staff", "userids": ["alice"]}, "send_at": SEND_AT})
    assert staff.status_code == 400 and staff.json_body["error"]["field"] == "audience.type"
    seg = oa_api("POST", "/segments", {"name": "x", "audience": {"type": "staff", "userids": ["alice"]}})
    assert seg.status_code == 400 and seg.json_body["error"]["field"] == "audience.type"
    groups = oa_api("POST", "/pushes", {"content": {"type": "text", "text": "hi"},
                                        "audience": {"type": "groups", "chat_ids": ["wr1"]}, "send_at": SEND_AT})
    assert groups.status_code == 400 and groups.json_body["error"]["field"] == "audience.type"
    ok = oa_api("POST", "/pushes", {"content": {"type": "text", "text": "hi"},
                                    "audience": {"type": "tags", "tag_ids": [2]}, "send_at": SEND_AT})
    assert ok.status_code == 201, ok.json_body
