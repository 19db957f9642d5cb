"""A customer moment end to end over HTTP: scheduled over the admin API -> the content_push schedule creates the
WeCom task -> the sandbox clock moves and its job settles -> the next run finds WeCom's moment -> a member publishes,
customers comment and like -> the figures on the moment."""

import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

pytestmark = pytest.mark.e2e


def test_a_scheduled_moment_is_published_once_and_its_figures_come_back(stack):
    corpid = stack.info["demo WeCom corpid"]
    staff = f"mom{int(time.time() * 1000) % 10**8}"  # this test's own members: the stack is shared
    customers = stack.sandbox.wecom_customers(corpid, staff, count=5)["external_userids"]
    stack.sandbox.wecom_customers(corpid, staff + "b", count=2)
    api = stack.admin("demo-wecom")
    base = f"{stack.api}/accounts/demo-wecom/moments"
    send_at = datetime.fromtimestamp(int(time.time()) - 5, ZoneInfo("Asia/Shanghai")).isoformat()
    r = api.post(base, json={"name": "双十二", "text": "双十二新品上市", "senders": [staff, staff + "b"],
                             "attachments": [{"msgtype": "link", "link": {"title": "新品",
                                                                        "url": "https://example.com/sale"}}],
                             "send_at": send_at}, timeout=30)
    assert r.status_code == 201, r.text
    mid = r.json()["moment_id"]
    preview = api.post(f"{base}/{mid}/preview", timeout=30).json()
    assert (preview["visible"], preview["over_quota"], preview["limit"]) == (7, 0, 4)
    stack.sandbox.wecom_settings(corpid, moment_job_seconds=600)  # the job settles when the test moves the clock
    try:
        stack.fire("content_push")  # the task is created; WeCom's job has not settled yet
        assert api.get(f"{base}/{mid}", timeout=30).json()["status"] == "creating"
        stack.sandbox.advance(601)
    finally:
        stack.sandbox.wecom_settings(corpid, moment_job_seconds=1)
    stack.fire("content_push")  # the job settled: WeCom's moment id, figures pulled
    view = api.get(f"{base}/{mid}", timeout=30).json()
    assert view["status"] == "publishing" and view["reserved"] == 7, view
    wid = view["wecom_moment_id"]
    tasks = [c for c in stack.sandbox.calls(path_contains="add_moment_task", app=corpid)
             if staff in str(c.get("body"))]
    assert len(tasks) == 1
    stack.sandbox.wecom_publish_moment(corpid, wid, staff)
    stack.sandbox.wecom_moment_interaction(corpid, wid, staff, "comment", customers[0])
    stack.sandbox.wecom_moment_interaction(corpid, wid, staff, "like", customers[1])
    stack.sandbox.wecom_moment_interaction(corpid, wid, staff, "like", customers[2])
    stack.fire("content_push")
    figures = api.get(f"{base}/{mid}/figures", timeout=30).json()
    assert (figures["senders"], figures["published"], figures["not_published"]) == (2, 1, 1), figures
    assert (figures["comments"], figures["likes"]) == (1, 2)
    listed = api.get(base, params={"limit": 50}, timeout=30).json()["items"]
    assert any(m["moment_id"] == mid for m in listed)
    assert len([c for c in stack.sandbox.calls(path_contains="add_moment_task", app=corpid)
                if staff in str(c.get("body"))]) == 1, "never a second task"
