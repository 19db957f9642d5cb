"""Table `draws`: one item per draw (instant, lottery or share reward); a win record is a draw with a prize.

Key: campaign_key (hash) + draw_id (range). Instant draws use "i#<openid>#<request_id>", so a retried
request finds its first result (the item is put with `attribute_not_exists` in the draw's transaction);
lottery wins "l#<openid>", share rewards "s#<share_id>#<threshold_id>".
Sparse index `notify`: wins waiting for a winner notification (attribute removed once sent).
"""

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from .registry import table


class NotifyIndex(GlobalSecondaryIndex):
    class Meta:
        index_name = "notify"
        projection = AllProjection()

    notify_campaign = UnicodeAttribute(hash_key=True)
    draw_id = UnicodeAttribute(range_key=True)


@table("draws")
class DrawRecord(Model):
    class Meta:
        pass

    campaign_key = UnicodeAttribute(hash_key=True)
    draw_id = UnicodeAttribute(range_key=True)
    openid = UnicodeAttribute()
    source = UnicodeAttribute()  # instant | lottery | share
    outcome = UnicodeAttribute()  # win | thanks
    prize_id = UnicodeAttribute(null=True)
    prize_kind = UnicodeAttribute(null=True)
    prize_name = UnicodeAttribute(null=True)
    code = UnicodeAttribute(null=True)
    points = NumberAttribute(null=True)
    shard = NumberAttribute(null=True)
    day = UnicodeAttribute(null=True)
    fallback = UnicodeAttribute(null=True)  # why a picked prize became thanks (out_of_stock, win_limit)
    created_at = NumberAttribute()
    redeemed_at = NumberAttribute(null=True)
    redeemed_by = UnicodeAttribute(null=True)
    redemption_note = UnicodeAttribute(null=True)
    notify_campaign = UnicodeAttribute(null=True)
    notified_at = NumberAttribute(null=True)
    notify_error = UnicodeAttribute(null=True)
    notify_attempts = NumberAttribute(null=True)
    notify_index = NotifyIndex()


