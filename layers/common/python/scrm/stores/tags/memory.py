"""The tag store's in-memory twin: the same semantics as DynamoDB under one lock, copies out."""

from __future__ import annotations

import copy
import threading

from ...tenancy import Scope
from .base import group_of, ordered, tag_of


class MemoryTagStore:
    def __init__(self):
        self.lock = threading.RLock()
        self.groups: dict[tuple[str, str], dict] = {}  # (account, group_id) -> group without tags
        self.tags: dict[tuple[str, str], dict] = {}  # (account, tag_id) -> tag
        self.synced: dict[str, float] = {}

    def catalogue(self, scope: Scope, account_id: str) -> list[dict]:
        scope.check(account_id)
        with self.lock:
            out = []
            for (a, gid), g in self.groups.items():
                if a == account_id:
                    tags = [t for (b, _), t in self.tags.items() if b == account_id and t["group_id"] == gid]
                    out.append({**copy.deepcopy(g), "tags": ordered(copy.deepcopy(tags))})
            return ordered(out)

    def synced_at(self, scope: Scope, account_id: str) -> float | None:
        scope.check(account_id)
        with self.lock:
            return self.synced.get(account_id)

    def replace_catalogue(self, scope: Scope, account_id: str, groups: list[dict], now: float) -> dict:
        scope.check(account_id)
        with self.lock:
            keep_groups, keep_tags = set(), set()
            for g in groups:
                stored = self.put_group(scope, account_id, g)
                keep_groups.add(stored["group_id"])
                keep_tags.update(t["tag_id"] for t in stored["tags"])
            gone = [k for k in self.tags if k[0] == account_id and k[1] not in keep_tags]
            for k in gone:
                del self.tags[k]
            for k in [k for k in self.groups if k[0] == account_id and k[1] not in keep_groups]:
                del self.groups[k]
            self.synced[account_id] = now
            return {"groups": len(keep_groups), "tags": len(keep_tags), "removed": len(gone)}

    def put_group(self, scope: Scope, account_id: str, group: dict, *, complete: bool = True) -> dict:
        scope.check(account_id)
        stored = group_of(group, group.get("tags") or [])
        with self.lock:
            gid = stored["group_id"]
            self.groups[(account_id, gid)] = {k: v for k, v in stored.items() if k != "tags"}
            given = {t["tag_id"] for t in stored["tags"]}
            if complete:
                for k in [k for k, t in self.tags.items() if k[0] == account_id and t["group_id"] == gid
                          and k[1] not in given]:
                    del self.tags[k]
            for t in stored["tags"]:
                self.tags[(account_id, t["tag_id"])] = dict(t)
        return copy.deepcopy(stored)

    def put_tag(self, scope: Scope, account_id: str, tag: dict) -> dict:
        scope.check(account_id)
        stored = tag_of(str(tag["group_id"]), tag)
        with self.lock:
            self.tags[(account_id, stored["tag_id"])] = dict(stored)
        return dict(stored)

    def remove(self, scope: Scope, account_id: str, *, tag_ids=(), group_ids=()) -> list[str]:
        scope.check(account_id)
        with self.lock:
            removed, touched = [], set()
            for gid in group_ids:
                for k in [k for k, t in self.tags.items() if k[0] == account_id and t["group_id"] == gid]:
                    removed.append(k[1])
                    del self.tags[k]
                self.groups.pop((account_id, gid), None)
            for tid in tag_ids:
                t = self.tags.pop((account_id, tid), None)
                if t is not None:
                    removed.append(tid)
                    touched.add(t["group_id"])
            for gid in touched:
                if not any(k[0] == account_id and t["group_id"] == gid for k, t in self.tags.items()):
                    self.groups.pop((account_id, gid), None)
            return removed
