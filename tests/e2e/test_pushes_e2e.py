"""A push end to end over HTTP: admin API -> content_push schedule -> sandbox mass send -> MASSSENDJOBFINISH
callback -> event worker -> figures on the push."""

import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

pytestmark = pytest.mark.e2e


def test_push_is_sent_once_and_the_callback_fills_in_delivery(stack):
    appid = stack.info["demo OA appid"]
    stack.sandbox.oa_followers(appid, count=30, prefix="oPushE2E")
    api = stack.admin("demo-oa")
    base = f"{stack.api}/accounts/demo-oa/pushes"
    send_at = datetime.fromtimestamp(time.time() - 5, ZoneInfo("Asia/Shanghai")).isoformat()
    r = api.post(base, json={"name": "e2e", "content": {"type": "text", "text": "hello"},
                             "audience": {"type": "all"}, "send_at": send_at}, timeout=30)
    assert r.status_code == 201, r.text
    pid = r.json()["push_id"]
    preview = api.post(f"{base}/{pid}/preview", timeout=30).json()
    assert preview["audience"] >= 30 and preview["batches"] == 1
    assert api.post(f"{base}/{pid}/confirm", timeout=30).json()["status"] == "scheduled"
    stack.fire("content_push")
    stack.fire("content_push")  # firing again sends nothing more
    view = api.get(f"{base}/{pid}", timeout=30).json()
    assert view["status"] == "completed" and view["runs"][0]["sent"] == preview["eligible"]
    # this push's sends only: the stack is shared, and a test run before this one may have pushed to the same account
    jobs = [c for c in stack.sandbox.calls(path_contains="message/mass/send", app=appid)
            if c["errcode"] == 0 and c["body"]["clientmsgid"].startswith(f"p{pid}-")]
    assert len(jobs) == 1
    msg_id = jobs[0]["response"]["msg_id"]
    out = stack.sandbox.oa_mass_finish(appid, msg_id)
    assert out["status"] == 200
    assert stack.drain()
    run = api.get(f"{base}/{pid}", timeout=30).json()["runs"][0]
    assert run["delivered"] == preview["eligible"] and run["platform_total"] == preview["eligible"]
