"""Table `transfer_batches`: one transfer call's worth (<= 100 targets, one takeover) and its lease.

A batch goes pending -> sending (leased, BEFORE the call) -> sent (AFTER the per-target results are
stored). A `sending` batch whose lease ran out is reconciled with transfer_result before any resend.
"""

from pynamodb.attributes import ListAttribute, MapAttribute, NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.models import Model

from .registry import table


@table("transfer_batches")
class TransferBatch(Model):
    class Meta:
        pass

    plan_key = UnicodeAttribute(hash_key=True)
    batch_id = UnicodeAttribute(range_key=True)  # b000001 ...
    kind = UnicodeAttribute()  # customer | chat
    takeover_userid = UnicodeAttribute()
    targets = ListAttribute(of=UnicodeAttribute, default=list)
    state = UnicodeAttribute()  # pending | sending | sent
    round = NumberAttribute(default=1)
    attempts = NumberAttribute(default=0)
    lease_owner = UnicodeAttribute(null=True)
    lease_until = NumberAttribute(null=True)
    created_at = NumberAttribute()
    sent_at = NumberAttribute(null=True)
    last_error = UnicodeAttribute(null=True)
    summary = MapAttribute(default=dict)
    expires = TTLAttribute(null=True)  # a year after it was made (stores/reassignment/dynamo.py)
