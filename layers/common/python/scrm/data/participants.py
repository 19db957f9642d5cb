"""Table `participants`: per-user counters of a campaign, the items that make per-user limits exact.

Key: campaign_key (hash) + sk (range):
- "u#<openid>": draws (total), wins, bonus_draws (earned by sharing), entered (joined the lottery);
- "d#<openid>#<YYYY-MM-DD>": draws that campaign-local day (expires a few days later).
Both are updated with a condition (`draws < :cap`) in the draw's transaction: never read-then-write.
"""

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.models import Model

from .registry import table


@table("participants")
class ParticipantRecord(Model):
    class Meta:
        pass

    campaign_key = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    openid = UnicodeAttribute(null=True)
    draws = NumberAttribute(null=True)
    wins = NumberAttribute(null=True)
    bonus_draws = NumberAttribute(null=True)
    entered_at = NumberAttribute(null=True)
    first_seen_at = NumberAttribute(null=True)
    expires_at = TTLAttribute(null=True)


def user_sk(openid: str) -> str:
    return f"u#{openid}"


def day_sk(openid: str, day: str) -> str:
    return f"d#{openid}#{day}"
