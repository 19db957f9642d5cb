"""Table `transfers`: one item per customer or group chat of a plan, with every per-call result.

Keys: plan_key (account_id#plan_id) / item_key ("c#<external_userid>" | "g#<chat_id>").
GSI `by_target` (target_key = account_id#target id) finds the items of a customer (transfer_fail).
"""

from pynamodb.attributes import ListAttribute, MapAttribute, NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from .registry import table


class ByTarget(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_target"
        projection = AllProjection()

    target_key = UnicodeAttribute(hash_key=True)
    updated_at = NumberAttribute(range_key=True)


@table("transfers")
class TransferItem(Model):
    class Meta:
        pass

    plan_key = UnicodeAttribute(hash_key=True)
    item_key = UnicodeAttribute(range_key=True)
    account_id = UnicodeAttribute()
    plan_id = UnicodeAttribute()
    kind = UnicodeAttribute()  # customer | chat
    target_id = UnicodeAttribute()
    target_key = UnicodeAttribute()
    handover_userid = UnicodeAttribute()
    takeover_userid = UnicodeAttribute(null=True)
    tried = ListAttribute(of=UnicodeAttribute, default=list)
    state = UnicodeAttribute()
    batch_id = UnicodeAttribute(null=True)
    errcode = NumberAttribute(default=0)
    reason = UnicodeAttribute(null=True)
    submitted_at = NumberAttribute(null=True)
    takeover_time = NumberAttribute(null=True)
    updated_at = NumberAttribute()
    history = ListAttribute(of=MapAttribute, default=list)  # each call's answer for this target
    expires = TTLAttribute(null=True)  # a year after its last change (stores/reassignment/dynamo.py)

    by_target = ByTarget()
