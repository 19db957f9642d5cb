"""The menu store's in-memory twin: the same conditions as DynamoDB under one lock, copies out."""

from __future__ import annotations

import copy
import random
import threading
from datetime import datetime

from ...errors import Conflict, NotFound
from ...tenancy import Scope
from .base import COUNTED, DUPLICATE, REPEAT_USER, SHARDS


class MemoryMenuStore:
    def __init__(self):
        self.lock = threading.RLock()
        self.drafts: dict[tuple[str, str], dict] = {}
        self.versions: dict[tuple[str, int], dict] = {}
        self.currents: dict[str, dict] = {}
        self.conditionals: dict[tuple[str, str], dict] = {}
        self.counters: dict[tuple[str, int, str, str], dict] = {}  # (account, shard, day, entry) -> counts
        self.markers: dict[str, int] = {}  # event marker -> expires
        self.claims: dict[str, str] = {}  # user marker -> the event hash that claimed it
        self.writes_per_item: dict[tuple, int] = {}  # counter item -> writes (bench: the hottest item)

    # ---- drafts
    def create_draft(self, scope: Scope, account_id: str, draft_id: str, draft: dict, now: datetime) -> dict:
        scope.check(account_id)
        with self.lock:
            if (account_id, draft_id) in self.drafts:
                raise Conflict(f"menu draft {draft_id!r} exists already")
            stored = {"draft_id": draft_id, "name": draft.get("name"), "button": copy.deepcopy(draft["button"]),
                      "version": 1, "created_at": now, "updated_at": now}
            self.drafts[(account_id, draft_id)] = stored
            return copy.deepcopy(stored)

    def replace_draft(self, scope: Scope, account_id: str, draft_id: str, draft: dict, now: datetime,
                      expect_version: int | None = None) -> dict:
        scope.check(account_id)
        with self.lock:
            old = self.drafts.get((account_id, draft_id))
            if old is None:
                raise NotFound(f"no menu draft {draft_id!r} in account {account_id!r}")
            if expect_version is not None and old["version"] != expect_version:
                raise Conflict(f"menu draft {draft_id!r} changed meanwhile (version {old['version']})")
            stored = {**old, "name": draft.get("name"), "button": copy.deepcopy(draft["button"]),
                      "version": old["version"] + 1, "updated_at": now}
            self.drafts[(account_id, draft_id)] = stored
            return copy.deepcopy(stored)

    def get_draft(self, scope: Scope, account_id: str, draft_id: str) -> dict | None:
        scope.check(account_id)
        with self.lock:
            return copy.deepcopy(self.drafts.get((account_id, draft_id)))

    def list_drafts(self, scope: Scope, account_id: str) -> list[dict]:
        scope.check(account_id)
        with self.lock:
            return [copy.deepcopy(d) for (a, _), d in sorted(self.drafts.items()) if a == account_id]

    def delete_draft(self, scope: Scope, account_id: str, draft_id: str) -> bool:
        scope.check(account_id)
        with self.lock:
            return self.drafts.pop((account_id, draft_id), None) is not None

    # ---- versions
    def current(self, scope: Scope, account_id: str) -> dict | None:
        scope.check(account_id)
        with self.lock:
            return copy.deepcopy(self.currents.get(account_id))

    def add_version(self, scope: Scope, account_id: str, version: dict, expect_seq: int, now: datetime) -> bool:
        scope.check(account_id)
        with self.lock:
            seq = (self.currents.get(account_id) or {}).get("seq", 0)
            if seq != expect_seq:
                return False
            n = expect_seq + 1
            self.versions[(account_id, n)] = {"version": n, "button": copy.deepcopy(version["button"]),
                                              "digest": version["digest"], "draft_id": version.get("draft_id"),
                                              "rollback_of": version.get("rollback_of"), "published_at": now}
            self.currents[account_id] = {"version": n, "digest": version["digest"], "deleted": False, "seq": n}
            return True

    def get_version(self, scope: Scope, account_id: str, n: int) -> dict | None:
        scope.check(account_id)
        with self.lock:
            return copy.deepcopy(self.versions.get((account_id, n)))

    def page_versions(self, scope: Scope, account_id: str, limit: int, before: int | None = None
                      ) -> tuple[list[dict], int | None]:
        scope.check(account_id)
        with self.lock:
            ns = sorted((n for (a, n) in self.versions if a == account_id and (before is None or n < before)),
                        reverse=True)
            page = [copy.deepcopy(self.versions[(account_id, n)]) for n in ns[:limit]]
        return page, (page[-1]["version"] if len(ns) > limit else None)

    def mark_deleted(self, scope: Scope, account_id: str, now: datetime) -> None:
        scope.check(account_id)
        with self.lock:
            if account_id in self.currents:
                self.currents[account_id]["deleted"] = True
            for key in [k for k in self.conditionals if k[0] == account_id]:
                del self.conditionals[key]

    # ---- conditional menus
    def put_conditional(self, scope: Scope, account_id: str, menu: dict, now: datetime) -> dict:
        scope.check(account_id)
        with self.lock:
            stored = {"menuid": str(menu["menuid"]), "name": menu.get("name"),
                      "button": copy.deepcopy(menu["button"]), "matchrule": copy.deepcopy(menu["matchrule"]),
                      "created_at": now}
            self.conditionals[(account_id, stored["menuid"])] = stored
            return copy.deepcopy(stored)

    def list_conditionals(self, scope: Scope, account_id: str) -> list[dict]:
        scope.check(account_id)
        with self.lock:
            return [copy.deepcopy(c) for (a, _), c in sorted(self.conditionals.items()) if a == account_id]

    def delete_conditional(self, scope: Scope, account_id: str, menuid: str) -> bool:
        scope.check(account_id)
        with self.lock:
            return self.conditionals.pop((account_id, menuid), None) is not None

    # ---- click counters
    def count_click(self, scope: Scope, account_id: str, entry_id: str, day: str, event_hash: str,
                    user_hash: str, expires_at: int, label: str = "", rng=None) -> str:
        scope.check(account_id)
        rng = rng or random
        with self.lock:
            claimed = self.claims.setdefault("u#" + user_hash, event_hash)
            new_user = claimed == event_hash  # the first event of this user there (or its own redelivery)
            if "e#" + event_hash in self.markers:
                return DUPLICATE
            self.markers["e#" + event_hash] = expires_at
            key = (account_id, rng.randrange(SHARDS), day, entry_id)
            row = self.counters.setdefault(key, {"clicks": 0, "users": 0})
            row["label"] = label[:200]
            row["clicks"] += 1
            row["users"] += 1 if new_user else 0
            self.writes_per_item[key] = self.writes_per_item.get(key, 0) + 1
            return COUNTED if new_user else REPEAT_USER

    def read_counts(self, scope: Scope, account_id: str, start: str, end: str
                    ) -> tuple[dict[tuple[str, str], dict], int]:
        scope.check(account_id)
        out: dict[tuple[str, str], dict] = {}
        reads = 0
        with self.lock:
            for (a, _shard, day, entry), row in self.counters.items():
                if a == account_id and start <= day <= end:
                    reads += 1
                    total = out.setdefault((entry, day), {"clicks": 0, "users": 0, "label": row.get("label", "")})
                    total["clicks"] += row["clicks"]
                    total["users"] += row["users"]
        return out, reads
