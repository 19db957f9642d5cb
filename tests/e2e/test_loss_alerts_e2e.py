"""End-to-end: an admin turns loss alerts on over HTTP; the sandbox plays a customer who deletes a staff member
(del_follow_user, signed and encrypted to our callback, delivered 4 times as WeChat retries); after the workers
drain, the staff member has received exactly one WeCom app message naming the customer's channel; the counts say
one sent."""

from __future__ import annotations

from local.seed import DEMO_ALERTS_AGENTID
from tests.timing import wait_until


def test_a_customer_deleting_a_staff_member_sends_them_one_app_message(stack):
    sb, corpid = stack.sandbox, stack.info["demo WeCom corpid"]
    admin = stack.admin("demo-wecom")
    base = f"{stack.api}/accounts/demo-wecom"
    sb.wecom_staff(corpid, "e2e_alert_staff")
    # the demo corp's alerts app (local/seed.py): its Secret is on the account (answered only masked), its token
    # alone sends as it
    assert admin.get(base, timeout=10).json()["secrets"]["agent_secrets"] == {str(DEMO_ALERTS_AGENTID): "****"}
    r = admin.put(f"{base}/loss-alerts/settings", json={"enabled": True, "agentid": DEMO_ALERTS_AGENTID},
                  timeout=10)
    assert r.status_code == 200, r.text
    try:
        way = admin.post(f"{base}/channels", json={"kind": "wecom_contact_way", "name": "e2e 门店",
                                                  "staff": ["e2e_alert_staff"]}, timeout=30).json()
        added = sb.wecom_event(corpid, "add_external_contact", userid="e2e_alert_staff", state=way["state"],
                               welcome=False)
        stack.drain()
        ext = added["external_userid"]
        before = [m for m in sb.wecom_app_messages(corpid)["messages"] if m["touser"] == ["e2e_alert_staff"]]
        assert before == []
        out = sb.wecom_event(corpid, "del_follow_user", userid="e2e_alert_staff", external_userid=ext,
                             deliveries=4)
        assert out["status"] == 200, out

        def alerted():
            stack.drain()
            return [m for m in sb.wecom_app_messages(corpid)["messages"] if m["touser"] == ["e2e_alert_staff"]]

        got = wait_until(alerted, what="the loss alert to reach the staff member")
        stack.drain()
        got = alerted()
        assert len(got) == 1 and got[0]["agentid"] == DEMO_ALERTS_AGENTID, got
        text = got[0]["body"]["text"]["content"]
        assert "删除了成员 e2e_alert_staff" in text and "来源渠道：e2e 门店" in text, text
        counts = admin.get(f"{base}/loss-alerts/counts", timeout=10).json()
        assert counts["sent"] >= 1 and counts["failed"] == 0, counts
    finally:  # the stack is shared: later tests' deletions must not alert
        admin.put(f"{base}/loss-alerts/settings", json={"enabled": False}, timeout=10)
