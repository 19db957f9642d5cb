"""Table `channels`: per account, its channels and the lookups that resolve a scene or state to one.

Items (hash `account_id`, range `sk`):
- `ch#<channel_id>`: the channel definition (`definition`, JSON), WeChat handles (ticket/url or config_id),
  the contact way's users in effect, status.
- `sc#<scene>` / `st#<state>`: pointer from an OA scene (as it arrives in EventKey) or a WeCom state to the
  channel id, created with a condition so a scene or state belongs to one channel only.
- `meta#permanent`: how many permanent OA codes the account holds (WeChat allows 100,000).
- `cap#<channel_id>#<day>#<userid>`: adds a staff member received through a channel on a day (China
  time); the rotation's daily cap reads it. Expires after a few days.
"""

from pynamodb.attributes import (
    ListAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from .registry import table


class ActiveWayIndex(GlobalSecondaryIndex):
    """Sparse index of active WeCom contact-way channels (only they carry `upkeep`), for the schedule
    that keeps each way's staff in effect: it reads these few keys instead of scanning the table."""

    class Meta:
        index_name = "active_ways"
        projection = KeysOnlyProjection()

    upkeep = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


@table("channels")
class ChannelItem(Model):
    class Meta:
        pass

    account_id = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    # channel items
    channel_id = UnicodeAttribute(null=True)
    kind = UnicodeAttribute(null=True)
    name = UnicodeAttribute(null=True)
    group = UnicodeAttribute(null=True)
    status = UnicodeAttribute(null=True)  # active | archived
    definition = UnicodeAttribute(null=True)  # JSON of the validated definition
    scene = UnicodeAttribute(null=True)  # OA: EventKey value; WeCom: state
    ticket = UnicodeAttribute(null=True)
    url = UnicodeAttribute(null=True)  # OA: content of the QR code
    expires_at = NumberAttribute(null=True)  # temporary OA code
    config_id = UnicodeAttribute(null=True)  # WeCom contact way
    qr_code = UnicodeAttribute(null=True)  # WeCom: image URL of the contact way
    users = ListAttribute(null=True)  # WeCom: users currently on the contact way
    users_updated_at = NumberAttribute(null=True)
    version = NumberAttribute(null=True)
    created_at = UTCDateTimeAttribute(null=True)
    updated_at = UTCDateTimeAttribute(null=True)
    upkeep = UnicodeAttribute(null=True)  # "way" on active contact-way channels only (sparse index)
    active_ways = ActiveWayIndex()
    # counters (meta#permanent, cap#...)
    n = NumberAttribute(null=True)
    capped_at = NumberAttribute(null=True)  # cap#...: when the staff member's cap was reached (set once)
    ttl = TTLAttribute(null=True)


# --- repository: every read on behalf of a scope (tenancy checked here)

def get_channel(scope, account_id: str, channel_id: str, consistent: bool = True) -> ChannelItem | None:
    scope.check(account_id)
    try:
        return ChannelItem.get(account_id, f"ch#{channel_id}", consistent_read=consistent)
    except ChannelItem.DoesNotExist:
        return None


def query_channels(scope, account_id: str):
    scope.check(account_id)
    return ChannelItem.query(account_id, ChannelItem.sk.startswith("ch#"))


def page_channels(scope, account_id: str, *, limit: int, start: dict | None = None, filter_condition=None
                  ) -> tuple[list[ChannelItem], dict | None]:
    """One page of the account's channels in channel id order: one Query reading at most `limit` items
    (a filter may leave fewer), and the key to continue from (None at the end)."""
    from .paging import one_page

    scope.check(account_id)
    if start is not None and start.get("account_id", {}).get("S") != account_id:
        raise ValueError("cursor of another account")
    return one_page(ChannelItem.query(account_id, ChannelItem.sk.startswith("ch#"), limit=limit, page_size=limit,
                                      last_evaluated_key=start, filter_condition=filter_condition))


def channel_for(scope, account_id: str, kind: str, value: str) -> str | None:
    """The channel id owning an OA scene (`kind` "sc") or a WeCom state ("st")."""
    scope.check(account_id)
    try:
        return ChannelItem.get(account_id, f"{kind}#{value}").channel_id
    except ChannelItem.DoesNotExist:
        return None


def adds_on(scope, account_id: str, channel_id: str, day: str) -> dict[str, int]:
    """{userid: adds} through a channel on a day."""
    scope.check(account_id)
    prefix = f"cap#{channel_id}#{day}#"
    return {item.sk[len(prefix):]: int(item.n or 0)
            for item in ChannelItem.query(account_id, ChannelItem.sk.startswith(prefix), consistent_read=True)}
