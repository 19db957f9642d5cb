"""Attack: guess an admin key at POST /console/session, from one place or for one key id from many places.

After SIGN_IN_FAILURES (10) failed sign-ins in a 5-minute window from one source IP, or for one key id, every
sign-in from there (or with that key id) is 429 `rate_limited` with Retry-After until the window ends; the
counts live in the console store (DynamoDB here), on the injected clock."""

from __future__ import annotations

import json

import pytest

from scrm.services import console_sessions
from scrm.services.console_sessions import SIGN_IN_FAILURES, SIGN_IN_WINDOW_SECONDS


def _sign_in(console, key: str):
    return console.call("POST", "/console/session", body={"key": key})


def test_guessing_from_one_source_is_slowed_to_429_with_retry_after(console):
    console.clock.now = 10 * SIGN_IN_WINDOW_SECONDS * 1_000_000 + 60  # a minute into a window
    good = console.api.key("acct-a")
    key_id = good.rsplit(".", 1)[0]
    for i in range(SIGN_IN_FAILURES):
        res = _sign_in(console, f"scrm.acct-b.k{i:016x}.{'0' * 64}")
        assert res.status_code == 401, res.body
    limited = _sign_in(console, f"{key_id}.{'f' * 64}")
    assert limited.status_code == 429 and json.loads(limited.body)["error"]["code"] == "rate_limited"
    assert limited.headers["Retry-After"] == str(SIGN_IN_WINDOW_SECONDS - 60 + 1)
    assert _sign_in(console, good).status_code == 429  # even the right key, from there, until the window ends
    console.clock.advance(SIGN_IN_WINDOW_SECONDS - 60)
    assert _sign_in(console, good).status_code == 201


def test_guessing_one_keys_secret_from_many_sources_is_limited_per_key(console):
    from scrm.errors import RateLimited, Unauthorized

    console.clock.now = 20 * SIGN_IN_WINDOW_SECONDS * 1_000_000
    key_id = console.api.key("acct-a").rsplit(".", 1)[0]
    for i in range(SIGN_IN_FAILURES):
        with pytest.raises(Unauthorized):
            console_sessions.sign_in_with_key(f"{key_id}.{i:064x}", source_ip=f"198.51.100.{i}")
    with pytest.raises(RateLimited):
        console_sessions.sign_in_with_key(console.api.key("acct-a"), source_ip="203.0.113.9")
    # another key, from a fresh source, is not held back by that key's failures
    session_id, _ = console_sessions.sign_in_with_key(console.api.key("acct-b"), source_ip="203.0.113.9")
    assert session_id


def test_no_raw_source_ip_or_key_text_is_stored(console):
    import boto3

    from scrm.data.console_access import ConsoleItem

    _sign_in(console, "scrm.acct-a.k0000000000000000." + "1" * 64)
    items = json.dumps(boto3.client("dynamodb").scan(TableName=ConsoleItem.Meta.table_name)["Items"])
    assert "failures#" in items and "127.0.0.1" not in items and "k0000000000000000" not in items
