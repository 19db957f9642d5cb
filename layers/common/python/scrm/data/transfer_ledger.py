"""Table `transfer_ledger`: our own record of each on-job transfer of a customer (2 per 90 days).

Keys: customer_key (account_id#external_userid) / entry (<epoch>#<plan_id>#<takeover>), written
idempotently (same key on a retry); `void` once the transfer was refused or hit the takeover's limit.
"""

from pynamodb.attributes import BooleanAttribute, NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.models import Model

from .registry import table


@table("transfer_ledger")
class TransferLedgerEntry(Model):
    class Meta:
        pass

    customer_key = UnicodeAttribute(hash_key=True)
    entry = UnicodeAttribute(range_key=True)
    at = NumberAttribute()
    plan_id = UnicodeAttribute()
    takeover_userid = UnicodeAttribute()
    mode = UnicodeAttribute()
    void = BooleanAttribute(default=False)
    expires = TTLAttribute(null=True)
