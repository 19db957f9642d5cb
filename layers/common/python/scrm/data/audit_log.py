"""Table `audit_log`: who (key id) did what (action) to which object, when, and how it ended.

Partition key is the account the action concerned (`_platform` for platform-level actions); the sort
key starts with the ISO time so an account's log reads newest first in one Query. Written and read through the
audit store (scrm.stores.audit); the erasure of personal data (scrm.services.privacy) scrubs entries here.
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.models import Model

from ..stores.audit.base import RETENTION_DAYS  # noqa: F401 (how long an entry is kept)
from .registry import table


@table("audit_log")
class AuditEntry(Model):
    class Meta:
        pass

    account_id = UnicodeAttribute(hash_key=True)
    entry_id = UnicodeAttribute(range_key=True)  # "<ISO time>#<random>"
    at = UTCDateTimeAttribute()
    key_id = UnicodeAttribute()
    action = UnicodeAttribute()  # e.g. "account.create", "key.revoke"
    object = UnicodeAttribute(default="")  # the request path or object id
    outcome = UnicodeAttribute()  # "ok" | "error" | "denied"
    status = NumberAttribute(default=0)  # HTTP status answered
    method = UnicodeAttribute(default="")
    detail = UnicodeAttribute(null=True)  # error code/message on failure
    request_id = UnicodeAttribute(null=True)
    expires = TTLAttribute(null=True)
