"""Table `members`: an account's member list (会员名单) and its member-verified group codes' verifications.

Partition key account_id, sort key `item_id`:
- `m#<member_id>`: a member: phone_hash (HMAC-SHA256 under the account's `member_phone_key`, never the number),
  name, level, created_at, updated_at;
- `v#<channel_id>#<openid>`: a customer who proved membership on a group code's page (member_id, verified_at);
- `t#<openid>#<hour>`: verification tries of one signed-in user in one hour (count; TTL two hours);
- `f#<channel_id>`: the code's figures (verified, refused, joined, joined_verified; ADD counters: a person types
  slowly, no code gets near a partition's 1,000 writes/s);
- `j#<marker>`: a figure counted once per marker (the store's `count(marker=...)`; TTL 8 days). Joins are counted
  in the membership transaction instead (scrm.services.members.joins).
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.models import Model

from .registry import table

MEMBER = "m#"
VERIFIED = "v#"
TRIES = "t#"
FIGURES = "f#"
JOIN = "j#"


@table("members")
class MemberRecord(Model):
    class Meta:
        pass

    account_id = UnicodeAttribute(hash_key=True)
    item_id = UnicodeAttribute(range_key=True)
    member_id = UnicodeAttribute(null=True)
    phone_hash = UnicodeAttribute(null=True)
    name = UnicodeAttribute(null=True)
    level = UnicodeAttribute(null=True)
    created_at = NumberAttribute(null=True)
    updated_at = NumberAttribute(null=True)
    openid = UnicodeAttribute(null=True)
    verified_at = NumberAttribute(null=True)
    count = NumberAttribute(null=True)
    verified = NumberAttribute(null=True)
    refused = NumberAttribute(null=True)
    joined = NumberAttribute(null=True)
    joined_verified = NumberAttribute(null=True)
    expires_at = TTLAttribute(null=True)


# The repository (tenancy, conditions) is the member store: scrm.stores.members.dynamo.
