"""Console sign-in over HTTP on the local stack: a key session's cookie on an admin GET and a POST with the CSRF
token, and a WeCom staff member's QR login through the sandbox's login page, following the redirects."""

from __future__ import annotations

import html
import re

import pytest
import requests

pytestmark = pytest.mark.e2e


def test_sign_in_with_a_key_and_use_the_cookie(stack):
    api = stack.api
    browser = requests.Session()
    res = browser.post(f"{api}/console/session", json={"key": stack.info["demo-oa admin key"]}, timeout=30)
    assert res.status_code == 201, res.text
    assert "HttpOnly" in res.headers["Set-Cookie"] and "SameSite=Strict" in res.headers["Set-Cookie"]
    csrf = res.json()["csrf_token"]
    assert stack.info["demo-oa admin key"] not in res.text + res.headers["Set-Cookie"]
    assert browser.get(f"{api}/accounts/demo-oa", timeout=30).status_code == 200
    refused = browser.post(f"{api}/accounts/demo-oa/keys", json={"role": "read-only"}, timeout=30)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "csrf_failed"
    made = browser.post(f"{api}/accounts/demo-oa/keys", json={"role": "read-only", "name": "from the console"},
                        headers={"X-CSRF-Token": csrf}, timeout=30)
    assert made.status_code == 201, made.text
    assert browser.delete(f"{api}/console/session", headers={"X-CSRF-Token": csrf}, timeout=30).status_code == 204
    assert browser.get(f"{api}/accounts/demo-oa", timeout=30).status_code == 401


def test_wecom_qr_login_through_the_sandbox_page(stack):
    api = stack.api
    browser = requests.Session()
    page = browser.get(f"{api}/console/wecom-login?account_id=demo-wecom", timeout=30)
    assert page.status_code == 200 and page.url.startswith(stack.sandbox_url), page.text
    form = next(f for f in re.findall(r"<form .*?</form>", page.text, re.S) if 'value="zhangsan"' in f)
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', form))
    action = re.search(r'action="([^"]+)"', form)[1]
    landed = browser.post(stack.sandbox_url + action, data={k: html.unescape(v) for k, v in fields.items()},
                          timeout=30)
    hops = [r.status_code for r in landed.history]
    assert hops[:2] == [302, 302], (hops, landed.text)  # the sandbox back to us, we to /console
    assert landed.url.endswith("/console")
    me = browser.get(f"{api}/console/session", timeout=30)
    assert me.status_code == 200, me.text
    assert (me.json()["principal"], me.json()["role"], me.json()["account_id"]) == (
        "wecom:demo-wecom:zhangsan", "admin", "demo-wecom")
    assert browser.get(f"{api}/accounts/demo-wecom/console-staff", timeout=30).status_code == 200
