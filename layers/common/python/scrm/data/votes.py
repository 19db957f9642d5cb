"""Table `votes`: a vote campaign's ballots, per-user limits and the live counters.

Key: campaign_key "account#campaign" (hash) + sk (range):
- "b#<openid>#<request_id>": one ballot (the option, the campaign-local day); put with `attribute_not_exists`, so a
  double tap or a retried request counts once;
- "d#<openid>#<YYYY-MM-DD>": the user's votes that day (`votes < :cap`), expires a few days later;
- "o#<openid>#<YYYY-MM-DD>#<option>": the user voted for this option that day (when one vote per option), expires;
- "u#<openid>": a distinct voter (created once: the first vote also counts a new voter);
- "c#<option>#<k>": votes for the option, counter shard k (a hot option is spread over several items);
- "t#<YYYY-MM-DD>#<k>": votes that day and first-time voters that day, counter shard k.
All but the counters are written with a condition in the vote's one transaction (scrm.data.vote_ledger).
"""

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.models import Model

from .registry import table


@table("votes")
class VoteRecord(Model):
    class Meta:
        pass

    campaign_key = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    openid = UnicodeAttribute(null=True)
    option_id = UnicodeAttribute(null=True)
    day = UnicodeAttribute(null=True)
    created_at = NumberAttribute(null=True)
    votes = NumberAttribute(null=True)
    voters = NumberAttribute(null=True)  # t# counters: first-time voters that day
    expires_at = TTLAttribute(null=True)


def ballot_sk(vote_id: str) -> str:
    return f"b#{vote_id}"


def day_sk(openid: str, day: str) -> str:
    return f"d#{openid}#{day}"


def option_mark_sk(openid: str, day: str, option_id: str) -> str:
    return f"o#{openid}#{day}#{option_id}"


def voter_sk(openid: str) -> str:
    return f"u#{openid}"


def option_counter_sk(option_id: str, shard: int) -> str:
    return f"c#{option_id}#{shard:03d}"


def day_counter_sk(day: str, shard: int) -> str:
    return f"t#{day}#{shard:03d}"
