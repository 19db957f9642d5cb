"""Table `channel_stats`: sharded per-channel daily counters.

Hash `pk` = `<account_id>#<shard>` (shard 00..SHARDS-1, chosen at random per write), range
`sk` = `<channel_id>#<day>`. Each item holds every metric of one (channel, day, shard); a reader asks each
shard for one channel's day range (`sk` between `<channel>#<from>` and `<channel>#<to>`) and sums, so a
report reads exactly the counters of the channels it shows, never the whole account. No single item or
partition key takes more than 1/SHARDS of an account's attribution writes.
"""

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from .registry import table


@table("channel_stats")
class ChannelStatItem(Model):
    class Meta:
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    account_id = UnicodeAttribute(null=True)
    channel_id = UnicodeAttribute(null=True)
    day = UnicodeAttribute(null=True)
    scans = NumberAttribute(null=True)
    new_follows = NumberAttribute(null=True)
    refollows = NumberAttribute(null=True)
    unfollows = NumberAttribute(null=True)
    customers_added = NumberAttribute(null=True)
    customers_lost = NumberAttribute(null=True)
    lost_d1 = NumberAttribute(null=True)
    lost_d7 = NumberAttribute(null=True)
    lost_d30 = NumberAttribute(null=True)
    group_joins = NumberAttribute(null=True)  # customers who joined a group through a group code (wecom_group)
    group_quits = NumberAttribute(null=True)


def stat_sk(channel_id: str, day: str) -> str:
    return f"{channel_id}#{day}"


def query_channel(scope, account_id: str, shard_key: str, channel_id: str, start: str, end: str):
    """One shard's rows of one channel for days start..end (inclusive)."""
    scope.check(account_id)
    if not shard_key.startswith(f"{account_id}#"):
        raise ValueError("shard key of another account")
    return ChannelStatItem.query(shard_key, ChannelStatItem.sk.between(stat_sk(channel_id, start),
                                                                       stat_sk(channel_id, end)))
