"""The channel store: channels, their scene/state pointers, the rotation's daily counters, the sharded
per-channel statistics and the queue of pending taggings (tables `channels`, `channel_stats`,
`channel_tagging`).

A channel is a plain dict: account_id, channel_id, kind, name, group, status (active | archived),
definition (the validated definition, a dict), scene (OA EventKey value or WeCom state), ticket, url,
expires_at, config_id, qr_code, users, users_updated_at, version, created_at, updated_at (datetimes),
upkeep ("way" on active contact ways only). Absent attributes are None.

Tenancy: every method that reads or writes an account's data takes the caller's `scope` and the
`account_id` and refuses (Forbidden) an account the scope may not act for. The schedule-wide reads
(`active_ways`, `pending_taggings`) are for the system's schedules only.

Attribution writes: `counter_writes`, `tagging_writes` and `cap_write` do not write; they return opaque
writes that the contact store commits in the same transaction as the contact (see
scrm.stores.contacts.base.ContactStore.record_contact), so a count is made exactly when its contact is.
"""

from __future__ import annotations

from typing import Any, Protocol

from ...tenancy import Scope
from ..cursors import cursor

SHARDS = 16  # see scrm.services.channels.stats for the sizing
CAP_TTL_SECONDS = 3 * 86400
POINTER_KINDS = ("sc", "st")  # OA scene, WeCom state

Write = Any  # one item write of an attribution transaction, in the implementation's own form

FIELDS = ("channel_id", "kind", "name", "group", "status", "scene", "ticket", "url", "expires_at", "config_id",
          "qr_code", "users", "users_updated_at", "version", "created_at", "updated_at", "upkeep")


def new_channel(account_id: str, definition: dict, **values) -> dict:
    """A channel dict with every attribute present (None when unset)."""
    return {**dict.fromkeys(FIELDS), "account_id": account_id, "definition": definition, **values}




def channel_cursor(account_id: str, channel_id: str) -> dict:
    """The cursor after `channel_id` (scrm.stores.cursors: both stores hand out the same)."""
    return cursor(account_id, sk=f"ch#{channel_id}")


class ChannelStore(Protocol):
    # ---- channels
    def reserve_scene(self, scope: Scope, account_id: str, kind: str, value: str, channel_id: str) -> bool:
        """Make `channel_id` the owner of scene/state `value` (`kind` "sc"/"st") if nobody owns it: a
        conditional create, so of two racing creators exactly one wins. False when it is taken."""

    def release_scene(self, scope: Scope, account_id: str, kind: str, value: str) -> None:
        """Forget a reservation (a create that failed after reserving). Idempotent."""

    def count_permanent(self, scope: Scope, account_id: str, step: int, limit: int | None = None) -> bool:
        """Add `step` to the account's count of permanent OA codes; with `limit`, only while the count is
        below it (a conditional add: False when the account already holds `limit`)."""

    def put_channel(self, scope: Scope, channel: dict) -> None:
        """Write a new channel (its pointer was reserved first). Unconditional."""

    def get_channel(self, scope: Scope, account_id: str, channel_id: str, consistent: bool = True) -> dict | None:
        """The channel, or None. `consistent=False` may return a slightly older copy (cheaper)."""

    def all_channels(self, scope: Scope, account_id: str) -> list[dict]:
        """Every channel of the account (small accounts and internal uses only: admin lists are paged)."""

    def page_channels(self, scope: Scope, account_id: str, *, limit: int, start: dict | None = None,
             status: str | None = None, group: str | None = None, kind: str | None = None
             ) -> tuple[list[dict], dict | None]:
        """One page in channel id order: at most `limit` channels read, the filters applied to those (a page
        may hold fewer and still have a next one), and the cursor to continue from (None at the end).
        A cursor of another account raises ValueError."""

    def replace_channel(self, scope: Scope, channel: dict, expect_version: int) -> bool:
        """Write the whole channel only if its stored version is still `expect_version` (False otherwise)."""

    def update_channel(self, scope: Scope, account_id: str, channel_id: str, changes: dict,
               expect_version: int | None = None) -> bool:
        """Set the given attributes (None removes one), only if the stored version is `expect_version` when
        given. False when that condition fails; the channel must exist."""

    def owner_of(self, scope: Scope, account_id: str, kind: str, value: str) -> str | None:
        """The channel id owning scene/state `value`, or None."""

    def active_ways(self) -> list[tuple[str, str]]:
        """(account_id, channel_id) of every active WeCom contact way (a sparse index, never a scan)."""

    # ---- the rotation's per-(channel, staff, day) counters
    def adds_on(self, scope: Scope, account_id: str, channel_id: str, day: str) -> dict[str, int]:
        """{userid: adds} through the channel on `day` (strongly consistent)."""

    def cap_write(self, account_id: str, channel_id: str, userid: str, day: str, now: float) -> Write:
        """One add to the (channel, staff, day) counter, expiring a few days after `now`."""

    def mark_capped(self, scope: Scope, account_id: str, channel_id: str, day: str, userid: str, cap: int,
                    at: float) -> bool:
        """Mark the counter as having reached `cap`, only if it has (n >= cap) and is not marked yet: of
        many workers seeing the cap at once exactly one gets True."""

    def unmark_capped(self, scope: Scope, account_id: str, channel_id: str, day: str, userid: str) -> None:
        """Remove the mark (the update it was taken for failed, so a retry may take it again)."""

    # ---- statistics (sharded counters, summed on read)
    def counter_writes(self, deltas: dict[tuple[str, str, str, str], int], rng=None) -> list[Write]:
        """Writes adding {(account_id, channel_id, day, metric): delta}: one per (account, channel, day), each
        on a shard chosen at random (`rng`), so no item takes more than 1/SHARDS of the writes."""

    def add_counts(self, scope: Scope, account_id: str, deltas: dict, rng=None) -> None:
        """Apply counter deltas of one account at once (outside an attribution: seeding, tests)."""

    def read_counts(self, scope: Scope, account_id: str, channel_ids, start: str, end: str
               ) -> tuple[dict[tuple[str, str], dict], int]:
        """({(channel_id, day): {metric: n}} summed over shards for days start..end, items read), for the
        given channels only."""

    # ---- pending taggings
    def tagging_writes(self, account_id: str, platform: str, identity: str, staff: str | None, tags: list,
                       now: float) -> list[Write]:
        """Queue the channel's tags for a follower (OA: one entry per tag) or a customer relationship (WeCom:
        one entry with every tag); queued again, an entry starts afresh."""

    def pending_taggings(self) -> dict[str, list[dict]]:
        """{account_id: [tagging]} of every queued tagging (schedule only). A tagging is {account_id,
        platform, queued_at, attempts} with tag and openid (OA) or userid, external_userid, tags (WeCom)."""

    def taggings_of(self, scope: Scope, account_id: str, identities: set[str]) -> list[dict]:
        """The account's queued taggings of any of these openids / external_userids."""

    def delete_taggings(self, taggings: list[dict]) -> None:
        """Drop taggings (applied, or never applicable). Idempotent."""
