"""The member store in memory (unit tests): the same conditions as the DynamoDB store, under one lock."""

from __future__ import annotations

import copy
import threading

from ...tenancy import Scope
from .base import FIGURES, same


class MemoryMemberStore:
    def __init__(self):
        self.lock = threading.Lock()
        self.members: dict[tuple[str, str], dict] = {}
        self.tries: dict[tuple[str, str, int], int] = {}
        self.verified: dict[tuple[str, str, str], dict] = {}
        self.figure_rows: dict[tuple[str, str], dict] = {}
        self.markers: set[tuple[str, str]] = set()

    def upsert_members(self, scope: Scope, account_id: str, rows: list[dict], now: float) -> dict:
        scope.check(account_id)
        out = {"created": 0, "updated": 0, "unchanged": 0}
        with self.lock:
            for row in rows:
                key = (account_id, row["member_id"])
                stored = self.members.get(key)
                if same(stored, row):
                    out["unchanged"] += 1
                    continue
                out["updated" if stored else "created"] += 1
                self.members[key] = {"member_id": row["member_id"], "phone_hash": row["phone_hash"],
                                     "name": row.get("name"), "level": row.get("level"),
                                     "created_at": stored["created_at"] if stored else int(now),
                                     "updated_at": int(now)}
        return out

    def get_members(self, scope: Scope, account_id: str, member_ids: list[str]) -> dict[str, dict]:
        scope.check(account_id)
        with self.lock:
            return {m: copy.deepcopy(self.members[(account_id, m)]) for m in member_ids
                    if (account_id, m) in self.members}

    def take_try(self, scope: Scope, account_id: str, openid: str, hour: int, limit: int) -> bool:
        scope.check(account_id)
        with self.lock:
            key = (account_id, openid, hour)
            if self.tries.get(key, 0) >= limit:
                return False
            self.tries[key] = self.tries.get(key, 0) + 1
            return True

    def record_verified(self, scope: Scope, account_id: str, channel_id: str, openid: str, member_id: str,
                        now: float) -> bool:
        scope.check(account_id)
        with self.lock:
            key = (account_id, channel_id, openid)
            if key in self.verified:
                return False
            self.verified[key] = {"channel_id": channel_id, "openid": openid, "member_id": member_id,
                                  "verified_at": int(now)}
            self._add(account_id, channel_id, "verified", 1)
            return True

    def verification(self, scope: Scope, account_id: str, channel_id: str, openid: str) -> dict | None:
        scope.check(account_id)
        with self.lock:
            return copy.deepcopy(self.verified.get((account_id, channel_id, openid)))

    def _add(self, account_id: str, channel_id: str, figure: str, n: int) -> None:
        row = self.figure_rows.setdefault((account_id, channel_id), dict.fromkeys(FIGURES, 0))
        row[figure] += n

    def count(self, scope: Scope, account_id: str, channel_id: str, figure: str, n: int = 1,
              marker: str | None = None, expires_at: int | None = None) -> bool:
        scope.check(account_id)
        if figure not in FIGURES:
            raise ValueError(f"unknown figure {figure}")
        with self.lock:
            if marker is not None:
                if (account_id, marker) in self.markers:
                    return False
                self.markers.add((account_id, marker))
            self._add(account_id, channel_id, figure, n)
            return True

    def figure_writes(self, account_id: str, channel_id: str, deltas: dict[str, int]) -> list:
        if any(f not in FIGURES for f in deltas):
            raise ValueError(f"unknown figure in {sorted(deltas)}")

        def write():
            with self.lock:
                for figure, n in deltas.items():
                    self._add(account_id, channel_id, figure, n)
        return [write] if any(deltas.values()) else []

    def figures(self, scope: Scope, account_id: str, channel_id: str) -> dict:
        scope.check(account_id)
        with self.lock:
            return dict(self.figure_rows.get((account_id, channel_id)) or dict.fromkeys(FIGURES, 0))

    def verifications_of(self, scope: Scope, account_id: str, openids: set[str]) -> list[dict]:
        scope.check(account_id)
        with self.lock:
            return [copy.deepcopy(v) for (a, _c, o), v in sorted(self.verified.items()) if a == account_id
                    and o in openids]

    def erase_verification(self, scope: Scope, account_id: str, item: dict) -> None:
        scope.check(account_id)
        with self.lock:
            self.verified.pop((account_id, item["channel_id"], item["openid"]), None)
