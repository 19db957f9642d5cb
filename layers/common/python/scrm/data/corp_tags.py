"""Table `corp_tags`: a WeCom corp's customer tag catalogue (企业客户标签库), as last read from WeCom.

Partition key account_id, sort key `item_id`: `group#<group_id>` for a tag group (name, order, create_time),
`tag#<tag_id>` for a tag (its group_id, name, order, create_time), and `synced` (when the whole catalogue was last
read with get_corp_tag_list). One Query reads an account's catalogue (WeCom caps a corp at a few thousand tags).
WeCom is the source of truth: every item is replaced whole by what WeCom answered, so no write needs a version.
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from .registry import table

GROUP = "group#"
TAG = "tag#"
SYNCED = "synced"


@table("corp_tags")
class CorpTagRecord(Model):
    class Meta:
        pass

    account_id = UnicodeAttribute(hash_key=True)
    item_id = UnicodeAttribute(range_key=True)
    name = UnicodeAttribute(null=True)
    group_id = UnicodeAttribute(null=True)  # tags only
    order = NumberAttribute(default=0)
    create_time = NumberAttribute(null=True)  # WeCom's, epoch seconds
    synced_at = NumberAttribute(null=True)  # `synced` only: epoch seconds


# The repository (tenancy, conditions) is the tag store: scrm.stores.tags.dynamo.
