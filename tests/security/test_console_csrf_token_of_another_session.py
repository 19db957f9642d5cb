"""Attack (CSRF): a change made with the victim's cookie and a CSRF token the attacker got from their own session."""

from __future__ import annotations

import json


def test_csrf_token_of_another_session_is_refused(console):
    from scrm.services import console_sessions
    from scrm.tenancy import Scope

    console_sessions.set_staff_role(Scope.system("corp-a"), "corp-a", "lisi", "viewer")
    _, victim, _ = console.sign_in(console.api.platform_key)
    _, _, attackers = console.sign_in(console.api.key("acct-a", "read-only"))
    res = console.call("PUT", "/accounts/corp-a/console-staff/lisi", session=victim, csrf=attackers,
                       body={"role": "admin"})
    assert res.status_code == 403 and json.loads(res.body)["error"]["code"] == "csrf_failed"
    from scrm.bootstrap import console_store

    assert console_store().get_staff_role("corp-a", "lisi").role == "viewer"


def test_the_refusal_is_audited_under_the_session_it_came_with(console):
    _, victim, _ = console.sign_in(console.api.platform_key)
    res = console.call("PUT", "/accounts/corp-a/console-staff/lisi", session=victim, csrf="not-the-token",
                       body={"role": "admin"})
    assert res.status_code == 403
    audit = json.loads(console.api.call("GET", "/accounts/corp-a/audit", console.api.platform_key).body)["items"]
    assert any(e["action"] == "console_staff.set" and e["outcome"] == "denied" for e in audit), audit
