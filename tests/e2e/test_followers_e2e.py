"""End to end over HTTP: followers in the OA sandbox (three with a profile nobody else has), a follower sync started
through the admin API and done by the workers page by page, the breakdowns counting them (tags named, the notes on
what WeChat no longer gives), one follower's profile, a segment of a tag WeChat holds for them, the CSV; then one
of them unfollows (a signed callback) and the breakdown counts them off once."""

import time

import pytest

pytestmark = pytest.mark.e2e


def test_sandbox_followers_sync_and_breakdown(stack):
    admin, api = stack.admin("demo-oa"), f"{stack.api}/accounts/demo-oa"
    appid = stack.info["demo OA appid"]
    ids = ["o-e2e-follow-1", "o-e2e-follow-2", "o-e2e-follow-3"]
    stack.sandbox.oa_followers(appid, openids=ids, count=120, prefix="oE2EFollow")
    stack.sandbox.oa_followers(appid, profiles={o: {"language": "e2e_XX", "subscribe_scene": "ADD_SCENE_PAID",
                                                    "remark": "端到端", "tagid_list": [2901]} for o in ids})
    res = admin.post(f"{api}/followers/sync", timeout=10)
    assert res.status_code == 202, res.text
    for _ in range(20):
        assert stack.drain()
        state = admin.get(f"{api}/followers/sync", timeout=10).json()
        if state["phase"] == "done":
            break
    assert state["phase"] == "done", state
    assert state["calls"]["user/info/batchget"] >= 2 and state["listed"] >= 123

    b = admin.get(f"{api}/followers/breakdown", timeout=10).json()
    assert b["total"] >= 123
    assert {r["language"]: r["count"] for r in b["by_language"]}["e2e_XX"] == 3
    assert sum(r["count"] for r in b["by_subscribe_month"]) == b["total"]
    assert "头像" in b["notes"]["zh"] and "gender" in b["notes"]["en"]
    p = admin.get(f"{api}/followers/o-e2e-follow-1", timeout=10).json()
    assert p["remark"] == "端到端" and p["subscribe_scene"] == "ADD_SCENE_PAID" and p["subscribe"] is True
    # the OA's own tags reach the segment facts (queued by the sync, taken by the event worker)
    preview = admin.post(f"{api}/segments/preview", json={"rule": {"field": "tag", "op": "has", "value": "2901"}},
                         timeout=10).json()
    assert preview["count"] == 3, preview
    csv = admin.get(f"{api}/followers/breakdown.csv", timeout=10)
    assert csv.status_code == 200 and csv.content.startswith("\ufeff".encode()) and "e2e_XX" in csv.text

    out = stack.sandbox.oa_event(appid, "unsubscribe", openid="o-e2e-follow-2", create_time=int(time.time()) + 60)
    assert out["status"] == 200, out
    assert stack.drain()
    b = admin.get(f"{api}/followers/breakdown", timeout=10).json()
    assert {r["language"]: r["count"] for r in b["by_language"]}["e2e_XX"] == 2
    assert admin.get(f"{api}/followers/o-e2e-follow-2", timeout=10).json()["subscribe"] is False
