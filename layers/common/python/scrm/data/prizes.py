"""Table `prizes`: prize stock, split over shard items so one hot prize is not one hot item.

Key: campaign_key "account#campaign" (hash) + shard_key "prize_id#k" (range). `stock` is how many
units the shard holds in total, `issued` how many were handed out. A win is the conditional update
`issued < stock` (or, for coupons, `issued = :seen`, which also names the code slot) inside the draw's
transaction, so stock can never go negative and a cancelled transaction leaves it untouched.
"""

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from .registry import table


@table("prizes")
class PrizeShard(Model):
    class Meta:
        pass

    campaign_key = UnicodeAttribute(hash_key=True)
    shard_key = UnicodeAttribute(range_key=True)
    prize_id = UnicodeAttribute()
    shard = NumberAttribute()
    kind = UnicodeAttribute()
    stock = NumberAttribute(default=0)
    issued = NumberAttribute(default=0)


def shard_key(prize_id: str, shard: int) -> str:
    return f"{prize_id}#{shard:03d}"
