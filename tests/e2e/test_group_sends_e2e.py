"""A push to customer groups (群发到客户群) end to end over HTTP: groups the sandbox announces by change_external_chat
callbacks land in the groups capability, a push by owners is previewed (groups, owners, calls, left out) and sent
by the content_push schedule as one add_msg_template (chat_type group, chat_id_list) per owner, an owner sends the
task in their client, and the results come back through the v2 APIs."""

import time
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

pytestmark = pytest.mark.e2e


def test_a_group_push_goes_out_once_per_owner_and_collects_results(stack):
    corpid = stack.info["demo WeCom corpid"]
    api = stack.admin("demo-wecom")
    base = f"{stack.api}/accounts/demo-wecom/pushes"
    tag = uuid.uuid4().hex[:8]  # the stack is shared: owners of this test only
    owners = {"a": f"gs-a-{tag}", "b": f"gs-b-{tag}"}
    chats = {"a": [f"wrgs{tag}a{i}" for i in range(3)], "b": [f"wrgs{tag}b0", f"wrgs{tag}b1"]}
    for who, ids in chats.items():
        for chat_id in ids:
            out = stack.sandbox.wecom_event(corpid, "change_external_chat", change_type="create",
                                            owner=owners[who], chat_id=chat_id)
            assert out["status"] == 200, out
    assert stack.drain()  # the groups are known (groupchat/get) before one of them is dismissed
    out = stack.sandbox.wecom_event(corpid, "change_external_chat", change_type="dismiss", chat_id=chats["b"][1])
    assert out["status"] == 200, out
    assert stack.drain()
    send_at = datetime.fromtimestamp(time.time() - 5, ZoneInfo("Asia/Shanghai")).isoformat()
    r = api.post(base, json={"name": "群发 e2e", "content": {"type": "wecom", "text": "本周团购开始啦"},
                             "audience": {"type": "groups", "owners": sorted(owners.values())},
                             "send_at": send_at}, timeout=30)
    assert r.status_code == 201, r.text
    pid = r.json()["push_id"]
    preview = api.post(f"{base}/{pid}/preview", timeout=30).json()
    assert (preview["groups"], preview["owners"], preview["api_calls"]) == (4, 2, 2), preview
    assert preview["left_out"] == {"dismissed": 1} and preview["sent_today"] == 0
    assert api.post(f"{base}/{pid}/confirm", timeout=30).json()["status"] == "scheduled"
    stack.fire("content_push")
    stack.fire("content_push")  # firing again sends nothing more
    view = api.get(f"{base}/{pid}", timeout=30).json()
    assert view["status"] == "completed" and view["runs"][0]["sent"] == 4, view
    sends = [c for c in stack.sandbox.calls(path_contains="add_msg_template", platform="wecom")
             if c["errcode"] == 0 and c["body"].get("sender") in owners.values()]
    assert sorted((c["body"]["sender"], c["body"]["chat_type"], sorted(c["body"]["chat_id_list"])) for c in sends) \
        == [(owners["a"], "group", chats["a"]), (owners["b"], "group", chats["b"][:1])]
    # owner a sends the task in the WeCom client; the results come from get_groupmsg_task / _send_result
    msgid = next(c["response"]["msgid"] for c in sends if c["body"]["sender"] == owners["a"])
    stack.sandbox.wecom_confirm_groupmsg(corpid, msgid, owners["a"])
    view = api.post(f"{base}/{pid}/results", timeout=30).json()
    batches = {b["sender"]: b for b in api.get(f"{base}/{pid}/batches", timeout=30).json()["items"]}
    assert (batches[owners["a"]]["delivered"], batches[owners["a"]]["results_final"]) == (3, True)
    assert batches[owners["b"]]["pending_results"] == 1
    assert view["runs"][0]["delivered"] == 3
    # the same groups again today: every one is skipped by the once-a-day rule, and said so
    r = api.post(base, json={"content": {"type": "wecom", "text": "再发一次"},
                             "audience": {"type": "groups", "chat_ids": chats["a"]}, "send_at": send_at}, timeout=30)
    again = api.post(f"{base}/{r.json()['push_id']}/preview", timeout=30).json()
    assert (again["groups"], again["sent_today"], again["eligible"]) == (3, 3, 0)
