"""The sandbox's web authorization (网页授权) and JS-SDK ticket, in the documented shapes including the errors.

https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/Wechat_webpage_authorization.html
https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/JS-SDK.html (获取jsapi_ticket)
"""

from __future__ import annotations

import urllib.parse

import requests

from .conftest import OA, oa_client

APPID = OA["appid"]
PAGE = "https://shop.example/c/shop-oa/spring?share=abc"


def authorize(server, params, confirm_openid=None):
    path = "/open/connect/oauth2/authorize" + ("/confirm" if confirm_openid is not None else "")
    query = urllib.parse.urlencode(params + ([("openid", confirm_openid)] if confirm_openid is not None else []))
    return requests.get(f"{server.url}{path}?{query}", timeout=5, allow_redirects=False)


def link(state="st4te-123", **over):
    base = {"appid": APPID, "redirect_uri": PAGE, "response_type": "code", "scope": "snsapi_base", "state": state}
    base.update(over)
    return list(base.items())


def exchange(server, code, **over):
    q = {"appid": APPID, "secret": OA["secret"], "code": code, "grant_type": "authorization_code", **over}
    return requests.get(f"{server.url}/oa/sns/oauth2/access_token", params=q, timeout=5).json()


def code_for(server, openid="o-web-user-1", state="st4te-123"):
    r = authorize(server, link(state), confirm_openid=openid)
    assert r.status_code == 302, r.text
    where = urllib.parse.urlsplit(r.headers["Location"])
    q = dict(urllib.parse.parse_qsl(where.query))
    assert (where.scheme, where.netloc, where.path) == ("https", "shop.example", "/c/shop-oa/spring")
    assert q["share"] == "abc" and q["state"] == state  # the page's own query kept, WeChat's added
    return q["code"]


def test_the_authorize_page_asks_who_then_redirects_with_code_and_state(server, client):
    client.oa_event(APPID, "subscribe", openid="o-follower-1")
    page = authorize(server, link())
    assert page.status_code == 200 and "text/html" in page.headers["Content-Type"]
    assert "o-follower-1" in page.text  # a follower can be picked
    code = code_for(server)
    assert len(code) >= 16


def test_the_authorize_page_lists_the_newest_followers_first_however_many_came_before(server, client):
    """The page offers 50 followers; with more, the one who just followed is still among them (it was not: the
    first 50 by creation were listed, so a browser test run after others that made followers found no button)."""
    client.oa_followers(APPID, count=80, prefix="oEarlier")
    client.oa_event(APPID, "subscribe", openid="o-just-followed")
    page = authorize(server, link()).text
    assert 'value="o-just-followed"' in page
    assert page.index("o-just-followed") < page.index("oEarlier")  # newest first
    assert page.count('name="openid" value=') == 50


def test_the_code_gives_the_openid_once(server, client):
    code = code_for(server, "o-web-user-2")
    first = exchange(server, code)
    assert first["openid"] == "o-web-user-2" and first["scope"] == "snsapi_base"
    assert {"access_token", "expires_in", "refresh_token"} <= set(first) and first["expires_in"] == 7200
    again = exchange(server, code)
    assert again["errcode"] == 40163 and "code been used" in again["errmsg"]


def test_invalid_expired_and_foreign_codes_are_40029(server, client):
    assert exchange(server, "not-a-code")["errcode"] == 40029
    code = code_for(server)
    client.advance(301)  # a code lives 5 minutes
    assert exchange(server, code)["errcode"] == 40029
    assert exchange(server, "")["errcode"] == 41008
    assert exchange(server, code_for(server), grant_type="client_credential")["errcode"] == 40002
    assert exchange(server, code_for(server), secret="wrong")["errcode"] == 40125


def test_a_web_token_is_not_an_api_token(server, client):
    token = exchange(server, code_for(server))["access_token"]
    r = requests.get(f"{server.url}/oa/cgi-bin/user/get", params={"access_token": token}, timeout=5).json()
    assert r["errcode"] == 40001


def test_links_wechat_refuses(server, client):
    reordered = [("redirect_uri", PAGE), ("appid", APPID), ("response_type", "code"), ("scope", "snsapi_base"),
                 ("state", "st4te-123")]
    for params, errcode in ((reordered, "10003"), (link(scope="snsapi_login"), "10005"),
                            (link(appid="wxunknown"), "10016"), (link(response_type="token"), "10004")):
        r = authorize(server, params)
        assert r.status_code == 400 and errcode in r.text, (params, r.text)
        assert authorize(server, params, confirm_openid="o-1").status_code == 400  # no code either


def test_jsapi_ticket_shape_and_lifetime(server, client):
    wx = oa_client(server.url)
    first = wx.get("ticket/getticket", params={"type": "jsapi"})
    assert first["errcode"] == 0 and first["errmsg"] == "ok" and first["expires_in"] == 7200 and first["ticket"]
    assert wx.get("ticket/getticket", params={"type": "jsapi"})["ticket"] == first["ticket"]  # lives its 7200 s
    client.advance(7200)
    wx = oa_client(server.url)  # the access token ended with the ticket
    assert wx.get("ticket/getticket", params={"type": "jsapi"})["ticket"] != first["ticket"]
    bad = requests.get(f"{server.url}/oa/cgi-bin/ticket/getticket", params={"type": "jsapi"}, timeout=5).json()
    assert bad["errcode"] == 41001  # no access token
