"""WeCom web login as the sandbox plays it: the login page, the scan's redirect, and auth/getuserinfo's documented
answers (member, non-member, 40029 for a used, expired or foreign code, 41008 for none)."""

from __future__ import annotations

import urllib.parse

import requests

from .conftest import CORP

CORPID = CORP["corpid"]


def _token(server) -> str:
    return requests.get(server.url + "/wecom/cgi-bin/gettoken", params={"corpid": CORPID,
                                                                         "corpsecret": CORP["secret"]},
                        timeout=5).json()["access_token"]


def _who(server, code, token=None) -> dict:
    params = {"access_token": token or _token(server), **({"code": code} if code is not None else {})}
    return requests.get(server.url + "/wecom/cgi-bin/auth/getuserinfo", params=params, timeout=5).json()


def test_a_members_code_works_once(server, client):
    client.wecom_staff(CORPID, "zhangsan", name="张三")
    code = client.wecom_login_code(CORPID, "zhangsan")
    assert _who(server, code) == {"errcode": 0, "errmsg": "ok", "userid": "zhangsan"}
    again = _who(server, code)
    assert again["errcode"] == 40029 and again["errmsg"].startswith("invalid code")


def test_a_non_member_is_answered_with_openid(server, client):
    code = client.wecom_login_code(CORPID, openid="o-guest", external_userid="wm-guest")
    assert _who(server, code) == {"errcode": 0, "errmsg": "ok", "openid": "o-guest", "external_userid": "wm-guest"}


def test_expired_missing_and_foreign_codes(server, client):
    client.wecom_staff(CORPID, "zhangsan")
    code = client.wecom_login_code(CORPID, "zhangsan")
    client.advance(300)
    assert _who(server, code)["errcode"] == 40029
    assert _who(server, None)["errcode"] == 41008
    other = "wwsandbox000002"
    client.register_wecom(other, "other-secret", "othertoken", CORP["aes_key"])
    client.wecom_staff(other, "zhangsan")
    assert _who(server, client.wecom_login_code(other, "zhangsan"))["errcode"] == 40029  # another corp's code


def test_the_login_page_lists_staff_and_a_scan_redirects_with_code_and_state(server, client):
    client.register_wecom(CORPID, CORP["secret"], CORP["token"], CORP["aes_key"], agentid="1000002")
    client.wecom_staff(CORPID, "zhangsan", name="张三")
    link = {"login_type": "CorpApp", "appid": CORPID, "agentid": "1000002",
            "redirect_uri": "https://scrm.example/console/wecom-login/callback?x=1", "state": "st-1"}
    page = requests.get(server.url + "/wwlogin/sso/login", params=link, timeout=5)
    assert page.status_code == 200 and "以此身份扫码 / scan as 张三 (zhangsan)" in page.text
    assert requests.get(server.url + "/wwlogin/sso/login", params={**link, "agentid": "9"},
                        timeout=5).status_code == 400
    assert requests.get(server.url + "/wwlogin/sso/login", params={**link, "login_type": "ServiceApp"},
                        timeout=5).status_code == 400
    scanned = requests.post(server.url + "/wwlogin/sso/scan", data={**link, "userid": "zhangsan"},
                            allow_redirects=False, timeout=5)
    assert scanned.status_code == 302
    back = urllib.parse.urlsplit(scanned.headers["Location"])
    query = dict(urllib.parse.parse_qsl(back.query))
    assert back.netloc == "scrm.example" and query["x"] == "1" and query["state"] == "st-1"
    assert _who(server, query["code"])["userid"] == "zhangsan"
    refused = requests.post(server.url + "/wwlogin/sso/scan", data={**link, "refuse": "1"}, allow_redirects=False,
                            timeout=5)
    assert "code=" not in refused.headers["Location"] and "state=st-1" in refused.headers["Location"]
