"""WeCom 统计管理 as the sandbox plays it, in the documented shapes: 联系客户统计 per day (several members summed,
avg_reply_time only with chats), 群聊数据统计 by owner (summed over days, totals of the last day, paged), and the
documented refusals (600018 for a range outside the window or over 30 days, 60111 for a non-member, 40058 for no
userid and partyid)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import requests

from .conftest import CORP

CORPID = CORP["corpid"]
CHINA = timezone(timedelta(hours=8))


def _token(server) -> str:
    return requests.get(server.url + "/wecom/cgi-bin/gettoken", params={"corpid": CORPID,
                                                                         "corpsecret": CORP["secret"]},
                        timeout=5).json()["access_token"]


def _post(server, endpoint: str, body: dict) -> dict:
    return requests.post(f"{server.url}/wecom/cgi-bin/externalcontact/{endpoint}",
                         params={"access_token": _token(server)}, json=body, timeout=5).json()


def _days(client, back: int) -> tuple[str, int]:
    now = datetime.fromtimestamp(client.now(), UTC).astimezone(CHINA)
    day = (now - timedelta(days=back)).replace(hour=0, minute=0, second=0, microsecond=0)
    return day.date().isoformat(), int(day.timestamp())


def test_behavior_data_per_day_and_summed_over_members(server, client):
    d1, t1 = _days(client, 2)
    d2, t2 = _days(client, 1)
    client.wecom_stats(CORPID, "alice", d1, behavior={"new_contact_cnt": 2, "chat_cnt": 4, "reply_percentage": 50,
                                                       "avg_reply_time": 10})
    client.wecom_stats(CORPID, "bob", d1, behavior={"new_contact_cnt": 1, "chat_cnt": 0})
    one = _post(server, "get_user_behavior_data", {"userid": ["alice"], "start_time": t1 + 3600, "end_time": t2})
    assert one["errcode"] == 0 and [e["stat_time"] for e in one["behavior_data"]] == [t1, t2]  # rounded down
    assert one["behavior_data"][0] == {"stat_time": t1, "chat_cnt": 4, "message_cnt": 0, "negative_feedback_cnt": 0,
                                       "new_apply_cnt": 0, "new_contact_cnt": 2, "reply_percentage": 50.0,
                                       "avg_reply_time": 10}
    assert "avg_reply_time" not in one["behavior_data"][1]  # only on a day with chats
    both = _post(server, "get_user_behavior_data", {"userid": ["alice", "bob"], "start_time": t1, "end_time": t1})
    assert both["behavior_data"][0]["new_contact_cnt"] == 3  # several members: one summed figure


def test_behavior_data_refusals(server, client):
    _, t = _days(client, 1)
    client.wecom_staff(CORPID, "alice")
    assert _post(server, "get_user_behavior_data", {"start_time": t, "end_time": t})["errcode"] == 40058
    assert _post(server, "get_user_behavior_data", {"userid": ["ghost"], "start_time": t, "end_time": t})[
        "errcode"] == 60111
    assert _post(server, "get_user_behavior_data", {"userid": ["alice"], "start_time": t - 31 * 86400,
                                                    "end_time": t})["errcode"] == 600018
    assert _post(server, "get_user_behavior_data", {"userid": ["alice"], "start_time": t - 200 * 86400,
                                                    "end_time": t - 199 * 86400})["errcode"] == 600018


def test_groupchat_statistic_by_owner(server, client):
    d1, t1 = _days(client, 2)
    d2, t2 = _days(client, 1)
    for day, total in ((d1, 3), (d2, 4)):
        client.wecom_stats(CORPID, "alice", day, groupchat={"new_chat_cnt": 1, "chat_total": total, "msg_total": 10})
    client.wecom_stats(CORPID, "bob", d2, groupchat={"chat_total": 9})
    got = _post(server, "groupchat/statistic", {"day_begin_time": t1, "day_end_time": t2,
                                                "owner_filter": {"userid_list": ["alice", "bob"]}, "order_by": 2})
    assert got["errcode"] == 0 and got["total"] == 2 and [i["owner"] for i in got["items"]] == ["bob", "alice"]
    alice = got["items"][1]["data"]
    assert alice["new_chat_cnt"] == 2 and alice["msg_total"] == 20 and alice["chat_total"] == 4  # totals: last day
    assert set(alice) == {"new_chat_cnt", "chat_total", "chat_has_msg", "new_member_cnt", "member_total",
                          "member_has_msg", "msg_total", "migrate_trainee_chat_cnt"}
    page = _post(server, "groupchat/statistic", {"day_begin_time": t2, "owner_filter": {"userid_list": ["alice",
                                                 "bob"]}, "limit": 1, "offset": 1, "order_by": 2})
    assert [i["owner"] for i in page["items"]] == ["alice"] and page["next_offset"] == 2
    _, today = _days(client, 0)
    assert _post(server, "groupchat/statistic", {"day_begin_time": today})["errcode"] == 600018  # from yesterday
    assert client._call("GET", f"/wecom/{CORPID}/stats")["figures"][0]["userid"] == "alice"
