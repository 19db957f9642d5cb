"""Attack: keep using a console session after it expired (the clock is injected; TTL deletes late, reads check)."""

from __future__ import annotations


def test_expired_session_is_refused(console):
    _, session, csrf = console.sign_in(console.api.key("acct-a", "admin"))
    console.clock.advance(8 * 3600)
    assert console.call("GET", "/accounts/acct-a/channels", session=session).status_code == 401
    res = console.call("POST", "/accounts/acct-a/keys", session=session, csrf=csrf, body={"role": "read-only"})
    assert res.status_code == 401
    assert console.call("GET", "/console/session", session=session).status_code == 401


def test_a_session_never_outlives_its_key(console):
    from datetime import datetime

    from scrm.services import admin_keys
    from scrm.tenancy import Scope

    _, key = admin_keys.issue(Scope.system("acct-a"), "acct-a", role="admin", expires_in_days=0.01)  # ~14 minutes
    me, session, _ = console.sign_in(key)
    assert datetime.fromisoformat(me["expires_at"]).timestamp() < console.clock.now + 15 * 60
    console.clock.advance(15 * 60)
    assert console.call("GET", "/accounts/acct-a/channels", session=session).status_code == 401
