"""The customer group store: groups, members, per-day sizes, applied-event markers and failures (table
`customer_groups`, see scrm.data.customer_groups).

A group and a member are the dicts of scrm.domain.groups. Every change an event makes is ONE `commit`: the event's
marker (it must not exist), the group (at the version it was read at, or new), its changed members, the day's
figures and any `also` writes (channel statistics counters, scrm.stores.channels) — all or nothing, so an event
redelivered after a crash, or two events of one group applied at once, can neither double-count nor lose a
change. A failure (groupchat/get refused the chat id) is recorded with the event's marker, alone.

Tenancy: every method takes the caller's scope and the account and refuses (Forbidden) another account.
"""

from __future__ import annotations

import hashlib
from typing import Any, Protocol

from ...tenancy import Scope
from ..cursors import cursor

MARKER_TTL_SECONDS = 30 * 86400
GROUP_FIELDS = ("chat_id", "name", "owner", "status", "size", "version", "created_at", "updated_at", "dismissed_at",
                "vip", "tags")
TEMPLATE_STATES = ("active", "deleting")
MEMBER_FIELDS = ("chat_id", "userid", "type", "join_scene", "invitor", "join_time", "quit_time", "quit_scene",
                 "state", "channel_id", "in_group")


def marker_of(dedupe_key: str, part: int = 0) -> str:
    digest = hashlib.sha256(dedupe_key.encode("utf-8")).hexdigest()[:32]
    return f"{digest}#{part}" if part else digest


def group_cursor(account_id: str, chat_id: str) -> dict:
    return cursor(account_id, sk=f"g#{chat_id}")


def member_cursor(account_id: str, chat_id: str, userid: str) -> dict:
    return cursor(account_id, sk=f"m#{chat_id}#{userid}")


class GroupStore(Protocol):
    def get_groups(self, scope: Scope, account_id: str, chat_ids: list[str]) -> dict[str, dict]:
        """{chat_id: group} of those known (strongly consistent)."""

    def get_members(self, scope: Scope, account_id: str, chat_id: str, userids: list[str]) -> dict[str, dict]:
        """{userid: member} of those known (strongly consistent)."""

    def applied(self, scope: Scope, account_id: str, marker: str) -> bool:
        """Whether an event with this marker was committed (or recorded as failed)."""

    def commit_change(self, scope: Scope, account_id: str, *, marker: str | None, group: dict,
                      expect_version: int | None,
               members: list[dict], day: dict | None, also: list[Any] = (), now: float) -> bool:
        """Write it all only if the marker is new and the group is still at `expect_version` (None: it must not
        exist yet); the group is written with version expect_version + 1. False when a condition failed. `marker`
        None: a slice of a large change that is not its last (only the last carries the event's marker)."""

    def record_chat_failure(self, scope: Scope, account_id: str, *, marker: str, failure: dict, now: float) -> bool:
        """The event's failure {chat_id, dedupe_key, kind, errcode, errmsg, at} with its marker; False if the
        marker exists (already applied or recorded)."""

    def page_groups(self, scope: Scope, account_id: str, *, limit: int, start: dict | None = None
                    ) -> tuple[list[dict], dict | None]:
        """Groups in chat id order; a cursor of another account raises ValueError."""

    def groups_of_owners(self, scope: Scope, account_id: str, owners: list[str]) -> dict[str, dict]:
        """{chat_id: group} of every group (live or dismissed) these staff members own now, read through the owner
        index (one Query per owner, run side by side; eventually consistent: a group created or handed over in
        the last second may be missing)."""

    def page_members(self, scope: Scope, account_id: str, chat_id: str, *, limit: int, start: dict | None = None
                     ) -> tuple[list[dict], dict | None]:
        """Members (in or out) of one group in userid order."""

    def sizes(self, scope: Scope, account_id: str, chat_id: str, start: str, end: str) -> list[dict]:
        """[{day, joins, quits, size}] for the days start..end that had a change (at most 366)."""

    def failures(self, scope: Scope, account_id: str, limit: int = 100) -> list[dict]:
        """The account's failed events, at most `limit`."""

    def member_items(self, scope: Scope, account_id: str, userids: set[str]) -> list[dict]:
        """Every member item of these userids in the account, for privacy export and erasure."""

    def erase_member(self, scope: Scope, account_id: str, member: dict, pseudonym: str) -> None:
        """Replace a member's item by one under the pseudonym (figures stay)."""

    def set_vip(self, scope: Scope, account_id: str, chat_id: str, vip: bool, expect_version: int) -> bool:
        """The group's VIP flag, over the version it was read at (version + 1, as a commit); False otherwise."""

    # ---- customer group tags (客户群标签: WeCom's server API has none, the company keeps its own catalogue)
    def put_group_tag(self, scope: Scope, account_id: str, tag: dict) -> bool:
        """Create {tag_id, name, created_at}; False when the tag_id exists."""

    def group_tags(self, scope: Scope, account_id: str) -> list[dict]:
        """Every tag of the catalogue, deleted ones too ({tag_id, name, created_at, deleted_at}), by tag_id."""

    def delete_group_tag(self, scope: Scope, account_id: str, tag_id: str, now: float) -> bool:
        """Mark it deleted (kept: what refers to it shows it so); False unless it exists and is live."""

    def set_group_tags(self, scope: Scope, account_id: str, chat_id: str, tag_ids: list[str],
                       expect_version: int) -> bool:
        """The group's tags, all of them, over the version it was read at (version + 1, as a commit), with the
        tag → group entries in the same transaction; False when the version moved (read again)."""

    def groups_with_tags(self, scope: Scope, account_id: str, tag_ids: list[str]) -> dict[str, dict]:
        """{chat_id: group} of every group carrying any of these tags (one Query per tag, then the groups)."""

    # ---- group welcome templates (入群欢迎语素材): {template_id, name, text, image, link, miniprogram, status,
    # used_by (channel ids), created_at, updated_at}
    def put_template(self, scope: Scope, account_id: str, template: dict) -> bool:
        """Create the template (status active, used by none); False when its template_id exists."""

    def get_template(self, scope: Scope, account_id: str, template_id: str) -> dict | None: ...

    def list_templates(self, scope: Scope, account_id: str) -> list[dict]:
        """Every template of the account (WeCom keeps at most 100 a corp), in template_id order."""

    def replace_template(self, scope: Scope, account_id: str, template: dict) -> bool:
        """Its content, name and updated_at; False unless it exists and is active."""

    def use_template(self, scope: Scope, account_id: str, template_id: str, channel_id: str) -> bool:
        """The channel uses the template; False unless it exists and is active (not being deleted)."""

    def release_template(self, scope: Scope, account_id: str, template_id: str, channel_id: str) -> None:
        """The channel no longer uses it (nothing when it did not or the template is gone)."""

    def begin_delete_template(self, scope: Scope, account_id: str, template_id: str) -> bool:
        """active -> deleting if no channel uses it (no channel can start using it then); False otherwise."""

    def end_delete_template(self, scope: Scope, account_id: str, template_id: str, *, deleted: bool) -> None:
        """deleted: remove it; else deleting -> active (WeCom refused the delete)."""
