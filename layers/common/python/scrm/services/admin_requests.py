"""Idempotency-Key support for admin create calls: the first response is stored and replayed.

Nothing secret is stored: a response value marked `ShownOnce` (a new API key, an account's callback Token and
EncodingAESKey) goes to the caller in the first response only. The stored copy has it replaced by null, and a
replay says which fields were withheld and how to get a new value (`secrets_withheld`). The body digest is an
HMAC keyed with the caller's own API key, so a low-entropy secret in a request body (a Token the admin chose)
cannot be guessed from the table either.
"""

from __future__ import annotations

import hashlib
import hmac
import json

from ..data import admin_idempotency
from ..errors import Conflict

WITHHELD = "secrets_withheld"


class ShownOnce(str):
    """A secret in a create response: sent to the caller once, never written to a table.

    `how_to_get_again` tells the caller of a replay what to do instead (rotate, or the audited setup view)."""

    how_to_get_again: str

    def __new__(cls, value: str, how_to_get_again: str) -> ShownOnce:
        obj = super().__new__(cls, value)
        obj.how_to_get_again = how_to_get_again
        return obj


def item_id(account_id: str | None, key_id: str, method: str, path: str, idempotency_key: str) -> str:
    return f"{account_id or '_platform'}#{key_id}#{method} {path}#{idempotency_key}"


def body_hash(body: dict, caller_key: str) -> str:
    """HMAC-SHA256 of the canonical body, keyed with the presented API key (the table has only its SHA-256)."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    return hmac.new(caller_key.encode(), canonical, hashlib.sha256).hexdigest()


def begin(item: str, digest: str) -> tuple[int, object] | None:
    """None: go ahead (the key is ours now). Otherwise the stored (status, body) to replay."""
    existing = admin_idempotency.claim(item, digest)
    if existing is None:
        return None
    if not hmac.compare_digest(existing.body_hash, digest):
        raise Conflict("this Idempotency-Key was already used with a different request body")
    if existing.state != "done":
        raise Conflict("a request with this Idempotency-Key is still in progress; retry later")
    return int(existing.status), json.loads(existing.response or "null")


def without_secrets(body):
    """(body with every ShownOnce value replaced by None, {field path: how to get it again})."""
    withheld: dict[str, str] = {}

    def walk(value, path):
        if isinstance(value, ShownOnce):
            withheld[path] = value.how_to_get_again
            return None
        if isinstance(value, dict):
            return {k: walk(v, f"{path}.{k}" if path else str(k)) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [walk(v, f"{path}[{i}]") for i, v in enumerate(value)]
        return value

    return walk(body, ""), withheld


def replay_body(body, withheld: dict[str, str]):
    if not withheld or not isinstance(body, dict):
        return body
    hints = list(dict.fromkeys(withheld.values()))
    return {**body, WITHHELD: {
        "fields": sorted(withheld),
        "message": "this is a replay of the first response: the secret values in it were shown once, in that "
                   "response, and are stored nowhere. " + " ".join(hints)}}


def finish(item: str, status: int, body) -> None:
    stored, withheld = without_secrets(body)
    admin_idempotency.complete(item, status, json.dumps(replay_body(stored, withheld), default=str))


def abandon(item: str) -> None:
    admin_idempotency.release(item)
