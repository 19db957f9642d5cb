"""Attack: present a made-up session cookie, or the stored hash of a real session (as a table dump shows it)."""

from __future__ import annotations

import json
import secrets


def test_forged_session_cookie_is_refused(console):
    forged = secrets.token_urlsafe(32)
    res = console.call("GET", "/accounts/acct-a/channels", session=forged)
    assert res.status_code == 401 and json.loads(res.body)["error"]["code"] == "unauthorized"
    assert console.call("GET", "/console/session", session=forged).status_code == 401
    assert console.call("GET", "/accounts/acct-a/channels", session="x" * 5000).status_code == 401


def test_the_stored_hash_of_a_session_does_not_work_as_its_cookie(console):
    from scrm.services.console_sessions import secret_hash

    _, session, _ = console.sign_in(console.api.key("acct-a"))
    assert console.call("GET", "/accounts/acct-a/channels", session=secret_hash(session)).status_code == 401
    assert console.call("GET", "/accounts/acct-a/channels", session=session).status_code == 200
