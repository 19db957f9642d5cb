"""Table `erasures`: tombstones of people erased on request (PIPL), so a late event cannot re-create them.

One item per (account, identifier): hash `key` = SHA-256 of "<account_id>#<kind>:<value>" (kind openid,
external_userid or unionid), so the table never holds an identifier in clear; `erased_at` is when the erasure
ran. Workers drop a queued event for that person created at or before `erased_at` (an event still in a queue or
DLQ); a later event is a new follow or add, a new consent, and is applied. Kept for EXPIRE_SECONDS: longer than
any message can wait (SQS keeps a message 14 days at most, a redriven DLQ message 14 more).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.models import Model

from .registry import table

EXPIRE_SECONDS = 90 * 86400
KINDS = ("openid", "external_userid", "unionid")


@table("erasures")
class ErasureTombstone(Model):
    class Meta:
        pass

    key = UnicodeAttribute(hash_key=True)
    erased_at = NumberAttribute()
    expires = TTLAttribute(null=True)


def tombstone_key(account_id: str, kind: str, value: str) -> str:
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}")
    return hashlib.sha256(f"{account_id}#{kind}:{value}".encode()).hexdigest()


def record(scope, account_id: str, kind: str, value: str, at: float) -> None:
    """Write (or move forward) the tombstone; repeating an erasure keeps the latest time."""
    scope.check(account_id)
    ErasureTombstone(tombstone_key(account_id, kind, value), erased_at=at,
                     expires=datetime.fromtimestamp(at + EXPIRE_SECONDS, UTC)).save()


def erased_at(scope, account_id: str, identities: list[tuple[str, str]]) -> float | None:
    """The latest erasure time among these (kind, value) identities of the account, or None (one BatchGet)."""
    scope.check(account_id)
    keys = sorted({tombstone_key(account_id, k, v) for k, v in identities if v})
    if not keys:
        return None
    found = [float(t.erased_at) for t in ErasureTombstone.batch_get(keys)]
    return max(found) if found else None
