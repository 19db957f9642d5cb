"""The member store: an account's member list and its member-verified group codes' verifications, tries and
figures (table `members`, model scrm.data.members).

A member is `{"member_id", "phone_hash", "name", "level", "created_at", "updated_at"}`. Upserts are idempotent:
a row equal to the stored one is `unchanged` (not written), so re-importing a file counts nothing twice. Tries are
conditional counters (never read-then-write): the sixth try of an hour is refused by the store itself, whatever
the number of concurrent requests. A verification is written once per (code, openid) with its `verified` count in
the same transaction. Joins are counted by the customer group store's membership transaction (`figure_writes`:
the count commits with the group change or not at all, so a redelivery after a crash counts it exactly once).

Tenancy: every method takes the caller's scope and the account, and refuses (Forbidden) an account the scope may
not act for.
"""

from __future__ import annotations

from typing import Protocol

from ...tenancy import Scope

FIGURES = ("verified", "refused", "joined", "joined_verified")
TRY_TTL = 2 * 3600


def same(stored: dict | None, row: dict) -> bool:
    return stored is not None and all(stored.get(k) == row.get(k) for k in ("phone_hash", "name", "level"))


class MemberStore(Protocol):
    def upsert_members(self, scope: Scope, account_id: str, rows: list[dict], now: float) -> dict:
        """Store the rows ({member_id, phone_hash, name, level}, member ids distinct); {created, updated,
        unchanged} counts. A row equal to the stored member is not written."""

    def get_members(self, scope: Scope, account_id: str, member_ids: list[str]) -> dict[str, dict]:
        """The stored members of these ids (absent ones left out)."""

    def take_try(self, scope: Scope, account_id: str, openid: str, hour: int, limit: int) -> bool:
        """Count one verification try of `openid` in `hour`; False (nothing counted) when `limit` were made."""

    def record_verified(self, scope: Scope, account_id: str, channel_id: str, openid: str, member_id: str,
                        now: float) -> bool:
        """Record that `openid` proved membership for the code, and count it, once: False when it was already."""

    def verification(self, scope: Scope, account_id: str, channel_id: str, openid: str) -> dict | None:
        """The verification of `openid` for the code ({channel_id, openid, member_id, verified_at}) or None."""

    def count(self, scope: Scope, account_id: str, channel_id: str, figure: str, n: int = 1,
              marker: str | None = None, expires_at: int | None = None) -> bool:
        """Add n to one of the code's FIGURES; with `marker`, once per marker (False: already counted)."""

    def figure_writes(self, account_id: str, channel_id: str, deltas: dict[str, int]) -> list:
        """Writes adding {figure: n} to the code's FIGURES, for another store's transaction (the `also` of
        scrm.stores.groups commit_change): DynamoDB (item, actions) pairs, in memory callables."""

    def figures(self, scope: Scope, account_id: str, channel_id: str) -> dict:
        """The code's FIGURES (0 when never counted)."""

    def verifications_of(self, scope: Scope, account_id: str, openids: set[str]) -> list[dict]:
        """Every verification (of any code) of these openids (privacy requests; one Query of the account's `v#`
        items)."""

    def erase_verification(self, scope: Scope, account_id: str, item: dict) -> None:
        """Delete one verification (the figures stay)."""
