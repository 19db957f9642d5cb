"""Compact follower storage for one OA app.

A million followers must fit in memory and be created in seconds, so bulk-created followers are
ranges (prefix + zero-padded number) and only followers whose state differs from the default get
a record. Order is creation order, which is what `user/get` paging walks.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

OPENID_LEN = 28


@dataclass
class BulkSegment:
    prefix: str
    start: int
    count: int
    width: int
    created_at: int
    unionid_prefix: str | None = None

    def openid(self, pos: int) -> str:
        return f"{self.prefix}{self.start + pos:0{self.width}d}"

    def locate(self, openid: str) -> int | None:
        if not openid.startswith(self.prefix) or len(openid) != len(self.prefix) + self.width:
            return None
        digits = openid[len(self.prefix):]
        if not digits.isdigit():
            return None
        pos = int(digits) - self.start
        return pos if 0 <= pos < self.count else None


@dataclass
class ListSegment:
    openids: list[str] = field(default_factory=list)
    index: dict[str, int] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return len(self.openids)

    def openid(self, pos: int) -> str:
        return self.openids[pos]

    def locate(self, openid: str) -> int | None:
        return self.index.get(openid)


class Followers:
    def __init__(self) -> None:
        self.segments: list[BulkSegment | ListSegment] = []
        self.records: dict[str, dict] = {}  # only followers with non-default state
        self.next_number: dict[str, int] = {}  # per bulk prefix, so repeated bulk calls never collide
        self.total_created = 0
        self.unsubscribed = 0

    # ---- creation -------------------------------------------------------------------------
    def bulk(self, count: int, prefix: str, now: int, unionid_prefix: str | None = None) -> BulkSegment:
        width = max(OPENID_LEN - len(prefix), len(str(count)) + 1)
        start = self.next_number.get(prefix, 1)
        seg = BulkSegment(prefix, start, count, width, now, unionid_prefix)
        self.next_number[prefix] = start + count
        self.segments.append(seg)
        self.total_created += count
        return seg

    def add(self, openid: str, now: int, **fields) -> dict:
        """Create a follower (or refollow an existing one) and return its record."""
        if self.locate(openid) is None:
            if not self.segments or not isinstance(self.segments[-1], ListSegment):
                self.segments.append(ListSegment())
            seg = self.segments[-1]
            seg.index[openid] = len(seg.openids)
            seg.openids.append(openid)
            self.total_created += 1
            rec = self._default(openid, now, None)
        else:
            rec = self.get(openid)
            if not rec["subscribe"]:
                self.unsubscribed -= 1
        rec.update(subscribe=1, subscribe_time=now, **fields)
        self.records[openid] = rec
        return rec

    def unsubscribe(self, openid: str) -> dict | None:
        rec = self.get(openid)
        if rec is None:
            return None
        if rec["subscribe"]:
            self.unsubscribed += 1
        rec["subscribe"] = 0
        self.records[openid] = rec
        return rec

    # ---- lookup ---------------------------------------------------------------------------
    def locate(self, openid: str) -> tuple[int, int] | None:
        for i, seg in enumerate(self.segments):
            pos = seg.locate(openid)
            if pos is not None:
                return i, pos
        return None

    @staticmethod
    def _default(openid: str, created_at: int, unionid: str | None) -> dict:
        return {"subscribe": 1, "openid": openid, "language": "zh_CN", "subscribe_time": created_at,
                "unionid": unionid, "remark": "", "groupid": 0, "tagid_list": [],
                "subscribe_scene": "ADD_SCENE_OTHERS", "qr_scene": 0, "qr_scene_str": ""}

    def get(self, openid: str) -> dict | None:
        """The follower's record (a live dict when it has one, else a fresh default)."""
        rec = self.records.get(openid)
        if rec is not None:
            return rec
        loc = self.locate(openid)
        if loc is None:
            return None
        seg = self.segments[loc[0]]
        if isinstance(seg, BulkSegment):
            union = f"{seg.unionid_prefix}{seg.start + loc[1]}" if seg.unionid_prefix else None
            return self._default(openid, seg.created_at, union)
        return self._default(openid, 0, None)

    def mutable(self, openid: str) -> dict | None:
        rec = self.get(openid)
        if rec is not None:
            self.records[openid] = rec
        return rec

    def is_subscribed(self, openid: str) -> bool:
        rec = self.records.get(openid)
        if rec is not None:
            return bool(rec["subscribe"])
        return self.locate(openid) is not None

    @property
    def total(self) -> int:
        return self.total_created - self.unsubscribed

    def newest_subscribed(self, limit: int) -> list[str]:
        """Up to `limit` subscribed followers, the most recently created first (what a person picking "who am I"
        looks for: the follower they just made)."""
        found: list[str] = []
        for seg in reversed(self.segments):
            for p in range(seg.count - 1, -1, -1):
                oid = seg.openid(p)
                rec = self.records.get(oid)
                if rec is None or rec["subscribe"]:
                    found.append(oid)
                    if len(found) == limit:
                        return found
        return found

    def iter_subscribed(self, after: str | None = None) -> Iterator[str]:
        seg_i, pos = 0, 0
        if after:
            loc = self.locate(after)
            if loc is None:
                return
            seg_i, pos = loc[0], loc[1] + 1
        records = self.records
        for seg in self.segments[seg_i:]:
            for p in range(pos, seg.count):
                oid = seg.openid(p)
                rec = records.get(oid)
                if rec is None or rec["subscribe"]:
                    yield oid
            pos = 0
