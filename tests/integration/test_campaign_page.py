"""The campaign page over HTTP (chalice test client, moto, the sandbox): the page and its files with a strict CSP,
WeChat web sign-in (authorize URL, code exchange, refused codes), wx.config for our own pages only, and the
jsapi_ticket cached like the access token."""

from __future__ import annotations

import json
import threading
import time
import urllib.parse

import pytest
import requests

from scrm.tenancy import Scope

HOST = "shop.example"
PAGE = f"http://{HOST}/c/test-oa/spring"


@pytest.fixture
def http(oa_account):
    from chalice.test import Client

    from app import app

    with Client(app) as client:
        yield client.http


@pytest.fixture
def sandbox_client(sandbox):
    from local.sandbox import SandboxClient

    return SandboxClient(sandbox.url)


def get(http, path, **headers):
    return http.get(path, headers={"Host": HOST, **headers})


def campaign(account, **over):
    from scrm.services import campaigns as svc

    now = time.time()
    body = {"campaign_id": "spring", "name": "春季抽奖", "starts_at": int(now - 60), "ends_at": int(now + 3600),
            "status": "active", "eligibility": {"must_follow": False},
            "prizes": [{"prize_id": "mug", "name": "马克杯", "kind": "physical", "weight": 1, "stock": 5}]}
    body.update(over)
    return svc.create_campaign(Scope.system(account.account_id), account.account_id, body)


# ---------------------------------------------------------------- the page and its files


def test_the_page_and_its_files_are_served_with_a_strict_csp(http):
    page = get(http, "/c/test-oa/spring")
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    csp = page.headers["Content-Security-Policy"]
    for rule in ("default-src 'self'", "script-src 'self'", "style-src 'self'", "object-src 'none'",
                 "frame-ancestors 'none'", "base-uri 'none'", "connect-src 'self'"):
        assert rule in csp
    assert page.headers["Referrer-Policy"] == "no-referrer"  # the one-time code must not leak in a Referer
    html = page.body.decode()
    assert "<script>" not in html and " style=" not in html and "<style" not in html  # nothing inline
    assert 'lang="zh-CN"' in html
    for name, media in (("campaign.js", "text/javascript"), ("campaign.css", "text/css"),
                        ("jweixin.js", "text/javascript"), ("wx-module.js", "text/javascript")):
        r = get(http, f"/c/assets/{name}")
        assert r.status_code == 200 and r.headers["Content-Type"].startswith(media), name
        assert r.headers["Content-Security-Policy"] == csp
        assert f"../assets/{name}" in html
    assert "jWeixin" in get(http, "/c/assets/jweixin.js").body.decode()  # our copy, not res.wx.qq.com
    assert "res.wx.qq.com" not in html


@pytest.mark.parametrize("path", ["/c/assets/index.html", "/c/assets/..%2Fcampaign.py", "/c/assets/nope.js"])
def test_only_named_assets_are_served(http, path):
    r = get(http, path)
    assert r.status_code == 404 and json.loads(r.body)["error"]["code"] == "not_found"


# ---------------------------------------------------------------- signing in


def test_the_authorize_url_has_wechats_shape(http, oa_account, sandbox):
    campaign(oa_account)
    back = PAGE + "?share=abc"
    r = get(http, "/u/test-oa/oauth/authorize-url?" + urllib.parse.urlencode({"redirect_uri": back,
                                                                              "state": "a1b2c3d4e5f6"}))
    assert r.status_code == 200, r.body
    url = json.loads(r.body)["url"]
    assert url.startswith(f"{sandbox.url}/open/connect/oauth2/authorize?") and url.endswith("#wechat_redirect")
    query = urllib.parse.urlsplit(url).query
    pairs = urllib.parse.parse_qsl(query)
    assert [k for k, _ in pairs] == ["appid", "redirect_uri", "response_type", "scope", "state"]  # WeChat's order
    assert dict(pairs) == {"appid": oa_account.app_id, "redirect_uri": back, "response_type": "code",
                           "scope": "snsapi_base", "state": "a1b2c3d4e5f6"}


def sign_in_code(sandbox, http, openid):
    """What a browser does: open our authorize URL, be this user on the sandbox's page, follow WeChat's 302."""
    url = json.loads(get(http, "/u/test-oa/oauth/authorize-url?" + urllib.parse.urlencode(
        {"redirect_uri": PAGE, "state": "st4te-0001"})).body)["url"].split("#")[0]
    page = requests.get(url, timeout=10)
    assert page.status_code == 200 and "authorize/confirm" in page.text
    back = requests.get(url.replace("/authorize?", "/authorize/confirm?") + "&openid=" + openid, timeout=10,
                        allow_redirects=False)
    assert back.status_code == 302
    where = urllib.parse.urlsplit(back.headers["Location"])
    q = dict(urllib.parse.parse_qsl(where.query))
    assert f"{where.scheme}://{where.netloc}{where.path}" == PAGE and q["state"] == "st4te-0001"
    return q["code"]


def oauth(http, code):
    return http.post("/u/test-oa/oauth", headers={"Content-Type": "application/json"},
                     body=json.dumps({"code": code}))


def test_a_code_signs_the_user_in_once(http, oa_account, sandbox):
    campaign(oa_account)
    code = sign_in_code(sandbox, http, "o-page-user-1")
    first = oauth(http, code)
    assert first.status_code == 200, first.body
    body = json.loads(first.body)
    assert body["openid"] == "o-page-user-1" and body["token"].count(".") == 2
    me = http.get("/u/test-oa/campaigns/spring/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200 and json.loads(me.body)["draws"] == 0  # the token is the user's
    again = oauth(http, code)  # WeChat: 40163 code been used
    err = json.loads(again.body)["error"]
    assert again.status_code == 401 and err["code"] == "bad_oauth_code" and "already used" in err["message"]


def test_an_invalid_code_is_a_clear_refusal(http, oa_account):
    r = oauth(http, "not-a-code-wechat-issued")  # WeChat: 40029 invalid code
    err = json.loads(r.body)["error"]
    assert r.status_code == 401 and err["code"] == "bad_oauth_code" and "invalid or expired" in err["message"]


def test_wechat_trouble_during_sign_in_is_not_a_refused_code(http, oa_account, sandbox_client):
    sandbox_client.fault("sns/oauth2/access_token", errcode=-1, platform="oa")
    r = oauth(http, "any-code-at-all")
    assert r.status_code in (502, 503) and json.loads(r.body)["error"]["code"] != "bad_oauth_code"


# ---------------------------------------------------------------- wx.config


def test_jssdk_config_signs_our_page_with_the_ticket(http, oa_account, sandbox):
    from scrm.domain import jssdk

    url = PAGE + "?share=abc"
    r = get(http, "/u/test-oa/jssdk-config?" + urllib.parse.urlencode({"url": url + "#t=secret"}))
    assert r.status_code == 200, r.body
    cfg = json.loads(r.body)
    assert set(cfg) == {"appId", "timestamp", "nonceStr", "signature"} and cfg["appId"] == oa_account.app_id
    ticket = sandbox.sandbox.oa.web.tickets[oa_account.app_id]["ticket"]
    assert cfg["signature"] == jssdk.signature(ticket, cfg["nonceStr"], cfg["timestamp"], url)  # no fragment
    assert abs(cfg["timestamp"] - time.time()) < 600


def test_jssdk_config_needs_a_url_and_a_known_account(http, oa_account):
    assert json.loads(get(http, "/u/test-oa/jssdk-config").body)["error"]["code"] == "missing_url"
    unknown = get(http, "/u/nobody-oa/jssdk-config?url=" + urllib.parse.quote(PAGE))
    assert unknown.status_code == 404


# ---------------------------------------------------------------- the jsapi_ticket cache


def test_the_ticket_is_cached_and_refreshed_on_expiry(oa_account, sandbox, sandbox_client):
    from scrm.gateway import OfficialAccountGateway
    from scrm.gateway.tokens import TokenCache, forget_memory

    now = [time.time()]
    gateway = OfficialAccountGateway(oa_account, token_cache=TokenCache(lock_seconds=5, clock=lambda: now[0]))
    first = gateway.jsapi_ticket()
    assert gateway.jsapi_ticket() == first
    forget_memory()  # another container: reads the shared copy
    assert OfficialAccountGateway(oa_account, token_cache=TokenCache(clock=lambda: now[0])).jsapi_ticket() == first
    assert sandbox.sandbox.oa.web.ticket_fetches[oa_account.app_id] == 1
    now[0] += 7200 - 300  # WeChat's 7200 s less our early refresh
    sandbox_client.advance(7200)
    forget_memory()
    renewed = gateway.jsapi_ticket()
    assert renewed != first and sandbox.sandbox.oa.web.ticket_fetches[oa_account.app_id] == 2


def test_concurrent_cold_callers_fetch_the_ticket_once(oa_account, sandbox):
    from scrm.gateway import OfficialAccountGateway
    from scrm.gateway.tokens import TokenCache, forget_memory
    from tests.timing import Clock

    clock = Clock()  # does not move: a slow machine cannot expire the first caller's lock
    gate = threading.Barrier(12)
    results = []

    def cold_container():
        gateway = OfficialAccountGateway(oa_account, token_cache=TokenCache(lock_seconds=5, clock=clock))
        gate.wait()
        results.append(gateway.jsapi_ticket())

    forget_memory()
    threads = [threading.Thread(target=cold_container) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 12 and len(set(results)) == 1
    assert sandbox.sandbox.oa.web.ticket_fetches[oa_account.app_id] == 1
