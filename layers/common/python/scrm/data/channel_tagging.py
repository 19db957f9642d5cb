"""Table `channel_tagging`: taggings waiting to be applied in batches.

Hash `account_id`, range `sk`:
- OA: `oa#<tag_id>#<openid>` — flushed with tags/members/batchtagging, 50 openids a call.
- WeCom: `wecom#<userid>#<external_userid>` with `tags` — flushed with one mark_tag per relationship.
Written in the same transaction as the attribution, deleted once WeChat accepted the tagging.
"""

from pynamodb.attributes import ListAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from .registry import table


@table("channel_tagging")
class PendingTagging(Model):
    class Meta:
        pass

    account_id = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    tags = ListAttribute(null=True)
    attempts = NumberAttribute(null=True)
    queued_at = NumberAttribute(null=True)
