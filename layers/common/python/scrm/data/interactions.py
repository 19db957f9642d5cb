"""Table `interactions`: a follower's last interaction with the OA (opens the 48-hour customer-service
window). Written from callback events (text, click, subscribe, scan, ...)."""

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.models import Model

from .registry import table


@table("interactions")
class InteractionRecord(Model):
    class Meta:
        pass

    account_id = UnicodeAttribute(hash_key=True)
    openid = UnicodeAttribute(range_key=True)
    last_at = NumberAttribute()
    last_kind = UnicodeAttribute(null=True)
    ttl = TTLAttribute(null=True)
