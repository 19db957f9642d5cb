"""Table `transfer_notices`: what each takeover was told they received (one notice per plan round)."""

from pynamodb.attributes import ListAttribute, NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.models import Model

from .registry import table


@table("transfer_notices")
class TransferNotice(Model):
    class Meta:
        pass

    plan_key = UnicodeAttribute(hash_key=True)
    notice_key = UnicodeAttribute(range_key=True)  # <takeover>#<n>
    takeover_userid = UnicodeAttribute()
    customers = NumberAttribute(default=0)
    chats = NumberAttribute(default=0)
    sample = ListAttribute(of=UnicodeAttribute, default=list)
    text = UnicodeAttribute()
    delivery = UnicodeAttribute()  # recorded | sent | failed: <reason>
    created_at = NumberAttribute()
    expires = TTLAttribute(null=True)  # a year after it was made (stores/reassignment/dynamo.py)
