"""Table `shares`: share-to-win links and the distinct people who viewed or re-shared them.

Key: campaign_key (hash) + sk (range):
- "s#<share_id>": the link of one participant (owner, views, shares, granted threshold ids);
- "v#<share_id>#<openid>": one viewer (put with attribute_not_exists: each person counts once);
- "f#<share_id>#<openid>": one onward sharer (same).
A threshold is granted with `NOT contains(granted, :t)` so it is granted once.
"""

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UnicodeSetAttribute
from pynamodb.models import Model

from .registry import table


@table("shares")
class ShareRecord(Model):
    class Meta:
        pass

    campaign_key = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    share_id = UnicodeAttribute(null=True)
    owner = UnicodeAttribute(null=True)
    parent = UnicodeAttribute(null=True)
    views = NumberAttribute(null=True)
    shares = NumberAttribute(null=True)
    granted = UnicodeSetAttribute(null=True)
    created_at = NumberAttribute(null=True)


def link_sk(share_id: str) -> str:
    return f"s#{share_id}"


def view_sk(share_id: str, openid: str) -> str:
    return f"v#{share_id}#{openid}"


def forward_sk(share_id: str, openid: str) -> str:
    return f"f#{share_id}#{openid}"
