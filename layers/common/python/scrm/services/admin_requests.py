"""Idempotency-Key support for admin create calls: the first response is stored and replayed."""

from __future__ import annotations

import hashlib
import json

from ..errors import Conflict


def item_id(account_id: str | None, key_id: str, method: str, path: str, idempotency_key: str) -> str:
    return f"{account_id or '_platform'}#{key_id}#{method} {path}#{idempotency_key}"


def body_hash(body: dict) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def begin(item: str, digest: str) -> tuple[int, object] | None:
    """None: go ahead (the key is ours now). Otherwise the stored (status, body) to replay."""
    from ..data import admin_idempotency

    existing = admin_idempotency.claim(item, digest)
    if existing is None:
        return None
    if existing.body_hash != digest:
        raise Conflict("this Idempotency-Key was already used with a different request body")
    if existing.state != "done":
        raise Conflict("a request with this Idempotency-Key is still in progress; retry later")
    return int(existing.status), json.loads(existing.response or "null")


def finish(item: str, status: int, body) -> None:
    from ..data import admin_idempotency

    admin_idempotency.complete(item, status, json.dumps(body, default=str))


def abandon(item: str) -> None:
    from ..data import admin_idempotency

    admin_idempotency.release(item)
