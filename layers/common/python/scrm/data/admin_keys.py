"""Table `admin_keys`: admin API keys, stored as a SHA-256 of the key, never the key itself.

Partition key is the owning account (`_platform` for platform keys); the key id starts with it too, so a
presented key `scrm.<key_id>.<secret>` names its own item: one GetItem authenticates it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pynamodb.attributes import UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.models import Model

from ..errors import Forbidden, NotFound
from ..tenancy import Scope
from .registry import table

PLATFORM = "_platform"  # not a valid account_id (accounts.ACCOUNT_ID), so it never collides


@table("admin_keys")
class AdminKeyRecord(Model):
    class Meta:
        pass

    account_id = UnicodeAttribute(hash_key=True)  # owning account, or PLATFORM
    key_id = UnicodeAttribute(range_key=True)  # "<account_id>.k<hex>": the visible prefix of the key
    key_hash = UnicodeAttribute()  # sha256 hex of the whole presented key
    role = UnicodeAttribute()  # read-only | operator | admin
    name = UnicodeAttribute(default="")
    created_at = UTCDateTimeAttribute()
    created_by = UnicodeAttribute(default="")
    expires_at = UTCDateTimeAttribute(null=True)
    revoked_at = UTCDateTimeAttribute(null=True)
    revoked_by = UnicodeAttribute(null=True)

    def status(self, now: datetime | None = None) -> str:
        now = now or datetime.now(UTC)
        if self.revoked_at:
            return "revoked"
        if self.expires_at and self.expires_at <= now:
            return "expired"
        return "active"


# --- repository (tenancy checked here, whatever the caller)


def lookup(account_id: str, key_id: str) -> AdminKeyRecord | None:
    """Authentication lookup: no scope yet (this is how a scope is obtained)."""
    try:
        return AdminKeyRecord.get(account_id, key_id, consistent_read=True)
    except AdminKeyRecord.DoesNotExist:
        return None


def save(scope: Scope, record: AdminKeyRecord) -> AdminKeyRecord:
    if record.account_id != PLATFORM:
        scope.check(record.account_id)
    elif scope.key_id != "system":
        raise_forbidden(scope)
    record.save(condition=AdminKeyRecord.key_id.does_not_exist())
    return record


def get(scope: Scope, account_id: str, key_id: str) -> AdminKeyRecord:
    scope.check(account_id)
    rec = lookup(account_id, key_id) if key_id.startswith(f"{account_id}.") and len(key_id) <= 200 else None
    if rec is None:
        raise NotFound(f"no key {key_id!r} in account {account_id!r}")
    return rec


def query(scope: Scope, account_id: str, *, limit: int, start: dict | None = None):
    scope.check(account_id)
    return AdminKeyRecord.query(account_id, limit=limit, last_evaluated_key=start)


def revoke(scope: Scope, account_id: str, key_id: str) -> AdminKeyRecord:
    rec = get(scope, account_id, key_id)
    if rec.revoked_at is None:
        rec.update(actions=[AdminKeyRecord.revoked_at.set(datetime.now(UTC)),
                            AdminKeyRecord.revoked_by.set(scope.key_id)],
                   condition=AdminKeyRecord.revoked_at.does_not_exist())
    return rec


def platform_keys() -> list[AdminKeyRecord]:
    return list(AdminKeyRecord.query(PLATFORM))


def raise_forbidden(scope: Scope):
    raise Forbidden(f"key {scope.key_id} may not create platform keys")
