"""The segment store's in-memory twin: the same conditions as DynamoDB under one lock, copies out. An index term's
entries are kept per shard in a dict and sorted on the first read after a change (a bulk load sorts once)."""

from __future__ import annotations

import bisect
import copy
import threading
from collections.abc import Iterator

from ...domain.segments import Range
from ...tenancy import Scope
from .base import CONFLICT, DUPLICATE, SHARDS, WRITTEN, FactWrite, shard_of


class MemorySegmentStore:
    def __init__(self):
        self.lock = threading.RLock()
        self.profiles: dict[tuple[str, str], dict] = {}  # (book, key) -> facts with version
        self.index: dict[tuple[str, str, int], dict[tuple[int, str], None]] = {}
        self._sorted: dict[tuple[str, str, int], list[tuple[int, str]]] = {}
        self.markers: dict[str, int] = {}
        self.segments: dict[tuple[str, str], dict] = {}
        self.rfm: dict[str, dict] = {}
        self.items_read = 0

    # ---- facts and the index
    def facts(self, scope: Scope, account_id: str, book: str, keys: list[str]) -> dict[str, dict]:
        scope.check(account_id)
        with self.lock:
            found = {k: copy.deepcopy(self.profiles[(book, k)]) for k in dict.fromkeys(keys)
                     if (book, k) in self.profiles}
            self.items_read += len(found)
            return found

    def write_facts(self, scope: Scope, account_id: str, book: str, writes: list[FactWrite], marker: str | None,
                    expires_at: int) -> str:
        scope.check(account_id)
        with self.lock:
            if marker is not None and marker in self.markers:
                return DUPLICATE
            for w in writes:
                stored = self.profiles.get((book, w.key))
                if (stored["version"] if stored else None) != w.expected_version:
                    return CONFLICT
            for w in writes:
                self._move(book, w)
            if marker is not None:
                self.markers[marker] = expires_at
            return WRITTEN

    def _move(self, book: str, w: FactWrite) -> None:
        shard = shard_of(w.key)
        for e in w.before - w.after:
            part = self.index.get((book, e.term, shard))
            if part is not None and part.pop((e.n, w.key), 0) is None:
                self._sorted.pop((book, e.term, shard), None)
        for e in w.after - w.before:
            self.index.setdefault((book, e.term, shard), {})[(e.n, w.key)] = None
            self._sorted.pop((book, e.term, shard), None)
        if w.facts is None:
            self.profiles.pop((book, w.key), None)
        else:
            self.profiles[(book, w.key)] = {**copy.deepcopy(w.facts), "key": w.key,
                                            "version": (w.expected_version or 0) + 1}

    def bulk_load(self, book: str, writes: list[FactWrite]) -> None:
        """Benchmarks: put many new records at once (no conditions, no marker)."""
        with self.lock:
            for w in writes:
                self._move(book, w)

    def read_index(self, scope: Scope, account_id: str, book: str, rng: Range) -> Iterator[str]:
        scope.check(account_id)
        for shard in range(SHARDS):
            with self.lock:
                entries = self._sorted.get((book, rng.term, shard))
                if entries is None:
                    entries = sorted(self.index.get((book, rng.term, shard), {}))
                    self._sorted[(book, rng.term, shard)] = entries
                lo = bisect.bisect_left(entries, (rng.low, ""))
                hi = bisect.bisect_right(entries, (rng.high, "\U0010ffff"))
                page = entries[lo:hi]
                self.items_read += len(page)
            for _n, key in page:
                yield key

    # ---- rule segments and RFM bands
    def put_segment(self, scope: Scope, account_id: str, segment: dict) -> None:
        scope.check(account_id)
        with self.lock:
            self.segments[(account_id, segment["segment_id"])] = copy.deepcopy(segment)

    def get_segment(self, scope: Scope, account_id: str, segment_id: str) -> dict | None:
        scope.check(account_id)
        with self.lock:
            return copy.deepcopy(self.segments.get((account_id, segment_id)))

    def page_segments(self, scope: Scope, account_id: str, limit: int, after: str | None
                      ) -> tuple[list[dict], str | None]:
        scope.check(account_id)
        with self.lock:
            ids = sorted(i for (a, i) in self.segments if a == account_id and i > (after or ""))
            page = [copy.deepcopy(self.segments[(account_id, i)]) for i in ids[:limit]]
        return page, (page[-1]["segment_id"] if len(ids) > limit else None)

    def delete_segment(self, scope: Scope, account_id: str, segment_id: str) -> bool:
        scope.check(account_id)
        with self.lock:
            return self.segments.pop((account_id, segment_id), None) is not None

    def get_rfm(self, scope: Scope, account_id: str) -> dict | None:
        scope.check(account_id)
        with self.lock:
            return copy.deepcopy(self.rfm.get(account_id))

    def put_rfm(self, scope: Scope, account_id: str, bands: dict) -> None:
        scope.check(account_id)
        with self.lock:
            self.rfm[account_id] = copy.deepcopy(bands)
