"""A journey end to end over HTTP: created and activated over the admin API -> a follower subscribes through the
sandbox (WeChat's callback to the stack, the event worker enrols them) -> the content_push schedule, fired through
the stack's control URL, runs the steps -> the customer-service message and the template message are in the
sandbox, once -> the figures per step add up."""

import time

import pytest

pytestmark = pytest.mark.e2e


def test_a_follow_through_the_sandbox_runs_the_journey_once(stack):
    appid = stack.info["demo OA appid"]
    own = f"{int(time.time() * 1000) % 10**9}"
    scene, openid = f"journey-e2e-{own}", f"oJourneyE2E{own}"  # this test's own channel and follower
    api = stack.admin("demo-oa")
    base = f"{stack.api}/accounts/demo-oa/journeys"
    r = api.post(base, json={"name": "关注欢迎旅程", "trigger": {"kind": "followed", "scene": scene}, "steps": [
        {"type": "custom", "text": f"欢迎关注 {own}"},
        {"type": "template", "template_id": "TPL-JOURNEY", "data": {"first": {"value": "您好"}}}]}, timeout=30)
    assert r.status_code == 201, r.text
    jid = r.json()["journey_id"]
    assert api.post(f"{base}/{jid}/activate", timeout=30).json()["status"] == "active"
    try:
        out = stack.sandbox.oa_event(appid, "subscribe", openid=openid, scene=scene)
        assert out["status"] == 200, out
        assert stack.drain()
        stack.fire("content_push")
        stack.fire("content_push")  # firing again sends nothing more
        f = api.get(f"{base}/{jid}/figures", timeout=30).json()
        assert f["entrants"] == 1 and f["completed"] == 1, f
        assert [(s["entered"], s["sent"]) for s in f["steps"]] == [(1, 1), (1, 1)]
        custom = [c for c in stack.sandbox.calls(path_contains="message/custom/send", app=appid)
                  if c["errcode"] == 0 and c["body"]["touser"] == openid]
        templates = [c for c in stack.sandbox.calls(path_contains="message/template/send", app=appid)
                     if c["errcode"] == 0 and c["body"]["touser"] == openid]
        assert [c["body"]["text"]["content"] for c in custom] == [f"欢迎关注 {own}"] and len(templates) == 1
        people = api.get(f"{base}/{jid}/entrants", params={"step": 1}, timeout=30).json()["items"]
        assert [(p["person"], p["state"]) for p in people] == [(openid, "done")]
    finally:
        api.post(f"{base}/{jid}/end", timeout=30)
