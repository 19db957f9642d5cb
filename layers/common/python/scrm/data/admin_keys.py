"""Table `admin_keys`: admin API keys, stored as a SHA-256 of the key, never the key itself.

Partition key is the owning account (`_platform` for platform keys); the key id starts with it too, so a
presented key `scrm.<key_id>.<secret>` names its own item: one GetItem authenticates it.
"""

from __future__ import annotations

from datetime import datetime

from pynamodb.attributes import UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.models import Model

from ..stores.admin_keys.base import PLATFORM, key_status  # noqa: F401 (PLATFORM: the owner of platform keys)
from .registry import table


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
        return key_status(self.revoked_at, self.expires_at, now)


# --- the repository (tenancy, conditions) is the admin key store: scrm.stores.admin_keys.dynamo.


def lookup(account_id: str, key_id: str) -> AdminKeyRecord | None:
    """The record of a key by id (strongly consistent), for code that reads the table itself."""
    try:
        return AdminKeyRecord.get(account_id, key_id, consistent_read=True)
    except AdminKeyRecord.DoesNotExist:
        return None
