"""End to end over HTTP: channels created through the admin API, scans and adds played by the sandbox,
the channel welcome in the passive reply / welcome message, statistics after the workers ran, the QR
PNG through chalice local, taggings flushed by the schedule."""

import pytest

pytestmark = pytest.mark.e2e


def test_oa_channel_scan_to_statistics(stack):
    admin, api = stack.admin("demo-oa"), f"{stack.api}/accounts/demo-oa"
    appid = stack.info["demo OA appid"]
    res = admin.post(f"{api}/channels", json={"kind": "oa_qr", "name": "E2E poster", "group": "posters",
                                              "welcome": {"text": "Thanks for scanning the E2E poster"}},
                     timeout=10)
    assert res.status_code == 201, res.text
    ch = res.json()
    out = stack.sandbox.oa_event(appid, "scan", openid="o-e2e-ch-1", scene=ch["scene"])
    assert out["status"] == 200, out
    assert "Thanks for scanning the E2E poster" in out["reply"]
    stack.sandbox.oa_event(appid, "scan", openid="o-e2e-ch-1", scene=ch["scene"])  # now a SCAN
    stack.sandbox.oa_event(appid, "subscribe", openid="o-e2e-ch-2", scene="not-a-channel")
    assert stack.drain()
    stats = admin.get(f"{api}/channel-stats", timeout=10).json()
    [row] = [c for c in stats["channels"] if c["channel_id"] == ch["channel_id"]]
    assert (row["scans"], row["new_follows"]) == (2, 1)
    assert [c for c in stats["channels"] if c["channel_id"] == "unknown"][0]["new_follows"] >= 1
    png = admin.get(f"{api}/channels/{ch['channel_id']}/qrcode", headers={"Accept": "image/png"}, timeout=10)
    assert png.status_code == 200 and png.headers["Content-Type"] == "image/png"
    assert png.content[:8] == b"\x89PNG\r\n\x1a\n"
    csv = admin.get(f"{api}/channel-stats.csv", timeout=10)
    assert csv.status_code == 200 and "E2E poster" in csv.text


def test_wecom_contact_way_add_gets_channel_welcome_and_counts(stack):
    admin, api = stack.admin("demo-wecom"), f"{stack.api}/accounts/demo-wecom"
    corpid = stack.info["demo WeCom corpid"]
    for userid in ("e2e-alice", "e2e-bob"):
        stack.sandbox.wecom_staff(corpid, userid)
    res = admin.post(f"{api}/channels", json={
        "kind": "wecom_contact_way", "name": "E2E store", "group": "stores", "staff": ["e2e-alice", "e2e-bob"],
        "daily_cap": 1, "welcome": {"text": "Welcome to the E2E store"}}, timeout=10)
    assert res.status_code == 201, res.text
    ch = res.json()
    assert sorted(ch["users"]) == ["e2e-alice", "e2e-bob"]
    out = stack.sandbox.wecom_event(corpid, "add_external_contact", userid="e2e-alice", config_id=ch["config_id"])
    ext = out.get("external_userid") or out.get("extra", {}).get("external_userid")
    assert stack.drain()
    sent = [w for w in stack.sandbox.wecom_customer(corpid, ext)["welcome_codes"] if w["used"]]
    assert sent, "the welcome message was not sent with the code"
    welcomes = stack.sandbox.calls("send_welcome_msg", platform="wecom")
    assert any("Welcome to the E2E store" in str(c) for c in welcomes), welcomes
    # alice reached her cap of 1: the contact way now rotates to bob only
    assert admin.get(f"{api}/channels/{ch['channel_id']}", timeout=10).json()["users"] == ["e2e-bob"]
    stats = admin.get(f"{api}/channel-stats", timeout=10).json()
    [row] = [c for c in stats["channels"] if c["channel_id"] == ch["channel_id"]]
    assert row["customers_added"] == 1
    # the schedules are wired: the upkeep sees this way (nothing to change today), the tag flush runs
    upkeep = stack.fire("channel_upkeep")["result"]
    assert upkeep["checked"] >= 1 and upkeep["failed"] == 0
    assert stack.fire("channel_tagging")["result"]["failed"] == 0
