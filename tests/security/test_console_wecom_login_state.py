"""Attack (login CSRF): a WeCom login callback with a forged state, another browser's state, or a used one."""

from __future__ import annotations

import json
import secrets

from tests.security.console_helpers import give_role


def _refused(res) -> bool:
    return (res.status_code == 403 and json.loads(res.body)["error"]["code"] == "login_state_invalid"
            and "Set-Cookie" not in res.headers)


def test_wecom_login_state_forged_is_refused(console):
    give_role("corp-a", "zhangsan")
    forged = secrets.token_urlsafe(32)
    assert _refused(console.callback(console.login_code("corp-a", "zhangsan"), forged, forged))  # never issued
    _, bound = console.start_login("corp-a")
    assert _refused(console.callback(console.login_code("corp-a", "zhangsan"), bound, None))  # no cookie
    _, victims = console.start_login("corp-a")
    _, attackers = console.start_login("corp-a")
    # the attacker's own state in the victim's browser (whose cookie holds the victim's state)
    assert _refused(console.callback(console.login_code("corp-a", "zhangsan"), attackers, victims))


def test_wecom_login_state_replayed_is_refused(console):
    give_role("corp-a", "zhangsan")
    _, bound = console.start_login("corp-a")
    assert console.callback(console.login_code("corp-a", "zhangsan"), bound, bound).status_code == 302
    assert _refused(console.callback(console.login_code("corp-a", "zhangsan"), bound, bound))


def test_an_expired_login_state_is_refused(console):
    give_role("corp-a", "zhangsan")
    _, bound = console.start_login("corp-a")
    console.clock.advance(601)
    assert _refused(console.callback(console.login_code("corp-a", "zhangsan"), bound, bound))
