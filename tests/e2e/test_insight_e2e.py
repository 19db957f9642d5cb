"""End-to-end: followers follow the demo OA through a code yesterday and one leaves again (sandbox events, sent to
our callback as WeChat would); the daily pull (fired through the dispatcher, as EventBridge would) reads the
sandbox's datacube, which counts those events; the admin API serves the day's figures, JSON and CSV; a re-run asks
WeChat nothing.

The test has an OA of its own: the pull keeps a day once pulled, for every OA, so the demo account's yesterday
belongs to whichever test fires the pull first."""

from __future__ import annotations

import csv
import io
import secrets
from datetime import UTC, datetime, timedelta, timezone

import requests

CHINA = timezone(timedelta(hours=8))


def test_the_daily_pull_to_oa_figures_served_with_csv(stack):
    oa = stack.fresh_oa(f"e2e-insight-{secrets.token_hex(3)}", "数据 e2e")
    sb, appid = stack.sandbox, oa["appid"]
    now = sb.now()
    yesterday = (datetime.fromtimestamp(now, UTC).astimezone(CHINA) - timedelta(days=1)).date().isoformat()
    at = int(now) - 86400
    for n in range(3):
        sb.oa_event(appid, "subscribe", openid=f"o_e2e_insight_{n}", scene="e2e-insight", create_time=at + n)
    sb.oa_event(appid, "unsubscribe", openid="o_e2e_insight_2", create_time=at + 10)
    sb.oa_datacube(appid, "getarticleread", yesterday, [{"msgid": "2247490098_1", "detail": {"read_user": 9}}])
    stack.fire("oa_insight")
    admin = requests.Session()
    admin.headers["Authorization"] = f"Bearer {oa['key']}"
    base = f"{stack.api}/accounts/{oa['account_id']}/insight"
    r = admin.get(f"{base}/figures", params={"from": yesterday, "to": yesterday}, timeout=10)
    assert r.status_code == 200, r.text
    day = r.json()["days"][0]
    qr = next(s for s in day["by_source"] if s["user_source"] == 30)
    assert qr == {"user_source": 30, "new_user": 3, "cancel_user": 1}
    assert day["net_user"] == day["new_user"] - day["cancel_user"] == 2 and day["cumulate_user"] == 2
    assert day["read_user"] == 9 and day["articles"] == [{"msgid": "2247490098_1", "read_user": 9, "share_user": 0}]
    calls = len(sb.calls(path_contains="datacube/"))
    stack.fire("oa_insight")  # a re-run asks nothing and changes nothing
    assert len(sb.calls(path_contains="datacube/")) == calls
    assert admin.get(f"{base}/figures", params={"from": yesterday, "to": yesterday}, timeout=10).json()["days"] == [day]
    r = admin.get(f"{base}/figures.csv", params={"from": yesterday, "to": yesterday}, timeout=10)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/csv")
    assert r.content.startswith(b"\xef\xbb\xbf")
    row = next(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert row["day"] == yesterday and row["read_user"] == "9" and row["new_user"] == str(day["new_user"])
