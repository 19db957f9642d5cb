"""Attack surface: the session cookie must not be readable by script, sent cross-site, or sent over plain http
when the console is served over https."""

from __future__ import annotations

from tests.security.console_helpers import give_role, set_cookie


def test_cookie_attributes_httponly_samesite_strict(console):
    res = console.call("POST", "/console/session", body={"key": console.api.key("acct-a")})
    morsel = set_cookie(res)["scrm_session"]
    assert morsel["httponly"] and morsel["samesite"] == "Strict" and morsel["path"] == "/"
    assert 8 * 3600 - 5 <= int(morsel["max-age"]) <= 8 * 3600
    assert not morsel["secure"]  # http (chalice local): a Secure cookie would never come back


def test_cookie_is_secure_on_https(console):
    res = console.call("POST", "/console/session", body={"key": console.api.key("acct-a")},
                       headers={"X-Forwarded-Proto": "https"})
    assert set_cookie(res)["scrm_session"]["secure"]
    give_role("corp-a", "zhangsan")
    login = console.call("GET", "/console/wecom-login?account_id=corp-a", headers={"X-Forwarded-Proto": "https"})
    state = set_cookie(login)["scrm_wecom_login"]
    assert state["secure"] and state["httponly"]
    back = console.callback(console.login_code("corp-a", "zhangsan"), state.value, state.value)
    assert back.status_code == 302  # http here: no Secure on this one
    https = console.call("GET", "/console/wecom-login?account_id=corp-a", headers={"X-Forwarded-Proto": "https"})
    bound = set_cookie(https)["scrm_wecom_login"].value
    from urllib.parse import urlencode

    staff = console.call("GET", "/console/wecom-login/callback?" + urlencode(
        {"code": console.login_code("corp-a", "zhangsan"), "state": bound}),
        headers={"Cookie": f"scrm_wecom_login={bound}", "X-Forwarded-Proto": "https"})
    cookie = set_cookie(staff)["scrm_session"]
    assert cookie["secure"] and cookie["httponly"] and cookie["samesite"] == "Strict"
