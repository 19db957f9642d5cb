"""An Official Account's user tags through the admin API (chalice test client, moto, the OA sandbox speaking WeChat's
tag API): the catalogue read on first use, create / rename / delete at WeChat and in the store, names over 30 bytes
refused by us before WeChat, a taken name a 409 naming WeChat's errcode, the reserved tags kept, a tag a segment
names refused until forced and then flagged on the segment, and a WeCom corp pointed to its own tags."""

from __future__ import annotations

import json

import pytest

from local.sandbox import SandboxClient
from scrm.tenancy import Scope


def caller(account, role="operator"):
    from chalice.test import Client

    from app import app
    from scrm.services import admin_keys

    _, key = admin_keys.issue(Scope.system(account.account_id), account.account_id, role=role, name="oa tags")
    client = Client(app)

    def call(method, path, body=None):
        h = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        return getattr(client.http, method.lower())(f"/accounts/{account.account_id}{path}", headers=h,
                                                    body=None if body is None else json.dumps(body))
    return call


@pytest.fixture
def api(oa_account):
    return caller(oa_account)


def tag_names(api) -> dict[str, str]:
    return {t["tag_id"]: t["name"] for t in api("GET", "/oa-tags").json_body["items"]}


def test_create_rename_delete_through_wechat(api, oa_account, sandbox):
    sb = SandboxClient(sandbox.url)
    made = api("POST", "/oa-tags", {"name": "金卡会员"})
    assert made.status_code == 201, made.json_body
    gold = made.json_body["tag_id"]
    assert gold.isdigit() and made.json_body == {"tag_id": gold, "name": "金卡会员", "system": False}
    assert tag_names(api)[gold] == "金卡会员" and "金卡会员" in api("GET", "/oa-tags").body.decode("utf-8")
    assert sb.calls("tags/create", platform="oa")

    taken = api("POST", "/oa-tags", {"name": "金卡会员"})
    assert taken.status_code == 409 and "45157" in taken.json_body["error"]["message"]
    too_long = api("POST", "/oa-tags", {"name": "一二三四五六七八九十十"})  # 11 characters: 33 bytes
    assert too_long.status_code == 400 and too_long.json_body["error"]["field"] == "name"
    assert len(sb.calls("tags/create", platform="oa")) == 2  # the long name never reached WeChat

    renamed = api("PATCH", f"/oa-tags/{gold}", {"name": "钻石会员"})
    assert renamed.status_code == 200 and renamed.json_body["name"] == "钻石会员"
    assert api("PATCH", "/oa-tags/99999", {"name": "x"}).status_code == 404
    assert api("DELETE", f"/oa-tags/{gold}").json_body["tag_ids"] == [gold]
    assert gold not in tag_names(api)
    assert api("DELETE", f"/oa-tags/{gold}").status_code == 404
    synced = api("POST", "/oa-tags/sync").json_body
    assert synced["removed"] == 0 and gold not in tag_names(api)


def test_a_tag_a_segment_names_is_refused_until_forced_then_flagged(api, oa_account):
    tag = api("POST", "/oa-tags", {"name": "门店新客"}).json_body["tag_id"]
    seg = api("POST", "/segments/rules", {"name": "门店新客", "rule": {"field": "tag", "op": "has", "value": tag}})
    assert seg.status_code == 201, seg.json_body
    sid = seg.json_body["segment_id"]
    assert api("GET", f"/segments/rules/{sid}").json_body["flags"] == []
    refused = api("DELETE", f"/oa-tags/{tag}")
    assert refused.status_code == 409
    assert [r["id"] for r in refused.json_body["error"]["details"]["references"]] == [sid]
    assert tag in tag_names(api)
    assert api("DELETE", f"/oa-tags/{tag}", None).status_code == 409
    forced = api("DELETE", f"/oa-tags/{tag}?force=true")
    assert forced.status_code == 200 and forced.json_body["references"][0]["kind"] == "segment_rule"
    flags = api("GET", f"/segments/rules/{sid}").json_body["flags"]
    assert flags == [{"field": "rule", "problem": "tag_deleted", "value": tag}]


def test_wechats_reserved_tags_are_kept_and_a_viewer_only_reads(oa_account, sandbox):
    api = caller(oa_account)
    starred = api("POST", "/oa-tags", {"name": "星标"}).json_body["tag_id"]
    viewer = caller(oa_account, role="read-only")
    assert starred in {t["tag_id"] for t in viewer("GET", "/oa-tags").json_body["items"]}
    assert viewer("POST", "/oa-tags", {"name": "x"}).status_code == 403
    assert viewer("DELETE", f"/oa-tags/{starred}").status_code == 403
    listed = {t["tag_id"]: (t["name"], t["system"]) for t in api("GET", "/oa-tags").json_body["items"]}
    assert listed["2"] == ("星标组", True)  # every account has WeChat's reserved 星标组
    for refused in (api("PATCH", "/oa-tags/2", {"name": "x"}), api("DELETE", "/oa-tags/2")):
        assert refused.status_code == 400 and "reserved" in refused.json_body["error"]["message"]
    assert not SandboxClient(sandbox.url).calls("tags/update", platform="oa")  # refused before WeChat


def test_a_wecom_corp_is_pointed_to_its_corp_tags(wecom_account):
    answer = caller(wecom_account)("GET", "/oa-tags")
    assert answer.status_code == 400 and answer.json_body["error"]["field"] == "account_id"
    assert "/tags" in answer.json_body["error"]["message"]
