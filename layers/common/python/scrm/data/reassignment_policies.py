"""Table `reassignment_policies`: per account, how takeovers are chosen and what runs automatically."""

from pynamodb.attributes import MapAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from .registry import table


@table("reassignment_policies")
class ReassignmentPolicyRecord(Model):
    class Meta:
        pass

    account_id = UnicodeAttribute(hash_key=True)
    policy = MapAttribute(default=dict)
    updated_at = NumberAttribute()
    updated_by = UnicodeAttribute(null=True)
