"""Attack: keep using a console session after its key was revoked (or its account disabled)."""

from __future__ import annotations


def test_revoked_keys_session_is_refused_at_once(console):
    key = console.api.key("acct-a", "operator")
    _, session, _ = console.sign_in(key)
    key_id = ".".join(key.split(".")[1:3])
    revoked = console.api.call("DELETE", f"/accounts/acct-a/keys/{key_id}", console.api.key("acct-a", "admin"))
    assert revoked.status_code == 200, revoked.body
    assert console.call("GET", "/accounts/acct-a/channels", session=session).status_code == 401
    assert console.call("GET", "/console/session", session=session).status_code == 401


def test_a_disabled_accounts_key_session_is_refused(console):
    _, session, _ = console.sign_in(console.api.key("acct-b", "read-only"))
    disabled = console.api.call("POST", "/accounts/acct-b/disable", console.api.platform_key)
    assert disabled.status_code == 200, disabled.body
    assert console.call("GET", "/accounts/acct-b/channels", session=session).status_code == 403
