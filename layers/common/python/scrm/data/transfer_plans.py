"""Table `transfer_plans`: one reassignment plan (a handover's customers and chats and where they go).

Keys: account_id / plan_id (time-ordered). GSI `by_handover` (account_id#handover, created_at) gives a
staff member's history; sparse GSI `active` (active_flag, plan_id) lists plans still being worked on.
"""

from pynamodb.attributes import ListAttribute, MapAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from .registry import table


class ByHandover(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_handover"
        projection = AllProjection()

    handover_key = UnicodeAttribute(hash_key=True)
    created_at = NumberAttribute(range_key=True)


class ActivePlans(GlobalSecondaryIndex):
    class Meta:
        index_name = "active"
        projection = AllProjection()

    active_flag = UnicodeAttribute(hash_key=True)
    plan_id = UnicodeAttribute(range_key=True)


@table("transfer_plans")
class TransferPlan(Model):
    class Meta:
        pass

    account_id = UnicodeAttribute(hash_key=True)
    plan_id = UnicodeAttribute(range_key=True)
    handover_userid = UnicodeAttribute()
    handover_key = UnicodeAttribute()
    mode = UnicodeAttribute()  # resigned | onjob
    trigger = UnicodeAttribute()  # callback | admin | sweep
    strategy = UnicodeAttribute()
    takeovers = ListAttribute(of=UnicodeAttribute, default=list)
    status = UnicodeAttribute()  # preview | running | done | cancelled
    active_flag = UnicodeAttribute(null=True)  # "1" while running (sparse index)
    created_at = NumberAttribute()
    updated_at = NumberAttribute()
    finished_at = NumberAttribute(null=True)
    next_batch = NumberAttribute(default=0)
    rounds = NumberAttribute(default=1)
    counts = MapAttribute(default=dict)
    policy = MapAttribute(default=dict)  # the policy the plan was made with (frozen copy)
    error = UnicodeAttribute(null=True)
    requested_by = UnicodeAttribute(null=True)
    lease_owner = UnicodeAttribute(null=True)  # one worker per plan at a time
    lease_until = NumberAttribute(null=True)

    by_handover = ByHandover()
    active = ActivePlans()
