"""The channel store's in-memory twin: the same conditions as DynamoDB under one lock, copies out."""

from __future__ import annotations

import copy
import random
import threading
from collections import defaultdict

from ...domain.attribution import METRICS
from ...tenancy import Scope
from ..cursors import check_page
from .base import SHARDS, channel_cursor


class MemoryChannelStore:
    def __init__(self):
        self.lock = threading.RLock()
        self.channels: dict[tuple[str, str], dict] = {}
        self.pointers: dict[tuple[str, str, str], str] = {}
        self.permanent: dict[str, int] = {}
        self.caps: dict[tuple[str, str, str, str], dict] = {}  # (account, channel, day, userid) -> {n, capped_at}
        self.stats: dict[tuple[str, int, str, str], dict] = {}  # (account, shard, channel, day) -> metrics
        self.taggings: dict[tuple[str, str], dict] = {}  # (account, entry key) -> tagging

    # ---- channels
    def reserve_scene(self, scope: Scope, account_id: str, kind: str, value: str, channel_id: str) -> bool:
        scope.check(account_id)
        with self.lock:
            if (account_id, kind, value) in self.pointers:
                return False
            self.pointers[(account_id, kind, value)] = channel_id
            return True

    def release_scene(self, scope: Scope, account_id: str, kind: str, value: str) -> None:
        scope.check(account_id)
        with self.lock:
            self.pointers.pop((account_id, kind, value), None)

    def count_permanent(self, scope: Scope, account_id: str, step: int, limit: int | None = None) -> bool:
        scope.check(account_id)
        with self.lock:
            n = self.permanent.get(account_id)
            if limit is not None and n is not None and n >= limit:
                return False
            self.permanent[account_id] = (n or 0) + step
            return True

    def put_channel(self, scope: Scope, channel: dict) -> None:
        scope.check(channel["account_id"])
        with self.lock:
            self.channels[(channel["account_id"], channel["channel_id"])] = copy.deepcopy(channel)

    def get_channel(self, scope: Scope, account_id: str, channel_id: str, consistent: bool = True) -> dict | None:
        scope.check(account_id)
        with self.lock:
            return copy.deepcopy(self.channels.get((account_id, channel_id)))

    def all_channels(self, scope: Scope, account_id: str) -> list[dict]:
        scope.check(account_id)
        with self.lock:
            return [copy.deepcopy(c) for (a, i), c in sorted(self.channels.items()) if a == account_id]

    def page_channels(self, scope: Scope, account_id: str, *, limit: int, start: dict | None = None,
             status: str | None = None, group: str | None = None, kind: str | None = None
             ) -> tuple[list[dict], dict | None]:
        check_page(scope, account_id, start)
        after = (start or {}).get("sk", {}).get("S", "ch#")[3:]
        with self.lock:
            ids = sorted(i for (a, i) in self.channels if a == account_id and i > after)
            read = [self.channels[(account_id, i)] for i in ids[:limit]]
            items = [copy.deepcopy(c) for c in read
                     if (status is None or c.get("status") == status) and (group is None or c.get("group") == group)
                     and (kind is None or c.get("kind") == kind)]
        last = channel_cursor(account_id, ids[limit - 1]) if len(ids) > limit else None
        return items, last

    def replace_channel(self, scope: Scope, channel: dict, expect_version: int) -> bool:
        scope.check(channel["account_id"])
        with self.lock:
            key = (channel["account_id"], channel["channel_id"])
            if key not in self.channels or self.channels[key].get("version") != expect_version:
                return False
            self.channels[key] = copy.deepcopy(channel)
            return True

    def update_channel(self, scope: Scope, account_id: str, channel_id: str, changes: dict,
               expect_version: int | None = None) -> bool:
        scope.check(account_id)
        with self.lock:
            current = self.channels.get((account_id, channel_id))
            if current is None:
                raise KeyError(f"no channel {channel_id} in {account_id}")
            if expect_version is not None and current.get("version") != expect_version:
                return False
            for name, value in changes.items():
                current[name] = copy.deepcopy(value)
            return True

    def owner_of(self, scope: Scope, account_id: str, kind: str, value: str) -> str | None:
        scope.check(account_id)
        with self.lock:
            return self.pointers.get((account_id, kind, value))

    def active_ways(self) -> list[tuple[str, str]]:
        with self.lock:
            return sorted(k for k, c in self.channels.items() if c.get("upkeep") == "way")

    # ---- rotation counters
    def adds_on(self, scope: Scope, account_id: str, channel_id: str, day: str) -> dict[str, int]:
        scope.check(account_id)
        with self.lock:
            return {u: row["n"] for (a, c, d, u), row in self.caps.items()
                    if (a, c, d) == (account_id, channel_id, day)}

    def cap_write(self, account_id: str, channel_id: str, userid: str, day: str, now: float):
        def write():
            with self.lock:
                row = self.caps.setdefault((account_id, channel_id, day, userid), {"n": 0})
                row["n"] += 1
        return write

    def mark_capped(self, scope: Scope, account_id: str, channel_id: str, day: str, userid: str, cap: int,
                    at: float) -> bool:
        scope.check(account_id)
        with self.lock:
            row = self.caps.get((account_id, channel_id, day, userid))
            if row is None or row["n"] < cap or row.get("capped_at") is not None:
                return False
            row["capped_at"] = int(at)
            return True

    def unmark_capped(self, scope: Scope, account_id: str, channel_id: str, day: str, userid: str) -> None:
        scope.check(account_id)
        with self.lock:
            (self.caps.get((account_id, channel_id, day, userid)) or {}).pop("capped_at", None)

    # ---- statistics
    def counter_writes(self, deltas: dict, rng=None) -> list:
        rng = rng or random
        grouped: dict[tuple, dict] = defaultdict(dict)
        for (account_id, channel_id, day, metric), d in deltas.items():
            grouped[(account_id, channel_id, day)][metric] = d
        return [self._add(key, rng.randrange(SHARDS), metrics) for key, metrics in sorted(grouped.items())]

    def _add(self, key: tuple, shard: int, metrics: dict):
        account_id, channel_id, day = key

        def write():
            with self.lock:
                row = self.stats.setdefault((account_id, shard, channel_id, day), {})
                for metric, d in metrics.items():
                    row[metric] = row.get(metric, 0) + d
        return write

    def add_counts(self, scope: Scope, account_id: str, deltas: dict, rng=None) -> None:
        scope.check(account_id)
        if any(key[0] != account_id for key in deltas):
            raise ValueError("deltas of another account")
        with self.lock:
            for write in self.counter_writes(deltas, rng):
                write()

    def read_counts(self, scope: Scope, account_id: str, channel_ids, start: str, end: str
               ) -> tuple[dict[tuple[str, str], dict], int]:
        scope.check(account_id)
        wanted = set(channel_ids)
        out: dict[tuple[str, str], dict] = {}
        reads = 0
        with self.lock:
            for (a, _shard, channel_id, day), row in self.stats.items():
                if a != account_id or channel_id not in wanted or not start <= day <= end:
                    continue
                reads += 1
                total = out.setdefault((channel_id, day), dict.fromkeys(METRICS, 0))
                for m in METRICS:
                    total[m] += int(row.get(m) or 0)
        return out, reads

    # ---- pending taggings
    def tagging_writes(self, account_id: str, platform: str, identity: str, staff: str | None, tags: list,
                       now: float) -> list:
        if platform == "oa":
            entries = [{"account_id": account_id, "platform": "oa", "tag": int(t), "openid": identity}
                       for t in tags]
        else:
            entries = [{"account_id": account_id, "platform": "wecom", "userid": staff, "external_userid": identity,
                        "tags": list(tags)}]
        return [self._queue(dict(e, queued_at=int(now), attempts=0)) for e in entries]

    def _queue(self, tagging: dict):
        def write():
            with self.lock:
                self.taggings[(tagging["account_id"], _entry(tagging))] = copy.deepcopy(tagging)
        return write

    def pending_taggings(self) -> dict[str, list[dict]]:
        out: dict[str, list[dict]] = {}
        with self.lock:
            for (account_id, _e), t in sorted(self.taggings.items()):
                out.setdefault(account_id, []).append(copy.deepcopy(t))
        return out

    def taggings_of(self, scope: Scope, account_id: str, identities: set[str]) -> list[dict]:
        scope.check(account_id)
        with self.lock:
            return [copy.deepcopy(t) for (a, _e), t in sorted(self.taggings.items())
                    if a == account_id and (t.get("openid") or t.get("external_userid")) in identities]

    def delete_taggings(self, taggings: list[dict]) -> None:
        with self.lock:
            for t in taggings:
                self.taggings.pop((t["account_id"], _entry(t)), None)


def _entry(t: dict) -> tuple:
    if t["platform"] == "oa":
        return ("oa", int(t["tag"]), t["openid"])
    return ("wecom", t["userid"], t["external_userid"])
