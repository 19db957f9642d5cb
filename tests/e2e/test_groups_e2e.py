"""End to end over HTTP: a group code (wecom_group channel) created through the admin API over groups the sandbox
holds, customers scanning it through the sandbox until the code rotates, its chat ids changed, the joins in the
channel statistics and the group's members and size through the groups API."""

import pytest

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
    assert len(stack.sandbox.calls("groupchat/update_join_way", platform="wecom")) == 2
    stats = admin.get(f"{api}/channel-stats", params={"channel_id": ch["channel_id"]}, timeout=10).json()
    [row] = stats["channels"]
    assert row["group_joins"] == 4 and row["joins"] == 4
    group = admin.get(f"{api}/groups/{chats[0]}", timeout=10).json()
    assert group["size"] == 3 and group["owner"] == "e2e-owner"
    members = admin.get(f"{api}/groups/{chats[0]}/members", timeout=10).json()["items"]
    assert {m["userid"] for m in members if m["channel_id"] == ch["channel_id"]} == {"wm-e2e-g0", "wm-e2e-g1"}
