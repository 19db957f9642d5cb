"""The menu store: drafts, published versions, the current version and conditional menus (table `menus`), and
the sharded click counters with their exactly-once markers (table `menu_stats`).

Dicts out, copies (a caller changing one changes nothing stored). Datetimes are aware UTC datetimes.
- draft: {draft_id, name, button, version, created_at, updated_at}
- version: {version, button, digest, draft_id, rollback_of, published_at}; written once, never changed
- current: {version, digest, deleted, seq} or None (nothing published yet)
- conditional: {menuid, name, button, matchrule, created_at}

Tenancy: every method takes the caller's scope and the account and refuses (Forbidden) an account the scope may
not act for.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from ...tenancy import Scope
from ..channels.base import SHARDS  # the channel counters' sharding, reused: see scrm.services.menus.stats

__all__ = ["SHARDS", "MenuStore", "COUNTED", "REPEAT_USER", "DUPLICATE"]

COUNTED = "counted"  # a click, and the user's first on this entry this day
REPEAT_USER = "repeat_user"  # a click of a user already counted on this entry this day
DUPLICATE = "duplicate"  # this event was counted before: nothing changed


class MenuStore(Protocol):
    # ---- drafts
    def create_draft(self, scope: Scope, account_id: str, draft_id: str, draft: dict, now: datetime) -> dict:
        """Write a new draft ({name, button}) at version 1; Conflict when the id exists."""

    def replace_draft(self, scope: Scope, account_id: str, draft_id: str, draft: dict, now: datetime,
                      expect_version: int | None = None) -> dict:
        """Replace a draft's content (version + 1); NotFound when absent, Conflict when `expect_version` is given
        and is not the stored one."""

    def get_draft(self, scope: Scope, account_id: str, draft_id: str) -> dict | None: ...

    def list_drafts(self, scope: Scope, account_id: str) -> list[dict]:
        """Every draft of the account, in id order (an account holds at most MAX_DRAFTS)."""

    def delete_draft(self, scope: Scope, account_id: str, draft_id: str) -> bool:
        """True when a draft was deleted."""

    # ---- versions and the current menu
    def current(self, scope: Scope, account_id: str) -> dict | None:
        """{version, digest, deleted, seq} (strongly consistent), None when nothing was ever published."""

    def add_version(self, scope: Scope, account_id: str, version: dict, expect_seq: int, now: datetime) -> bool:
        """Write version `expect_seq + 1` ({button, digest, draft_id, rollback_of}) and make it current, in one
        step, only if the last version number is still `expect_seq` (0: none yet). False when another
        publisher got there first (nothing written)."""

    def get_version(self, scope: Scope, account_id: str, n: int) -> dict | None: ...

    def page_versions(self, scope: Scope, account_id: str, limit: int, before: int | None = None
                      ) -> tuple[list[dict], int | None]:
        """Versions newest first, at most `limit`, those below `before` when given; and the `before` of the next
        page (None at the end)."""

    def mark_deleted(self, scope: Scope, account_id: str, now: datetime) -> None:
        """The menu was deleted at WeChat (menu/delete, conditional menus with it): current is `deleted` and every
        conditional menu is forgotten; versions stay (a rollback republishes one)."""

    # ---- conditional menus
    def put_conditional(self, scope: Scope, account_id: str, menu: dict, now: datetime) -> dict:
        """Record a conditional menu WeChat accepted ({menuid, name, button, matchrule})."""

    def list_conditionals(self, scope: Scope, account_id: str) -> list[dict]: ...

    def delete_conditional(self, scope: Scope, account_id: str, menuid: str) -> bool: ...

    # ---- click counters
    def count_click(self, scope: Scope, account_id: str, entry_id: str, day: str, event_hash: str,
                    user_hash: str, expires_at: int, label: str = "", rng=None) -> str:
        """Count one CLICK/VIEW event exactly once: one click on a counter shard chosen at random, in one atomic
        step with the event's marker `event_hash` (DUPLICATE, nothing counted, when the marker exists). The user
        counts once per `user_hash` (account, openid, entry, day): the first event to claim the user's marker
        counts the user, and so does that same event delivered again (a crash between the claim and the count
        loses nothing). Markers expire at `expires_at` (epoch seconds). `label` (the key or URL, cut to 200
        characters) names the entry in reports when it is no longer in the menu."""

    def read_counts(self, scope: Scope, account_id: str, start: str, end: str
                    ) -> tuple[dict[tuple[str, str], dict], int]:
        """({(entry_id, day): {"clicks": n, "users": n, "label": str}} summed over shards for days start..end,
        items read)."""
