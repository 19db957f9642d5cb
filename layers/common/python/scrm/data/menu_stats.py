"""Table `menu_stats`: sharded per-entry daily counters of menu clicks, and the markers that make them exact.

- Counters: hash `pk` = `<account_id>#<shard>` (shard 00..SHARDS-1 chosen at random per write, the channel
  counters' scheme: scrm.stores.channels), range `sk` = `<day>#<entry_id>`, attributes `clicks` and `users`.
  A report asks each shard for a day range (`sk` between `<from>#` and `<to>#~`) and sums, so it reads the
  counters of those days only, and no counter item takes more than 1/SHARDS of an entry's clicks.
- Markers (`sk` = "m"): `pk` = `e#<sha256(account|dedupe key)>` for an event counted (a redelivered event's
  transaction fails on it), `u#<sha256(account|openid|entry|day)>` for a user counted that day on that entry
  (`by`: the event that claimed it, so that event's redelivery after a crash still counts the user).
  Hashes only, with a TTL (`expires`): no openid is stored.
"""

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.models import Model

from .registry import table

MARKER_SK = "m"


@table("menu_stats")
class MenuStatItem(Model):
    class Meta:
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    account_id = UnicodeAttribute(null=True)
    entry_id = UnicodeAttribute(null=True)
    day = UnicodeAttribute(null=True)
    label = UnicodeAttribute(null=True)  # the entry's key or URL (cut to 200 characters)
    clicks = NumberAttribute(null=True)
    users = NumberAttribute(null=True)
    by = UnicodeAttribute(null=True)  # a user marker: the event hash that claimed it
    expires = TTLAttribute(null=True)
