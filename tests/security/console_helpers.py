"""The console sign-in's test bench: the app over chalice.test.Client, admin keys for two OA accounts, two WeCom
corps (registered here and in the sandbox, with a login app and staff), an injected clock, and helpers to sign
in and to call with the session cookie."""

from __future__ import annotations

import json
import urllib.parse
from dataclasses import dataclass
from http.cookies import SimpleCookie

from tests.integration.admin_helpers import AdminApi, demo_secrets, make_api
from tests.timing import Clock

AGENTID = 1000005


def login_secret(account_id: str) -> str:
    """The Secret of the corp's login app (AGENTID): its own, not the customer-contact Secret."""
    return f"login-secret-{account_id}"

CORPS = {"corp-a": "ww0000000000corpa1", "corp-b": "ww0000000000corpb1"}
STAFF = ("zhangsan", "lisi")


@dataclass
class Console:
    api: AdminApi
    sandbox_url: str
    clock: Clock

    @property
    def http(self):
        return self.api.client.http

    def call(self, method: str, path: str, *, session: str | None = None, csrf: str | None = None, body=None,
             headers: dict | None = None):
        h = {"Content-Type": "application/json", **(headers or {})}
        if session is not None:
            h["Cookie"] = f"scrm_session={session}"
        if csrf is not None:
            h["X-CSRF-Token"] = csrf
        raw = None if body is None else json.dumps(body)
        return getattr(self.http, method.lower())(path, headers=h, body=raw)

    def sign_in(self, key: str, headers: dict | None = None):
        """(answer, session id from the cookie, csrf token) of POST /console/session with `key`."""
        res = self.call("POST", "/console/session", body={"key": key}, headers=headers)
        assert res.status_code == 201, res.body
        return json.loads(res.body), set_cookie(res)["scrm_session"].value, json.loads(res.body)["csrf_token"]

    def login_code(self, account_id: str, userid: str) -> str:
        from local.sandbox import SandboxClient

        return SandboxClient(self.sandbox_url).wecom_login_code(CORPS[account_id], userid)

    def start_login(self, account_id: str) -> tuple[str, str]:
        """(WeCom's login URL, the state cookie's value) of GET /console/wecom-login."""
        res = self.call("GET", f"/console/wecom-login?account_id={account_id}")
        assert res.status_code == 302, res.body
        return res.headers["Location"], set_cookie(res)["scrm_wecom_login"].value

    def callback(self, code: str | None, state: str, bound: str | None):
        query = urllib.parse.urlencode({k: v for k, v in (("code", code), ("state", state)) if v is not None})
        headers = {"Cookie": f"scrm_wecom_login={bound}"} if bound is not None else {}
        return self.call("GET", f"/console/wecom-login/callback?{query}", headers=headers)

    def staff_sign_in(self, account_id: str, userid: str) -> tuple[str, str]:
        """(session id, csrf token) of a staff member who scanned and came back."""
        _, bound = self.start_login(account_id)
        res = self.callback(self.login_code(account_id, userid), bound, bound)
        assert res.status_code == 302, res.body
        session = set_cookie(res)["scrm_session"].value
        me = self.call("GET", "/console/session", session=session)
        return session, json.loads(me.body)["csrf_token"]


def set_cookie(res) -> SimpleCookie:
    jar = SimpleCookie()
    jar.load(res.headers.get("Set-Cookie") or res.headers.get("set-cookie") or "")
    return jar


def state_of(login_url: str) -> str:
    return urllib.parse.parse_qs(urllib.parse.urlsplit(login_url).query)["state"][0]


def register_corps(sandbox_url: str) -> None:
    from local.sandbox import SandboxClient
    from scrm import accounts

    sb = SandboxClient(sandbox_url)
    for account_id, corpid in CORPS.items():
        s = demo_secrets(account_id)
        accounts.register(account_id, "wecom", corpid, f"Corp {account_id}", options={"console_login_agentid": AGENTID},
                          console_login_secret=login_secret(account_id), **s)
        sb.register_wecom(corpid, s["app_secret"], s["token"], s["aes_key"], agentid=str(AGENTID),
                          agent_secret=login_secret(account_id))
        for userid in STAFF:
            sb.wecom_staff(corpid, userid, name=f"员工{userid}")


def give_role(account_id: str, userid: str, role: str = "operator") -> None:
    from scrm.services import console_sessions
    from scrm.tenancy import Scope

    console_sessions.set_staff_role(Scope.system(account_id), account_id, userid, role)


def console_bench(sandbox, monkeypatch):
    """The `console` fixture of tests/conftest.py (under `aws`): yields a Console."""
    from chalice.test import Client

    from app import app
    from scrm import bootstrap
    from scrm.config import reset_settings

    monkeypatch.setenv("WECOM_BASE_URL", f"{sandbox.url}/wecom")
    monkeypatch.setenv("WECOM_LOGIN_BASE_URL", sandbox.url)
    reset_settings()
    clock = Clock()
    bootstrap.container().clock = clock
    register_corps(sandbox.url)
    with Client(app) as client:
        yield Console(api=make_api(client), sandbox_url=sandbox.url, clock=clock)
    reset_settings()
