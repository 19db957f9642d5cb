"""End-to-end: the sandbox holds a member's WeCom figures of yesterday; the daily pull (fired through the
dispatcher, as EventBridge would) stores them; the admin API serves them per member per day, JSON and CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta, timezone

CHINA = timezone(timedelta(hours=8))


def test_the_daily_pull_to_figures_served_with_csv(stack):
    sb, corpid = stack.sandbox, stack.info["demo WeCom corpid"]
    yesterday = (datetime.fromtimestamp(sb.now(), UTC).astimezone(CHINA) - timedelta(days=1)).date().isoformat()
    sb.wecom_stats(corpid, "e2e_fig_alice", yesterday,
                   behavior={"new_contact_cnt": 6, "chat_cnt": 2, "message_cnt": 30, "reply_percentage": 75.5,
                             "avg_reply_time": 8, "negative_feedback_cnt": 1, "new_apply_cnt": 3},
                   groupchat={"new_chat_cnt": 1, "chat_total": 5, "member_total": 88, "msg_total": 40})
    stack.fire("staff_figures")
    admin = stack.admin("demo-wecom")
    base = f"{stack.api}/accounts/demo-wecom/staff"
    r = admin.get(f"{base}/figures", params={"from": yesterday, "to": yesterday, "userid": "e2e_fig_alice"},
                  timeout=10)
    assert r.status_code == 200, r.text
    row = r.json()["items"][0]
    assert row == {"day": yesterday, "userid": "e2e_fig_alice", "new_contact_cnt": 6, "chat_cnt": 2,
                   "message_cnt": 30, "reply_percentage": 75.5, "avg_reply_time": 8, "negative_feedback_cnt": 1,
                   "new_apply_cnt": 3, "new_chat_cnt": 1, "chat_total": 5, "chat_has_msg": 0, "new_member_cnt": 0,
                   "member_total": 88, "member_has_msg": 0, "msg_total": 40, "migrate_trainee_chat_cnt": 0}
    stack.fire("staff_figures")  # a re-run changes nothing
    assert admin.get(f"{base}/figures", params={"from": yesterday, "to": yesterday, "userid": "e2e_fig_alice"},
                     timeout=10).json()["items"] == [row]
    r = admin.get(f"{base}/figures.csv", params={"from": yesterday, "to": yesterday}, timeout=10)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/csv")
    assert r.content.startswith(b"\xef\xbb\xbf")
    rows = [x for x in csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))) if x["userid"] == "e2e_fig_alice"]
    assert rows[0]["new_contact_cnt"] == "6" and rows[0]["reply_percentage"] == "75.5"
