"""WeCom web login as the sandbox plays it: the login page, the scan's redirect, and auth/getuserinfo's documented
answers (member, non-member, 40029 for a used, expired or foreign code, 41008 for none, 50001 for a token that is
not the login app's)."""

from __future__ import annotations

import urllib.parse

import pytest
import requests

from .conftest import CORP

CORPID = CORP["corpid"]
AGENTID = "1000002"
LOGIN_SECRET = "login-app-secret"


@pytest.fixture(autouse=True)
def login_app(client):
    """The corp's self-built app staff log in with: its AgentID and its own Secret."""
    client.register_wecom(CORPID, CORP["secret"], agentid=AGENTID, agent_secret=LOGIN_SECRET)


def _token(server, secret: str = LOGIN_SECRET, corpid: str = CORPID) -> str:
    return requests.get(server.url + "/wecom/cgi-bin/gettoken", params={"corpid": corpid, "corpsecret": secret},
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
    client.register_wecom(other, "other-secret", "othertoken", CORP["aes_key"], agentid=AGENTID)
    client.wecom_staff(other, "zhangsan")
    assert _who(server, client.wecom_login_code(other, "zhangsan"))["errcode"] == 40029  # another corp's code


def test_the_customer_contact_token_cannot_redeem_a_login_code(server, client):
    """98177: the token must be the login app's (its trusted domain); any other app's is answered 50001, and
    the code stays usable with the right one."""
    client.wecom_staff(CORPID, "zhangsan")
    code = client.wecom_login_code(CORPID, "zhangsan")
    contact_token = _token(server, CORP["secret"])
    assert contact_token != _token(server)  # every app its own token (91039)
    refused = _who(server, code, contact_token)
    assert refused["errcode"] == 50001 and refused["errmsg"].startswith("redirect_uri unauthorized")
    assert _who(server, code)["userid"] == "zhangsan"


def test_a_corp_without_a_login_app_makes_no_login_codes(server, client):
    other = "wwsandbox000003"
    client.register_wecom(other, "other-secret", "othertoken", CORP["aes_key"])
    client.wecom_staff(other, "zhangsan")
    with pytest.raises(Exception, match="40056"):
        client.wecom_login_code(other, "zhangsan")


def test_the_login_page_lists_staff_and_a_scan_redirects_with_code_and_state(server, client):
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
