"""Attack (CSRF): a change sent with the ambient session cookie but without the session's X-CSRF-Token."""

from __future__ import annotations

import json


def _keys(console) -> list[str]:
    listed = console.api.call("GET", "/accounts/acct-a/keys?limit=100", console.api.platform_key)
    return sorted(k["key_id"] for k in json.loads(listed.body)["items"])


def test_change_without_csrf_token_is_refused_and_changes_nothing(console):
    _, session, _ = console.sign_in(console.api.key("acct-a", "admin"))
    before = _keys(console)
    for csrf in (None, ""):
        res = console.call("POST", "/accounts/acct-a/keys", session=session, csrf=csrf, body={"role": "admin"})
        assert res.status_code == 403 and json.loads(res.body)["error"]["code"] == "csrf_failed"
    assert _keys(console) == before


def test_a_bearer_key_needs_no_csrf_token(console):
    res = console.api.call("POST", "/accounts/acct-a/keys", console.api.key("acct-a", "admin"), {"role": "read-only"})
    assert res.status_code == 201, res.body


def test_sign_out_without_csrf_token_keeps_the_session(console):
    _, session, _ = console.sign_in(console.api.key("acct-a"))
    res = console.call("DELETE", "/console/session", session=session)
    assert res.status_code == 403 and json.loads(res.body)["error"]["code"] == "csrf_failed"
    assert console.call("GET", "/console/session", session=session).status_code == 200
