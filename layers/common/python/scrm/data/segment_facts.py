"""Table `segment_facts`: each unified contact's facts, the index a segment rule is answered from, the exactly-once
markers of the events that changed them, saved rule segments and the account's RFM bands.

Items (hash `pk`, range `sk`):
- `p#<book>#<key>`, sk `p`: one person's facts (`facts`: JSON, scrm.domain.segments) and `version` (every write
  is conditional on it). `<book>` is the contact book's partition (the account's own, or a shared book's, so an
  OA follower and a WeCom customer joined by unionid are one record), `<key>` the unified contact:
  `u:<unionid>`, else `oa:<account>:<openid>` / `wecom:<account>:<external_userid>`.
- `x#<book>#<term>#<shard>`, sk `<n:013d>#<key>`: an index entry (term `tag:<id>`, `ch:<id>`, `all`, `first`,
  `last`, or a count's name; `n` its ordered value, 0 for a set term). The shard is a hash of the key (SHARDS),
  so no partition takes more than a fraction of a busy term's writes and a removal finds its entry again.
  Written in the same transaction as the facts they come from.
- `e#<sha256(account|event key)>`, sk `m`: an event applied (TTL `expires`): its redelivery's transaction fails.
- `s#<account>`, sk `seg#<segment_id>`: a rule segment (`name`, `rule` JSON, `created_at`); sk `#rfm`: the
  account's RFM bands (`body` JSON).
"""

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.models import Model

from .registry import table

PROFILE_SK = "p"
MARKER_SK = "m"
SEGMENT = "seg#"
RFM_SK = "#rfm"


def profile_pk(book: str, key: str) -> str:
    return f"p#{book}#{key}"


def index_pk(book: str, term: str, shard: int) -> str:
    return f"x#{book}#{term}#{shard:02d}"


def index_sk(n: int, key: str) -> str:
    return f"{n:013d}#{key}"


@table("segment_facts")
class SegmentFactItem(Model):
    class Meta:
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    facts = UnicodeAttribute(null=True)  # JSON
    version = NumberAttribute(null=True)
    key = UnicodeAttribute(null=True)  # an index entry's person
    name = UnicodeAttribute(null=True)
    rule = UnicodeAttribute(null=True)  # JSON
    body = UnicodeAttribute(null=True)  # JSON
    created_at = NumberAttribute(null=True)
    expires = TTLAttribute(null=True)
