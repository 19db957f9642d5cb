"""发送应用消息 (`message/send`) as the sandbox plays it: each self-built app has its own Secret and token, and only
the token of the app whose `agentid` the body names sends; another app's token or the customer-contact Secret's is
refused 301002 "not allow operate another agent with this accesstoken" (全局错误码 301002 无权限操作指定的应用,
https://developer.work.weixin.qq.com/document/path/90313); no agentid is 41011; nothing is recorded when refused."""

from __future__ import annotations

import requests

from .conftest import CORP

CORPID = CORP["corpid"]
ALERTS, NOTICES = "1000005", "1000006"
APPS = {ALERTS: "alerts-app-secret", NOTICES: "notices-app-secret"}


def _token(server, secret: str) -> dict:
    return requests.get(server.url + "/wecom/cgi-bin/gettoken", params={"corpid": CORPID, "corpsecret": secret},
                        timeout=5).json()


def _send(server, token: str, agentid, touser: str = "zhangsan") -> dict:
    body = {"touser": touser, "msgtype": "text", "text": {"content": "客户流失提醒"}}
    if agentid is not None:
        body["agentid"] = agentid
    return requests.post(server.url + "/wecom/cgi-bin/message/send", params={"access_token": token}, json=body,
                         timeout=5).json()


def _received(client, touser: str = "zhangsan") -> list[dict]:
    return [m for m in client.wecom_app_messages(CORPID)["messages"] if m["touser"] == [touser]]


def test_each_app_has_its_own_token_and_sends_as_itself(server, client):
    client.register_wecom(CORPID, CORP["secret"], apps=APPS)
    client.wecom_staff(CORPID, "zhangsan")
    alerts, notices, contact = (_token(server, s) for s in (APPS[ALERTS], APPS[NOTICES], CORP["secret"]))
    assert len({alerts["access_token"], notices["access_token"], contact["access_token"]}) == 3
    assert _token(server, APPS[ALERTS])["access_token"] == alerts["access_token"]  # the same until it expires
    sent = _send(server, alerts["access_token"], int(ALERTS))
    assert sent["errcode"] == 0 and sent["msgid"] and sent["invaliduser"] == ""
    [got] = _received(client)
    assert got["agentid"] == int(ALERTS)


def test_another_apps_token_and_the_contact_token_are_refused_301002(server, client):
    client.register_wecom(CORPID, CORP["secret"], apps=APPS)
    client.wecom_staff(CORPID, "zhangsan")
    for secret in (APPS[NOTICES], CORP["secret"]):
        refused = _send(server, _token(server, secret)["access_token"], int(ALERTS))
        assert refused["errcode"] == 301002, refused
        assert refused["errmsg"].startswith("not allow operate another agent with this accesstoken")
    missing = _send(server, _token(server, APPS[ALERTS])["access_token"], None)
    assert missing["errcode"] == 41011
    assert _received(client) == []


def test_apps_are_merged_and_their_secrets_never_shown(server, client):
    client.register_wecom(CORPID, CORP["secret"], apps={ALERTS: APPS[ALERTS]})
    summary = client.register_wecom(CORPID, CORP["secret"], apps={NOTICES: APPS[NOTICES]})
    assert summary["apps"] == [ALERTS, NOTICES] and APPS[ALERTS] not in str(summary)
    assert _token(server, APPS[ALERTS])["errcode"] == 0 and _token(server, "not-a-secret")["errcode"] == 40001
