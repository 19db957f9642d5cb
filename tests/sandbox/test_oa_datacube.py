"""OA statistics (datacube) as the sandbox plays them, in the documented shapes: getusersummary's new_user /
cancel_user by user_source derived from the follows and unfollows the sandbox saw, getusercumulate's totals per
day, article rows as set, and the documented refusals (61501 for a range over the API's span or past yesterday,
61500 for a malformed date, a fault's 48001)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import requests

from .conftest import OA

APPID = OA["appid"]
CHINA = timezone(timedelta(hours=8))


def _token(server) -> str:
    return requests.get(server.url + "/oa/cgi-bin/token", params={"grant_type": "client_credential", "appid": APPID,
                                                                   "secret": OA["secret"]},
                        timeout=5).json()["access_token"]


def _post(server, api: str, begin: str, end: str) -> dict:
    return requests.post(f"{server.url}/oa/datacube/{api}", params={"access_token": _token(server)},
                         json={"begin_date": begin, "end_date": end}, timeout=5).json()


def _day(client, back: int) -> str:
    return (datetime.fromtimestamp(client.now(), UTC).astimezone(CHINA) - timedelta(days=back)).date().isoformat()


def test_follower_growth_by_source_and_the_total_come_from_real_follow_events(server, client):
    client.oa_followers(APPID, count=10)
    client.advance(-86400)  # the events happen yesterday
    client.oa_event(APPID, "subscribe", openid="o_qr_1", scene="shop-7")
    client.oa_event(APPID, "subscribe", openid="o_search_1")
    client.oa_event(APPID, "subscribe", openid="o_qr_2", scene="shop-7")
    client.oa_event(APPID, "unsubscribe", openid="o_qr_2")
    client.oa_event(APPID, "text", openid="o_search_1", content="你好")
    client.advance(86400)
    yesterday, before = _day(client, 1), _day(client, 2)
    got = _post(server, "getusersummary", before, yesterday)
    assert "errcode" not in got, got
    rows = [r for r in got["list"] if r["ref_date"] == yesterday]
    assert rows == [{"ref_date": yesterday, "user_source": 1, "new_user": 1, "cancel_user": 0},
                    {"ref_date": yesterday, "user_source": 30, "new_user": 2, "cancel_user": 1}]
    assert [r for r in got["list"] if r["ref_date"] == before] == [
        {"ref_date": before, "user_source": 0, "new_user": 0, "cancel_user": 0}]
    cumulate = {r["ref_date"]: r["cumulate_user"] for r in _post(server, "getusercumulate", before, yesterday)["list"]}
    assert cumulate == {before: 10, yesterday: 12}
    msgs = _post(server, "getupstreammsg", yesterday, yesterday)["list"]
    assert msgs == [{"ref_date": yesterday, "msg_type": 1, "msg_user": 1, "msg_count": 1}]


def test_article_rows_as_set_and_one_day_a_call(server, client):
    yesterday = _day(client, 1)
    client.oa_datacube(APPID, "getarticleread", yesterday, [{"msgid": "2247490098_1", "detail": {"read_user": 12}}])
    got = _post(server, "getarticleread", yesterday, yesterday)
    assert got["list"] == [{"ref_date": yesterday, "msgid": "2247490098_1", "detail": {"read_user": 12}}]
    assert got["is_delay"] is False
    refused = _post(server, "getarticleread", _day(client, 2), yesterday)
    assert refused["errcode"] == 61501 and "date range" in refused["errmsg"]


def test_documented_refusals(server, client):
    assert _post(server, "getusersummary", _day(client, 8), _day(client, 1))["errcode"] == 61501  # 8 days
    assert len(_post(server, "getusersummary", _day(client, 7), _day(client, 1))["list"]) == 7  # 7 days: allowed
    assert _post(server, "getinterfacesummary", _day(client, 0), _day(client, 0))["errcode"] == 61501  # today
    assert _post(server, "getusercumulate", "2025-13-01", "2025-13-02")["errcode"] == 61500
    client.fault("datacube/getarticleshare", errcode=48001, platform="oa", times=1)
    got = _post(server, "getarticleshare", _day(client, 1), _day(client, 1))
    assert got["errcode"] == 48001
