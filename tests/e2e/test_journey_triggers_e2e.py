"""A joined_group journey end to end over HTTP: created and activated over the admin API, narrowed to one group code
(a wecom_group channel) -> a customer scans the code in the sandbox (WeCom's change_external_chat callback to the
stack; the event worker stores the member, then enrols them) -> the content_push schedule, fired through the stack's
control URL, sends the WeCom step from the group's owner, once -> a second customer through the same code enrols
too, one entry each."""

import time

import pytest

pytestmark = pytest.mark.e2e


def test_joining_a_group_through_a_code_runs_the_journey_once_per_customer(stack):
    admin, api = stack.admin("demo-wecom"), f"{stack.api}/accounts/demo-wecom"
    corpid = stack.info["demo WeCom corpid"]
    own = f"{int(time.time() * 1000) % 10**9}"
    owner, customers = f"e2e-jowner-{own}", [f"wm-e2e-j{own}-{i}" for i in range(2)]
    stack.sandbox.wecom_staff(corpid, owner, name="旅程群主")
    stack.sandbox.wecom_customers(corpid, owner, count=len(customers), external_userids=customers)
    chats = stack.sandbox.wecom_groupchats(corpid, owner, count=1)["chat_ids"]
    ch = admin.post(f"{api}/channels", json={"kind": "wecom_group", "name": f"旅程群码 {own}", "group": "groups",
                                             "chat_ids": chats}, timeout=10)
    assert ch.status_code == 201, ch.text
    ch = ch.json()
    r = admin.post(f"{api}/journeys", json={"name": "入群欢迎旅程", "trigger": {
        "kind": "joined_group", "channel_id": ch["channel_id"]}, "steps": [
        {"type": "wecom", "text": f"欢迎入群 {own}"}]}, timeout=30)
    assert r.status_code == 201, r.text
    jid = r.json()["journey_id"]
    assert admin.post(f"{api}/journeys/{jid}/activate", timeout=30).json()["status"] == "active"
    try:
        for ext in customers:
            out = stack.sandbox.wecom_group_action(corpid, "scan", config_id=ch["config_id"], external_userid=ext)
            assert out["status"] == 200, out
            assert stack.drain()
        stack.fire("content_push")
        stack.fire("content_push")  # firing again sends nothing more
        f = admin.get(f"{api}/journeys/{jid}/figures", timeout=30).json()
        assert f["entrants"] == 2 and f["completed"] == 2, f
        tasks = [c for c in stack.sandbox.calls("add_msg_template", platform="wecom")
                 if (c.get("body") or {}).get("text", {}).get("content") == f"欢迎入群 {own}"]
        assert sorted(ext for c in tasks for ext in c["body"]["external_userid"]) == sorted(customers)
        assert {c["body"]["sender"] for c in tasks} == {owner}
        people = admin.get(f"{api}/journeys/{jid}/entrants", timeout=30).json()["items"]
        assert sorted(p["person"] for p in people) == sorted(customers)
    finally:
        admin.post(f"{api}/journeys/{jid}/end", timeout=30)
