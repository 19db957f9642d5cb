"""Table `interactions`: per follower, the customer-service window's allowances (domain.service_window): when a
message from them, and when a menu click, follow or scan, last opened one, and how many customer-service messages
were counted against each since. Written from callback events and by the senders' conditional claims."""

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.models import Model

from .registry import table


@table("interactions")
class InteractionRecord(Model):
    class Meta:
        pass

    account_id = UnicodeAttribute(hash_key=True)
    openid = UnicodeAttribute(range_key=True)
    message_at = NumberAttribute(null=True)
    message_sent = NumberAttribute(null=True)
    action_at = NumberAttribute(null=True)
    action_sent = NumberAttribute(null=True)
    ttl = TTLAttribute(null=True)  # a week after the newest opening: both allowances have ended by then
