"""Console sign-in over chalice.test.Client: a key session and a WeCom staff session used on admin routes, sign
out, staff roles (admin routes, audited, paged), and the WeCom QR login through the sandbox's page."""

from __future__ import annotations

import json
import urllib.parse

import requests

from tests.security.console_helpers import AGENTID, CORPS, give_role, set_cookie


def test_a_key_signs_in_and_its_cookie_works_on_admin_routes(console):
    me, session, csrf = console.sign_in(console.api.key("acct-a", "admin"))
    assert me["principal"].startswith("acct-a.k") and me["role"] == "admin"
    assert (me["account_id"], me["platform"]) == ("acct-a", False)
    assert me["expires_at"].endswith("+08:00") and len(csrf) >= 40
    again = console.call("GET", "/console/session", session=session)
    assert again.status_code == 200 and json.loads(again.body) == me
    listed = console.call("GET", "/accounts/acct-a/channels", session=session)
    assert listed.status_code == 200, listed.body
    made = console.call("POST", "/accounts/acct-a/keys", session=session, csrf=csrf,
                        body={"role": "read-only", "name": "made in the console"})
    assert made.status_code == 201, made.body
    assert json.loads(made.body)["created_by"] == me["principal"]


def test_a_platform_keys_session_is_a_platform_session(console):
    me, session, _ = console.sign_in(console.api.platform_key)
    assert (me["account_id"], me["platform"], me["role"]) == (None, True, "admin")
    assert console.call("GET", "/accounts/acct-b", session=session).status_code == 200


def test_a_session_lasts_eight_hours_by_default(console):
    from datetime import datetime

    me, session, _ = console.sign_in(console.api.key("acct-a"))
    assert abs(datetime.fromisoformat(me["expires_at"]).timestamp() - (console.clock.now + 8 * 3600)) < 1
    console.clock.advance(8 * 3600 - 1)
    assert console.call("GET", "/console/session", session=session).status_code == 200
    console.clock.advance(1)
    assert console.call("GET", "/console/session", session=session).status_code == 401


def test_sign_out_deletes_the_session_and_clears_the_cookie(console):
    _, session, csrf = console.sign_in(console.api.key("acct-a"))
    assert console.call("DELETE", "/console/session", session=session).status_code == 403  # no CSRF token
    out = console.call("DELETE", "/console/session", session=session, csrf=csrf)
    assert out.status_code == 204
    cleared = set_cookie(out)["scrm_session"]
    assert cleared.value == "" and cleared["max-age"] == "0"
    assert console.call("GET", "/console/session", session=session).status_code == 401
    assert console.call("GET", "/accounts/acct-a/channels", session=session).status_code == 401


def test_a_bad_key_gets_401_and_no_cookie(console):
    res = console.call("POST", "/console/session", body={"key": "scrm.acct-a.k0000000000000000." + "0" * 64})
    assert res.status_code == 401 and "Set-Cookie" not in res.headers
    assert console.call("POST", "/console/session", body={}).status_code == 400
    assert console.call("GET", "/console/session").status_code == 401


def test_staff_roles_are_set_listed_and_removed_by_an_admin_and_audited(console):
    admin = console.api.platform_key
    put = console.api.call("PUT", "/accounts/corp-a/console-staff/zhangsan", admin, {"role": "viewer"})
    assert put.status_code == 200, put.body
    assert json.loads(put.body)["role"] == "viewer"
    assert console.api.call("PUT", "/accounts/corp-a/console-staff/lisi", admin, {"role": "boss"}).status_code == 400
    console.api.call("PUT", "/accounts/corp-a/console-staff/lisi", admin, {"role": "admin"})
    first = json.loads(console.api.call("GET", "/accounts/corp-a/console-staff?limit=1", admin).body)
    assert [i["userid"] for i in first["items"]] == ["lisi"] and first["next_cursor"]
    rest = json.loads(console.api.call(
        "GET", f"/accounts/corp-a/console-staff?limit=1&cursor={first['next_cursor']}", admin).body)
    assert [i["userid"] for i in rest["items"]] == ["zhangsan"]
    gone = console.api.call("DELETE", "/accounts/corp-a/console-staff/lisi", admin)
    assert gone.status_code == 200 and json.loads(gone.body)["role"] == "admin"
    assert console.api.call("DELETE", "/accounts/corp-a/console-staff/lisi", admin).status_code == 404
    audit = json.loads(console.api.call("GET", "/accounts/corp-a/audit", admin).body)["items"]
    assert {"console_staff.set", "console_staff.remove"} <= {e["action"] for e in audit}


def test_only_an_admin_of_a_wecom_account_manages_its_staff(console):
    from tests.integration.admin_helpers import register

    register("corp-x-oa")
    admin = console.api.platform_key
    assert console.api.call("PUT", "/accounts/corp-x-oa/console-staff/zhangsan", admin,
                            {"role": "viewer"}).status_code == 400  # an OA has no staff
    assert console.api.call("PUT", "/accounts/acct-a/console-staff/zhangsan", console.api.key("acct-a", "operator"),
                            {"role": "viewer"}).status_code == 403


def test_wecom_login_redirects_to_wecoms_documented_login_link(console):
    url, bound = console.start_login("corp-a")
    parts = urllib.parse.urlsplit(url)
    query = dict(urllib.parse.parse_qsl(parts.query))
    assert f"{parts.scheme}://{parts.netloc}" == console.sandbox_url and parts.path == "/wwlogin/sso/login"
    assert (query["login_type"], query["appid"], query["agentid"]) == ("CorpApp", CORPS["corp-a"], str(AGENTID))
    assert query["redirect_uri"].endswith("/console/wecom-login/callback") and query["state"] == bound
    res = console.call("GET", "/console/wecom-login?account_id=corp-a")
    jar = set_cookie(res)["scrm_wecom_login"]
    assert jar["httponly"] and jar["samesite"] == "Lax" and jar["path"] == "/console/wecom-login"
    assert console.call("GET", "/console/wecom-login?account_id=acct-a").status_code == 400  # not WeCom
    assert console.call("GET", "/console/wecom-login?account_id=nobody").status_code == 404


def test_a_staff_member_scans_on_the_sandbox_page_and_gets_a_session(console):
    give_role("corp-a", "zhangsan", "operator")
    url, bound = console.start_login("corp-a")
    page = requests.get(url, timeout=10)
    assert page.status_code == 200 and "以此身份扫码 / scan as" in page.text and 'data-userid="zhangsan"' in page.text
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
    scanned = requests.post(f"{console.sandbox_url}/wwlogin/sso/scan", data={**query, "userid": "zhangsan"},
                            allow_redirects=False, timeout=10)
    assert scanned.status_code == 302
    back = urllib.parse.urlsplit(scanned.headers["Location"])
    assert back.path == "/console/wecom-login/callback"
    came = dict(urllib.parse.parse_qsl(back.query))
    res = console.callback(came["code"], came["state"], bound)
    assert res.status_code == 302 and res.headers["Location"].endswith("/console"), res.body
    session = set_cookie(res)["scrm_session"].value
    me = json.loads(console.call("GET", "/console/session", session=session).body)
    assert (me["principal"], me["role"], me["account_id"], me["platform"]) == (
        "wecom:corp-a:zhangsan", "operator", "corp-a", False)
    assert console.call("GET", "/accounts/corp-a/channels", session=session).status_code == 200


def test_a_member_without_a_role_or_a_non_member_gets_403(console):
    _, bound = console.start_login("corp-a")
    res = console.callback(console.login_code("corp-a", "lisi"), bound, bound)
    assert res.status_code == 403 and json.loads(res.body)["error"]["code"] == "no_console_role"
    assert "Set-Cookie" not in res.headers
    from local.sandbox import SandboxClient

    _, bound = console.start_login("corp-a")
    outsider = SandboxClient(console.sandbox_url).wecom_login_code(CORPS["corp-a"], openid="o-outsider")
    res = console.callback(outsider, bound, bound)
    assert res.status_code == 403 and json.loads(res.body)["error"]["code"] == "no_console_role"


def test_a_refused_login_comes_back_without_a_code(console):
    give_role("corp-a", "zhangsan")
    _, bound = console.start_login("corp-a")
    res = console.callback(None, bound, bound)
    assert res.status_code == 401 and "Set-Cookie" not in res.headers


def test_a_staff_session_acts_with_the_members_current_role(console):
    give_role("corp-a", "zhangsan", "admin")
    session, csrf = console.staff_sign_in("corp-a", "zhangsan")
    assert console.call("GET", "/accounts/corp-a/console-staff", session=session).status_code == 200
    give_role("corp-a", "zhangsan", "viewer")
    me = json.loads(console.call("GET", "/console/session", session=session).body)
    assert me["role"] == "read-only"
    put = console.call("PUT", "/accounts/corp-a/console-staff/lisi", session=session, csrf=csrf,
                       body={"role": "viewer"})
    assert put.status_code == 403 and json.loads(put.body)["error"]["code"] == "forbidden"


def test_changes_made_with_a_staff_session_are_audited_under_the_member(console):
    give_role("corp-a", "zhangsan", "admin")
    session, csrf = console.staff_sign_in("corp-a", "zhangsan")
    res = console.call("PUT", "/accounts/corp-a/console-staff/lisi", session=session, csrf=csrf,
                       body={"role": "viewer"})
    assert res.status_code == 200, res.body
    assert json.loads(res.body)["updated_by"] == "wecom:corp-a:zhangsan"
    audit = json.loads(console.api.call("GET", "/accounts/corp-a/audit", console.api.platform_key).body)["items"]
    assert any(e["action"] == "console_staff.set" and e["key_id"] == "wecom:corp-a:zhangsan" for e in audit)


def test_behind_a_public_base_url_with_a_path_the_login_cookie_and_links_use_it(console, monkeypatch):
    from scrm.config import reset_settings

    monkeypatch.setenv("SCRM_PUBLIC_BASE_URL", "https://scrm.example/prod")
    reset_settings()
    res = console.call("GET", "/console/wecom-login?account_id=corp-a")
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(res.headers["Location"]).query))
    assert query["redirect_uri"] == "https://scrm.example/prod/console/wecom-login/callback"
    assert set_cookie(res)["scrm_wecom_login"]["path"] == "/prod/console/wecom-login"
