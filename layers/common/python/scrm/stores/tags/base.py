"""The tag store: a WeCom corp's customer tag catalogue (tag groups and their tags, with ids, names and order), as
WeCom last answered it (table `corp_tags`, model in scrm.data.corp_tags).

A group is a plain dict `{"group_id", "name", "order", "create_time", "tags": [tag, ...]}`, a tag
`{"tag_id", "group_id", "name", "order", "create_time"}`. WeCom is the source of truth: writes replace what WeCom
answered (a group with the tags given; `replace_catalogue` the whole catalogue), so they need no version. Groups
and tags come out ordered as WeCom shows them: larger `order` first, then oldest first, then id.

Tenancy: every method takes the caller's scope and the account, and refuses (Forbidden) an account the scope may
not act for.
"""

from __future__ import annotations

from typing import Protocol

from ...tenancy import Scope


def tag_of(group_id: str, tag: dict) -> dict:
    return {"tag_id": str(tag["tag_id"]), "group_id": group_id, "name": str(tag["name"]),
            "order": int(tag.get("order") or 0), "create_time": tag.get("create_time")}


def group_of(group: dict, tags: list[dict]) -> dict:
    gid = str(group["group_id"])
    return {"group_id": gid, "name": str(group["name"]), "order": int(group.get("order") or 0),
            "create_time": group.get("create_time"), "tags": ordered([tag_of(gid, t) for t in tags])}


def ordered(items: list[dict]) -> list[dict]:
    """WeCom's display order: larger order first, then older first, then id."""
    return sorted(items, key=lambda i: (-int(i.get("order") or 0), i.get("create_time") or 0,
                                        i.get("tag_id") or i.get("group_id")))


class TagStore(Protocol):
    def catalogue(self, scope: Scope, account_id: str) -> list[dict]:
        """Every group of the account with its tags, in display order (one read)."""

    def synced_at(self, scope: Scope, account_id: str) -> float | None:
        """When the whole catalogue was last read from WeCom (None: never)."""

    def replace_catalogue(self, scope: Scope, account_id: str, groups: list[dict], now: float) -> dict:
        """Make the catalogue exactly `groups` (a full read of WeCom): put each, delete what is no longer there,
        mark the account synced. Returns {"groups", "tags", "removed"} counts."""

    def put_group(self, scope: Scope, account_id: str, group: dict, *, complete: bool = True) -> dict:
        """Store the group and the tags given (replacing them). `complete`: the tags are all of the group's, so
        its stored tags not among them are removed; otherwise the others stay (a partial answer of WeCom)."""

    def put_tag(self, scope: Scope, account_id: str, tag: dict) -> dict:
        """Store one tag (replacing it)."""

    def remove(self, scope: Scope, account_id: str, *, tag_ids: list[str] = (), group_ids: list[str] = ()
               ) -> list[str]:
        """Remove these tags, and these groups with all their tags (idempotent); a group left without tags is
        removed too, as WeCom does. Returns the tag ids that were there."""
