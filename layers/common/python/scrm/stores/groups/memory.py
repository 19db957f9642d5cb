"""The customer group store's in-memory twin: the same conditions as DynamoDB under one lock, copies out."""

from __future__ import annotations

import copy
import threading

from ...tenancy import Scope
from ..cursors import after, check_page
from .base import MARKER_TTL_SECONDS, group_cursor, member_cursor


class MemoryGroupStore:
    def __init__(self):
        self.lock = threading.RLock()
        self.groups: dict[tuple[str, str], dict] = {}
        self.members: dict[tuple[str, str, str], dict] = {}
        self.days: dict[tuple[str, str, str], dict] = {}
        self.markers: dict[tuple[str, str], float] = {}  # -> expiry
        self.failed: dict[tuple[str, str], dict] = {}
        self.templates: dict[tuple[str, str], dict] = {}
        self.tags: dict[tuple[str, str], dict] = {}
        self.commits = 0

    def get_groups(self, scope: Scope, account_id: str, chat_ids: list[str]) -> dict[str, dict]:
        scope.check(account_id)
        with self.lock:
            return {c: copy.deepcopy(self.groups[(account_id, c)]) for c in chat_ids if (account_id, c) in self.groups}

    def get_members(self, scope: Scope, account_id: str, chat_id: str, userids: list[str]) -> dict[str, dict]:
        scope.check(account_id)
        with self.lock:
            return {u: copy.deepcopy(self.members[(account_id, chat_id, u)]) for u in userids
                    if (account_id, chat_id, u) in self.members}

    def applied(self, scope: Scope, account_id: str, marker: str) -> bool:
        scope.check(account_id)
        with self.lock:
            return (account_id, marker) in self.markers

    def commit_change(self, scope: Scope, account_id: str, *, marker: str | None, group: dict, expect_version,
                      members: list[dict], day: dict | None, also=(), now: float) -> bool:
        scope.check(account_id)
        key = (account_id, group["chat_id"])
        with self.lock:
            if marker is not None and (account_id, marker) in self.markers:
                return False
            stored = self.groups.get(key)
            if (stored is None) != (expect_version is None):
                return False
            if stored is not None and stored["version"] != expect_version:
                return False
            if marker is not None:
                self.markers[(account_id, marker)] = now + MARKER_TTL_SECONDS
            self.groups[key] = {**copy.deepcopy(group), "version": (expect_version or 0) + 1}
            for m in members:
                self.members[(account_id, m["chat_id"], m["userid"])] = copy.deepcopy(m)
            if day:
                row = self.days.setdefault((account_id, group["chat_id"], day["day"]),
                                           {"day": day["day"], "joins": 0, "quits": 0, "size": 0})
                row["joins"] += day["joins"]
                row["quits"] += day["quits"]
                row["size"] = day["size"]
            for write in also:
                write()
            self.commits += 1
            return True

    def record_chat_failure(self, scope: Scope, account_id: str, *, marker: str, failure: dict, now: float) -> bool:
        scope.check(account_id)
        with self.lock:
            if (account_id, marker) in self.markers:
                return False
            self.markers[(account_id, marker)] = now + MARKER_TTL_SECONDS
            self.failed[(account_id, f"{failure['chat_id']}#{marker}")] = copy.deepcopy(failure)
            return True

    def page_groups(self, scope: Scope, account_id: str, *, limit: int, start: dict | None = None):
        check_page(scope, account_id, start)
        begin = after(start, "sk")
        with self.lock:
            keys = sorted(c for (a, c) in self.groups if a == account_id and f"g#{c}" > begin)
            items = [copy.deepcopy(self.groups[(account_id, c)]) for c in keys[:limit]]
        last = group_cursor(account_id, keys[limit - 1]) if len(keys) > limit else None
        return items, last

    def groups_of_owners(self, scope: Scope, account_id: str, owners: list[str]) -> dict[str, dict]:
        scope.check(account_id)
        wanted = set(owners)
        with self.lock:
            return {c: copy.deepcopy(g) for (a, c), g in sorted(self.groups.items())
                    if a == account_id and g.get("owner") in wanted}

    def page_members(self, scope: Scope, account_id: str, chat_id: str, *, limit: int, start: dict | None = None):
        check_page(scope, account_id, start)
        begin = after(start, "sk")
        with self.lock:
            keys = sorted(u for (a, c, u) in self.members if a == account_id and c == chat_id
                          and f"m#{chat_id}#{u}" > begin)
            items = [copy.deepcopy(self.members[(account_id, chat_id, u)]) for u in keys[:limit]]
        last = member_cursor(account_id, chat_id, keys[limit - 1]) if len(keys) > limit else None
        return items, last

    def sizes(self, scope: Scope, account_id: str, chat_id: str, start: str, end: str) -> list[dict]:
        scope.check(account_id)
        with self.lock:
            return [dict(row) for (a, c, d), row in sorted(self.days.items())
                    if a == account_id and c == chat_id and start <= d <= end]

    def failures(self, scope: Scope, account_id: str, limit: int = 100) -> list[dict]:
        scope.check(account_id)
        with self.lock:
            return [copy.deepcopy(f) for (a, _k), f in sorted(self.failed.items()) if a == account_id][:limit]

    def member_items(self, scope: Scope, account_id: str, userids: set[str]) -> list[dict]:
        scope.check(account_id)
        with self.lock:
            return [copy.deepcopy(m) for (a, _c, u), m in sorted(self.members.items()) if a == account_id
                    and u in userids]

    def erase_member(self, scope: Scope, account_id: str, member: dict, pseudonym: str) -> None:
        scope.check(account_id)
        with self.lock:
            old = self.members.pop((account_id, member["chat_id"], member["userid"]), None)
            if old is not None:
                self.members[(account_id, member["chat_id"], pseudonym)] = {**old, "userid": pseudonym,
                                                                           "invitor": None}

    def set_vip(self, scope: Scope, account_id: str, chat_id: str, vip: bool, expect_version: int) -> bool:
        scope.check(account_id)
        with self.lock:
            group = self.groups.get((account_id, chat_id))
            if group is None or group["version"] != expect_version:
                return False
            group.update(vip=bool(vip), version=expect_version + 1)
            return True

    # ---- customer group tags
    def put_group_tag(self, scope: Scope, account_id: str, tag: dict) -> bool:
        scope.check(account_id)
        with self.lock:
            if (account_id, tag["tag_id"]) in self.tags:
                return False
            self.tags[(account_id, tag["tag_id"])] = {"tag_id": tag["tag_id"], "name": tag["name"],
                                                      "created_at": tag["created_at"], "deleted_at": None}
            return True

    def group_tags(self, scope: Scope, account_id: str) -> list[dict]:
        scope.check(account_id)
        with self.lock:
            return [dict(t) for (a, _i), t in sorted(self.tags.items()) if a == account_id]

    def delete_group_tag(self, scope: Scope, account_id: str, tag_id: str, now: float) -> bool:
        scope.check(account_id)
        with self.lock:
            tag = self.tags.get((account_id, tag_id))
            if tag is None or tag["deleted_at"] is not None:
                return False
            tag["deleted_at"] = int(now)
            return True

    def set_group_tags(self, scope: Scope, account_id: str, chat_id: str, tag_ids: list[str],
                       expect_version: int) -> bool:
        scope.check(account_id)
        with self.lock:
            group = self.groups.get((account_id, chat_id))
            if group is None or group["version"] != expect_version:
                return False
            group.update(tags=sorted(set(tag_ids)), version=expect_version + 1)
            return True

    def groups_with_tags(self, scope: Scope, account_id: str, tag_ids: list[str]) -> dict[str, dict]:
        scope.check(account_id)
        wanted = set(tag_ids)
        with self.lock:
            return {c: copy.deepcopy(g) for (a, c), g in sorted(self.groups.items())
                    if a == account_id and wanted & set(g.get("tags") or ())}

    # ---- group welcome templates
    def put_template(self, scope: Scope, account_id: str, template: dict) -> bool:
        scope.check(account_id)
        with self.lock:
            key = (account_id, template["template_id"])
            if key in self.templates:
                return False
            self.templates[key] = {**copy.deepcopy(template), "status": "active", "used_by": []}
            return True

    def get_template(self, scope: Scope, account_id: str, template_id: str) -> dict | None:
        scope.check(account_id)
        with self.lock:
            return copy.deepcopy(self.templates.get((account_id, template_id)))

    def list_templates(self, scope: Scope, account_id: str) -> list[dict]:
        scope.check(account_id)
        with self.lock:
            return [copy.deepcopy(t) for (a, _i), t in sorted(self.templates.items()) if a == account_id]

    def replace_template(self, scope: Scope, account_id: str, template: dict) -> bool:
        scope.check(account_id)
        with self.lock:
            stored = self.templates.get((account_id, template["template_id"]))
            if stored is None or stored["status"] != "active":
                return False
            keep = {k: stored[k] for k in ("status", "used_by", "created_at")}
            self.templates[(account_id, template["template_id"])] = {**copy.deepcopy(template), **keep}
            return True

    def use_template(self, scope: Scope, account_id: str, template_id: str, channel_id: str) -> bool:
        scope.check(account_id)
        with self.lock:
            stored = self.templates.get((account_id, template_id))
            if stored is None or stored["status"] != "active":
                return False
            if channel_id not in stored["used_by"]:
                stored["used_by"] = sorted([*stored["used_by"], channel_id])
            return True

    def release_template(self, scope: Scope, account_id: str, template_id: str, channel_id: str) -> None:
        scope.check(account_id)
        with self.lock:
            stored = self.templates.get((account_id, template_id))
            if stored is not None:
                stored["used_by"] = [c for c in stored["used_by"] if c != channel_id]

    def begin_delete_template(self, scope: Scope, account_id: str, template_id: str) -> bool:
        scope.check(account_id)
        with self.lock:
            stored = self.templates.get((account_id, template_id))
            if stored is None or stored["status"] != "active" or stored["used_by"]:
                return False
            stored["status"] = "deleting"
            return True

    def end_delete_template(self, scope: Scope, account_id: str, template_id: str, *, deleted: bool) -> None:
        scope.check(account_id)
        with self.lock:
            if deleted:
                self.templates.pop((account_id, template_id), None)
            elif (account_id, template_id) in self.templates:
                self.templates[(account_id, template_id)]["status"] = "active"
