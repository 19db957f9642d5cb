"""End to end over HTTP: a group code (wecom_group channel) created through the admin API over groups the sandbox
holds, customers scanning it through the sandbox until the code rotates, its chat ids changed, the joins in the
channel statistics and the group's members and size through the groups API."""

import pytest

from local.seed import DEMO_ALERTS_AGENTID

pytestmark = pytest.mark.e2e


def test_group_code_rotates_and_counts_joins(stack):
    admin, api = stack.admin("demo-wecom"), f"{stack.api}/accounts/demo-wecom"
    corpid = stack.info["demo WeCom corpid"]
    chats = stack.sandbox.wecom_groupchats(corpid, "e2e-owner", count=7)["chat_ids"]
    res = admin.post(f"{api}/channels", json={"kind": "wecom_group", "name": "E2E 群码", "group": "groups",
                                              "chat_ids": chats, "group_cap": 3}, timeout=10)
    assert res.status_code == 201, res.text
    ch = res.json()
    assert ch["in_code"] == chats[:5] and ch["config_id"]
    for i in range(4):  # the owner is in each group: 2 customers bring one to the cap of 3
        out = stack.sandbox.wecom_group_action(corpid, "scan", config_id=ch["config_id"],
                                               external_userid=f"wm-e2e-g{i}")
        assert out["status"] == 200, out
        assert stack.drain()
    after = admin.get(f"{api}/channels/{ch['channel_id']}", timeout=10).json()
    assert after["in_code"] == chats[2:7]
    # this code's updates only: the stack is shared, and other tests' codes update their own join ways
    updates = [c for c in stack.sandbox.calls("groupchat/update_join_way", platform="wecom")
               if (c.get("body") or {}).get("config_id") == ch["config_id"]]
    assert len(updates) == 2
    stats = admin.get(f"{api}/channel-stats", params={"channel_id": ch["channel_id"]}, timeout=10).json()
    [row] = stats["channels"]
    assert row["group_joins"] == 4 and row["joins"] == 4
    group = admin.get(f"{api}/groups/{chats[0]}", timeout=10).json()
    assert group["size"] == 3 and group["owner"] == "e2e-owner"
    members = admin.get(f"{api}/groups/{chats[0]}/members", timeout=10).json()["items"]
    assert {m["userid"] for m in members if m["channel_id"] == ch["channel_id"]} == {"wm-e2e-g0", "wm-e2e-g1"}


def test_templates_pool_and_a_vip_leave_over_http(stack):
    admin, api = stack.admin("demo-wecom"), f"{stack.api}/accounts/demo-wecom"
    corpid = stack.info["demo WeCom corpid"]
    chats = stack.sandbox.wecom_groupchats(corpid, "e2e-vip-owner", count=3)["chat_ids"]
    stack.sandbox.wecom_staff(corpid, "e2e-vip-owner")
    res = admin.post(f"{api}/group-welcome-templates", json={"name": "E2E 欢迎", "text": {"content": "欢迎%NICKNAME%"}},
                     timeout=10)
    assert res.status_code == 201, res.text
    tid = res.json()["template_id"]
    res = admin.post(f"{api}/channels", json={"kind": "wecom_group", "name": "E2E VIP 群码", "chat_ids": chats[:1],
                                              "vip": True, "welcome_template": tid}, timeout=10)
    assert res.status_code == 201, res.text
    ch = res.json()
    refused = admin.delete(f"{api}/group-welcome-templates/{tid}", timeout=10)
    assert refused.status_code == 409 and ch["channel_id"] in refused.json()["error"]["message"]
    pooled = admin.patch(f"{api}/channels/{ch['channel_id']}/pool", json={"add": chats[1:3]}, timeout=10)
    assert pooled.status_code == 200 and pooled.json()["in_code"] == chats, pooled.text
    bad = admin.patch(f"{api}/channels/{ch['channel_id']}/pool", json={"add": ["wr-e2e-unknown"]}, timeout=10)
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "add[0]"
    res = admin.put(f"{api}/loss-alerts/settings", json={"enabled": True, "agentid": DEMO_ALERTS_AGENTID,
                                                         "events": ["vip_group_leave"]}, timeout=10)
    assert res.status_code == 200, res.text
    try:
        def mine():
            return [m for m in stack.sandbox.wecom_app_messages(corpid)["messages"]
                    if m["touser"] == ["e2e-vip-owner"]]

        before = len(mine())
        out = stack.sandbox.wecom_group_action(corpid, "scan", config_id=ch["config_id"], external_userid="wm-e2e-v")
        assert stack.drain()
        stack.sandbox.wecom_group_action(corpid, "leave", chat_id=out["chat_id"], userid="wm-e2e-v")
        assert stack.drain()
        got = mine()[before:]
        assert len(got) == 1, got
        assert "退出了VIP客户群" in got[0]["body"]["text"]["content"]
    finally:
        admin.put(f"{api}/loss-alerts/settings", json={"enabled": False}, timeout=10)
