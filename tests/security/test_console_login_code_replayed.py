"""Attack: replay a WeCom login code (seen in a URL, a log, a referrer) to open a second session."""

from __future__ import annotations

import json

from tests.security.console_helpers import give_role


def test_login_code_replayed_is_refused(console):
    give_role("corp-a", "zhangsan")
    code = console.login_code("corp-a", "zhangsan")
    _, bound = console.start_login("corp-a")
    assert console.callback(code, bound, bound).status_code == 302
    _, fresh = console.start_login("corp-a")
    res = console.callback(code, fresh, fresh)
    assert res.status_code == 401 and "Set-Cookie" not in res.headers
    assert "40029" in json.loads(res.body)["error"]["message"]


def test_an_expired_login_code_is_refused(console):
    from local.sandbox import SandboxClient

    give_role("corp-a", "zhangsan")
    code = console.login_code("corp-a", "zhangsan")
    SandboxClient(console.sandbox_url).advance(301)
    _, bound = console.start_login("corp-a")
    assert console.callback(code, bound, bound).status_code == 401
