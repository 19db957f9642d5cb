"""Table `erasure_requests`: erasures of a person asked for through the admin API or the CLI (PIPL), carried out
by the erasure worker in steps (scrm.services.privacy.job). Written and read through the privacy store
(scrm.stores.privacy).

Partition key is the account, sort key the request id. `person` holds what the worker needs to resume (every
identifier of the person in the account, the contact id, the pseudonym and the share ids' new names, all fixed
when the request was made) only while the request is not done: the step that finishes it removes `person`, so a
finished request keeps the identifier's kind, who asked, when, and the counts per table, never who was erased.
Expires (TTL) EXPIRE_DAYS after it was made: the record that a request was met, as long as the audit log's.
"""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.models import Model

from .registry import table

EXPIRE_DAYS = 400


@table("erasure_requests")
class ErasureRequestRecord(Model):
    class Meta:
        pass

    account_id = UnicodeAttribute(hash_key=True)
    request_id = UnicodeAttribute(range_key=True)
    status = UnicodeAttribute()  # pending | running | done | failed
    kind = UnicodeAttribute()  # the identifier the request named the person by: openid, external_userid, unionid
    requested_by = UnicodeAttribute()  # the admin key id
    requested_at = NumberAttribute()
    person = JSONAttribute(null=True)  # removed when done (see the module docstring)
    cursor = NumberAttribute(default=0)  # the next table to erase, in scrm.services.privacy.TABLES order
    steps = NumberAttribute(default=0)  # worker steps taken (one per table, and one per re-run of a crashed step)
    counts = JSONAttribute(default=dict)  # table -> items erased or pseudonymised
    updated_at = NumberAttribute()
    finished_at = NumberAttribute(null=True)
    error = UnicodeAttribute(null=True)  # why it failed (the exception's type: never a message with data in it)
    expires = TTLAttribute(null=True)
