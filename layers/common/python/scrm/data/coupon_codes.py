"""Table `coupon_codes`: uploaded redemption codes, one item per slot, claimed once.

Key: pool_key "account#campaign#prize_id" (hash) + sk (range):
- "slot#<shard>#<n>": the n-th code of a stock shard; claimed in the draw's transaction with
  `attribute_not_exists(claimed_by)` (slot n is the shard's `issued` value seen by the winning draw);
- "code#<code>": a marker that makes each code unique in its pool and finds the slot on redemption.
"""

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from .registry import table


@table("coupon_codes")
class CouponCode(Model):
    class Meta:
        pass

    pool_key = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    code = UnicodeAttribute()
    slot = UnicodeAttribute(null=True)  # on markers: the slot sk
    claimed_by = UnicodeAttribute(null=True)
    draw_id = UnicodeAttribute(null=True)
    claimed_at = NumberAttribute(null=True)


def pool_key(account_id: str, campaign_id: str, prize_id: str) -> str:
    return f"{account_id}#{campaign_id}#{prize_id}"


def slot_sk(shard: int, n: int) -> str:
    return f"slot#{shard:03d}#{n:09d}"


def code_sk(code: str) -> str:
    return f"code#{code}"
