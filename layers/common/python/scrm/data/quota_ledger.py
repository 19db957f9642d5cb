"""Table `quota_ledger`: how many pushes each recipient (or the account) received in a period.

One item per (account, delivery, scope, period, recipient) — see scrm.domain.quotas.ledger_key. A
reservation is a conditional increment that also records the holder (push run), so reserving twice for
the same run is a no-op and two runs can never both take the last slot.
"""

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute, UnicodeSetAttribute
from pynamodb.models import Model

from .registry import table


@table("quota_ledger")
class QuotaLedgerRecord(Model):
    class Meta:
        pass

    key = UnicodeAttribute(hash_key=True)
    used = NumberAttribute(null=True)
    holders = UnicodeSetAttribute(null=True)
    ttl = TTLAttribute(null=True)
