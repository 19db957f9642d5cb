"""Table `campaigns`: one item per campaign (its validated configuration and lottery state).

Key: account_id (hash) + campaign_id (range). The configuration is a JSON document validated by
scrm.domain.campaigns; lottery fields record the published seed commitment and the result.
"""

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.models import Model

from .registry import table


@table("campaigns")
class CampaignRecord(Model):
    class Meta:
        pass

    account_id = UnicodeAttribute(hash_key=True)
    campaign_id = UnicodeAttribute(range_key=True)
    config = JSONAttribute()
    status = UnicodeAttribute(default="draft")
    starts_at = NumberAttribute()
    ends_at = NumberAttribute()
    version = NumberAttribute(default=1)
    # lottery: pending -> drawn; commitment = sha256(seed) published before the end; seed kept in SSM
    lottery_state = UnicodeAttribute(null=True)
    lottery_commitment = UnicodeAttribute(null=True)
    lottery_result = JSONAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()


def campaign_key(account_id: str, campaign_id: str) -> str:
    """The partition key every per-campaign table uses (account first: tenancy)."""
    return f"{account_id}#{campaign_id}"
