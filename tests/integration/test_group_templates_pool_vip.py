"""Customer groups beyond membership, over moto, the admin API and the WeChat sandbox:
- group welcome templates (入群欢迎语素材) created, read, replaced and deleted at WeCom (group_welcome_template/
  add|get|edit|del in WeCom's shapes), attached to a group code, a template in use refused deletion with a 409,
  bad input named by field;
- a group code's pool edited (added at the end, removed, a new cap) with update_join_way called only when the set
  of groups on the code changes; unknown, dismissed, taken groups and too many refused with nothing changed;
- a room WeCom auto-creates for a full code joins its pool once under 4x redelivery;
- a customer leaving a VIP group (flagged per group or per group code) is one loss alert to the group's owner
  under 4x redelivery, counted once."""

from __future__ import annotations

import json

import pytest

from local.sandbox import SandboxClient
from scrm import bootstrap
from scrm.services.channels import create_channel, get_channel
from scrm.tenancy import Scope
from tests.integration.app_secrets import give_app
from tests.integration.test_groups import deliver

UPDATE = "wecom:externalcontact/groupchat/update_join_way"


@pytest.fixture
def corp(wecom_account, sandbox):
    sb = SandboxClient(sandbox.url)
    now = sb.now()
    bootstrap.reset(clock=lambda: now)
    chats = sb.wecom_groupchats(wecom_account.app_id, "zhangsan", count=8)["chat_ids"]
    return wecom_account, sb, chats


@pytest.fixture
def api(corp):
    from chalice.test import Client

    from app import app
    from scrm.services import admin_keys

    account = corp[0]
    key = admin_keys.issue(Scope.system(account.account_id), account.account_id, role="admin", name="groups")[1]
    with Client(app) as client:
        def call(method, path, body=None):
            r = getattr(client.http, method.lower())(
                f"/accounts/{account.account_id}{path}", body=None if body is None else json.dumps(body),
                headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
            return r.status_code, r.json_body
        yield call


def test_templates_live_at_wecom_and_one_in_use_cannot_be_deleted(corp, api):
    account, sb, chats = corp
    body = {"name": "新人群欢迎", "text": {"content": "欢迎%NICKNAME%入群"},
            "link": {"title": "群规", "url": "https://example.com/rules", "desc": "先看群规"}}
    status, made = api("POST", "/group-welcome-templates", body)
    assert status == 201, made
    tid = made["template_id"]
    from scrm import accounts
    from scrm.gateway import gateway_for

    wx = gateway_for(accounts.get(account.account_id))
    assert wx.post("externalcontact/group_welcome_template/get", {"template_id": tid})["link"]["title"] == "群规"
    assert api("GET", "/group-welcome-templates")[1]["items"][0]["template_id"] == tid
    status, code = api("POST", "/channels", {"kind": "wecom_group", "name": "群码", "chat_ids": chats[:2],
                                             "welcome_template": tid})
    assert status == 201 and code["welcome_template"] == tid, code
    assert api("GET", f"/group-welcome-templates/{tid}")[1]["used_by"] == [code["channel_id"]]
    status, refused = api("DELETE", f"/group-welcome-templates/{tid}")
    assert status == 409 and code["channel_id"] in refused["error"]["message"]
    assert wx.post("externalcontact/group_welcome_template/get", {"template_id": tid})  # still at WeCom
    status, changed = api("PUT", f"/group-welcome-templates/{tid}", {**body, "text": {"content": "新版欢迎语"}})
    assert status == 200 and changed["text"] == {"content": "新版欢迎语"}
    assert wx.post("externalcontact/group_welcome_template/get", {"template_id": tid})["text"]["content"] == \
        "新版欢迎语"
    # an unknown template on a code is a 400 naming the field; the code keeps its template
    status, bad = api("PATCH", f"/channels/{code['channel_id']}", {"welcome_template": "msg-nope"})
    assert status == 400 and bad["error"]["field"] == "welcome_template"
    assert api("PATCH", f"/channels/{code['channel_id']}", {"welcome_template": None})[0] == 200
    assert api("GET", f"/group-welcome-templates/{tid}")[1]["used_by"] == []
    assert api("DELETE", f"/group-welcome-templates/{tid}") == (200, {"deleted": True, "template_id": tid})
    assert api("GET", f"/group-welcome-templates/{tid}")[0] == 404
    assert sb.call_counts("group_welcome_template/del") == {"wecom:externalcontact/group_welcome_template/del": 1}


@pytest.mark.parametrize("body, field", [
    ({"name": "x"}, "body"),
    ({"name": "x", "link": {"title": "t"}}, "link.url"),
    ({"name": "x", "text": {"content": "字" * 1001}}, "text.content"),
    ({"name": "x", "image": {"pic_url": "https://p/1"}, "link": {"title": "t", "url": "https://e/"}}, "link"),
    ({"name": "x", "miniprogram": {"title": "t", "pic_media_id": "m", "appid": "bad", "page": "/p"}},
     "miniprogram.appid"),
    ({"name": "x", "image": {}}, "image"),
])
def test_a_bad_template_is_refused_naming_the_field(corp, api, body, field):
    status, answer = api("POST", "/group-welcome-templates", body)
    assert status == 400 and answer["error"]["field"] == field, answer
    assert api("GET", "/group-welcome-templates")[1]["items"] == []
    assert corp[1].call_counts("group_welcome_template/add") == {}


def test_the_pool_changes_and_the_code_follows_only_when_its_groups_change(corp, api):
    account, sb, chats = corp
    status, code = api("POST", "/channels", {"kind": "wecom_group", "name": "群码", "chat_ids": chats[:2],
                                             "group_cap": 50})
    cid = code["channel_id"]
    sb.clear_calls()
    status, after = api("PATCH", f"/channels/{cid}/pool", {"add": chats[2:4]})
    assert status == 200 and after["chat_ids"] == chats[:4] and after["in_code"] == chats[:4], after
    assert sb.call_counts("update_join_way") == {UPDATE: 1}
    from scrm import accounts
    from scrm.gateway import gateway_for

    wx = gateway_for(accounts.get(account.account_id))
    way = wx.post("externalcontact/groupchat/get_join_way", {"config_id": code["config_id"]})["join_way"]
    assert way["chat_id_list"] == chats[:4]
    status, after = api("PATCH", f"/channels/{cid}/pool", {"group_cap": 80})  # same groups on the code
    assert status == 200 and after["group_cap"] == 80 and sb.call_counts("update_join_way") == {UPDATE: 1}
    status, after = api("PATCH", f"/channels/{cid}/pool", {"remove": [chats[0]]})
    assert status == 200 and after["in_code"] == chats[1:4] and sb.call_counts("update_join_way") == {UPDATE: 2}
    # the removed group is free for another code
    assert api("POST", "/channels", {"kind": "wecom_group", "name": "另一个", "chat_ids": [chats[0]]})[0] == 201


def test_bad_pool_changes_are_refused_and_nothing_is_lost(corp, api):
    account, sb, chats = corp
    cid = api("POST", "/channels", {"kind": "wecom_group", "name": "群码", "chat_ids": chats[:2]})[1]["channel_id"]
    api("POST", "/channels", {"kind": "wecom_group", "name": "别的码", "chat_ids": [chats[5]]})
    deliver(account, sb.wecom_group_action(account.app_id, "dismiss", chat_id=chats[6]))
    sb.clear_calls()
    cases = [({"add": ["wr-unknown"]}, 400, "add[0]"), ({"add": [chats[2], chats[6]]}, 400, "add[1]"),
             ({"add": [chats[5]]}, 409, None), ({"add": [f"wr{i:03d}" for i in range(99)]}, 400, "add"),
             ({"remove": [chats[4]]}, 400, "remove[0]"), ({"remove": chats[:2]}, 400, "remove"),
             ({"add": [chats[0]]}, 400, "add[0]"), ({}, 400, "body")]
    for body, status, field in cases:
        got, answer = api("PATCH", f"/channels/{cid}/pool", body)
        assert got == status and (field is None or answer["error"]["field"] == field), (body, answer)
    now = api("GET", f"/channels/{cid}")[1]
    assert now["chat_ids"] == chats[:2] and now["in_code"] == chats[:2]
    assert sb.call_counts("update_join_way") == {}
    # chats[2] was refused with chats[6]: it was not reserved and can still be added
    assert api("PATCH", f"/channels/{cid}/pool", {"add": [chats[2]]})[1]["chat_ids"] == chats[:3]


def test_a_room_wecom_auto_creates_joins_the_pool_once(corp, monkeypatch):
    from local.sandbox import wecom_groups

    account, sb, chats = corp
    scope = Scope.system(account.account_id)
    monkeypatch.setattr(wecom_groups, "GROUP_LIMIT", 2)  # the owner and one customer fill a group
    code = create_channel(scope, account.account_id, {"kind": "wecom_group", "name": "自动建群", "chat_ids": [chats[0]],
                                                      "auto_create_room": True, "room_base_name": "福利群",
                                                      "group_cap": 2})
    deliver(account, sb.wecom_group_action(account.app_id, "scan", config_id=code["config_id"],
                                           external_userid="wm-a1"), times=4)
    out = sb.wecom_group_action(account.app_id, "scan", config_id=code["config_id"], external_userid="wm-a2")
    room = out["chat_id"]
    assert room not in chats
    deliver(account, out, times=4)
    after = get_channel(scope, account.account_id, code["channel_id"])
    assert after["chat_ids"] == [chats[0], room] and after["chat_ids"].count(room) == 1
    assert room in after["in_code"]


def test_leaving_a_vip_group_is_one_alert_to_its_owner_under_4x_redelivery(corp, api, sandbox):
    account, sb, chats = corp
    give_app(account, sandbox.url, 1000002)  # the app the alerts go out as, with its own Secret
    sb.wecom_staff(account.app_id, "zhangsan", name="张三")
    assert api("PUT", "/loss-alerts/settings", {"enabled": True, "agentid": 1000002,
                                                 "events": ["del_follow_user", "vip_group_leave"]})[0] == 200
    code = api("POST", "/channels", {"kind": "wecom_group", "name": "VIP 群码", "chat_ids": chats[:1],
                                     "vip": True})[1]
    plain = api("POST", "/channels", {"kind": "wecom_group", "name": "普通群码", "chat_ids": chats[1:2]})[1]
    for c, ext in ((code, "wm-v1"), (plain, "wm-p1")):
        deliver(account, sb.wecom_group_action(account.app_id, "scan", config_id=c["config_id"],
                                               external_userid=ext))
    deliver(account, sb.wecom_group_action(account.app_id, "leave", chat_id=chats[0], userid="wm-v1"), times=4)
    deliver(account, sb.wecom_group_action(account.app_id, "leave", chat_id=chats[1], userid="wm-p1"), times=4)
    got = sb.wecom_app_messages(account.app_id)["messages"]
    assert len(got) == 1, got
    body = got[0]["body"]
    assert body["touser"] == "zhangsan" and body["agentid"] == 1000002
    text = body["text"]["content"]
    assert "wm-v1" in text and "退出了VIP客户群" in text and "来源渠道：VIP 群码" in text, text
    # a group flagged VIP on its own, the owner leaving is no alert, a customer leaving is
    status, flagged = api("PUT", f"/groups/{chats[1]}/vip", {"vip": True})
    assert status == 200 and flagged == {"chat_id": chats[1], "vip": True}
    assert api("GET", f"/groups/{chats[1]}")[1]["vip"] is True
    deliver(account, sb.wecom_group_action(account.app_id, "scan", config_id=plain["config_id"],
                                           external_userid="wm-p2"))
    deliver(account, sb.wecom_group_action(account.app_id, "leave", chat_id=chats[1], userid="wm-p2"), times=4)
    assert len(sb.wecom_app_messages(account.app_id)["messages"]) == 2
    assert api("GET", "/loss-alerts/counts")[1]["sent"] == 2
    assert api("PUT", "/groups/wr-nope/vip", {"vip": True})[0] == 404
    assert api("PUT", f"/groups/{chats[1]}/vip", {"vip": "yes"})[0] == 400


def test_the_cli_flags_vip_edits_the_pool_and_manages_templates(corp):
    from click.testing import CliRunner

    from app import app
    from scrm.services import admin_keys
    from scrm_cli.main import cli
    from tests.integration.admin_helpers import served

    account, sb, chats = corp
    a = account.account_id
    key = admin_keys.issue(Scope.system(a), a, role="admin", name="cli")[1]
    code = create_channel(Scope.system(a), a, {"kind": "wecom_group", "name": "群码", "chat_ids": chats[:1]})
    deliver(account, sb.wecom_group_action(account.app_id, "scan", config_id=code["config_id"],
                                           external_userid="wm-c1"))
    with served(app) as url:
        def run(*args):
            result = CliRunner().invoke(cli, ["--url", url, "--key", key, *args], catch_exceptions=False)
            assert result.exit_code == 0, result.output
            return result.stdout

        assert json.loads(run("groups", "vip", a, chats[0], "--json")) == {"chat_id": chats[0], "vip": True}
        pooled = json.loads(run("groups", "pool", a, code["channel_id"], "--add", chats[1], "--json"))
        assert pooled["chat_ids"] == chats[:2]
        made = json.loads(run("groups", "templates", "create", a, "--name", "欢迎", "--text", "欢迎入群", "--json"))
        assert made["text"] == {"content": "欢迎入群"}
        assert made["template_id"] in run("groups", "templates", "list", a)
        assert json.loads(run("groups", "templates", "delete", a, made["template_id"], "--json"))["deleted"]


def test_the_cli_manages_group_tags_and_tags_a_group(corp):
    from click.testing import CliRunner

    from app import app
    from scrm.services import admin_keys
    from scrm_cli.main import cli
    from tests.integration.admin_helpers import served

    account, sb, chats = corp
    a = account.account_id
    key = admin_keys.issue(Scope.system(a), a, role="admin", name="cli")[1]
    code = create_channel(Scope.system(a), a, {"kind": "wecom_group", "name": "标签群码", "chat_ids": chats[:1]})
    deliver(account, sb.wecom_group_action(account.app_id, "scan", config_id=code["config_id"],
                                           external_userid="wm-t1"))  # the group is known once someone joins
    with served(app) as url:
        def run(*args, code=0):
            result = CliRunner().invoke(cli, ["--url", url, "--key", key, *args], catch_exceptions=False)
            assert result.exit_code == code, result.output
            return result.stdout

        made = json.loads(run("groups", "tags", "create", a, "--name", "高活跃", "--json"))
        assert made["name"] == "高活跃" and not made["deleted"]
        assert "高活跃" in run("groups", "tags", "list", a)
        tagged = json.loads(run("groups", "tag", a, chats[0], "--tag", made["tag_id"], "--json"))
        assert [t["tag_id"] for t in tagged["tags"]] == [made["tag_id"]]
        run("groups", "tag", a, chats[0], "--tag", "no-such-tag", code=1)  # the API's refusal, named
        assert json.loads(run("groups", "tags", "delete", a, made["tag_id"], "--json"))["deleted"]
        listed = json.loads(run("groups", "tags", "list", a, "--json"))
        assert [t["deleted"] for t in listed if t["tag_id"] == made["tag_id"]] == [True]
        assert json.loads(run("groups", "tag", a, chats[0], "--json"))["tags"] == []
