"""Attack (CSRF from another site): a change with the cookie and even the right token, sent from another origin."""

from __future__ import annotations

import json

import pytest


@pytest.mark.parametrize("headers", [{"Origin": "https://evil.example"}, {"Origin": "null"},
                                     {"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"}])
def test_cross_site_origin_is_refused(console, headers):
    from scrm.bootstrap import console_store
    from scrm.services import console_sessions
    from scrm.tenancy import Scope

    console_sessions.set_staff_role(Scope.system("corp-a"), "corp-a", "lisi", "viewer")
    _, session, csrf = console.sign_in(console.api.platform_key)
    res = console.call("PUT", "/accounts/corp-a/console-staff/lisi", session=session, csrf=csrf,
                       body={"role": "admin"}, headers=headers)
    assert res.status_code == 403 and json.loads(res.body)["error"]["code"] == "csrf_failed"
    assert console_store().get_staff_role("corp-a", "lisi").role == "viewer"


def test_the_consoles_own_origin_is_accepted(console):
    _, session, csrf = console.sign_in(console.api.platform_key)
    res = console.call("PUT", "/accounts/corp-a/console-staff/lisi", session=session, csrf=csrf,
                       body={"role": "viewer"},
                       headers={"Host": "scrm.example", "Origin": "http://scrm.example",
                                "Sec-Fetch-Site": "same-origin"})
    assert res.status_code == 200, res.body
