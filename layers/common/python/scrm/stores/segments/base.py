"""The segment store: each unified contact's facts with their index entries, the events' exactly-once markers,
rule segments and the account's RFM bands (table `segment_facts`; layout in scrm.data.segment_facts).

- facts: a dict (scrm.domain.segments) with its `version`; `book` is the contact book's partition the account
  uses (scrm.stores.contacts: open_book), so a person of a shared book is one record for all its accounts.
- `write_facts` is the one write of facts: every record's version checked, its index entries moved (the old
  ones deleted, the new ones put), the event's marker put only if absent: one transaction, all or nothing
  (<= 100 items). DUPLICATE: the marker exists (this event was applied before; nothing written); CONFLICT: a
  version changed meanwhile (read again and retry).
- `read_index` reads the entries of one term in a range of `n`, every shard, and counts each entry read in
  `items_read`; `facts` counts each record read. The preview reports that figure.

Tenancy: every method names the account; the scope must allow it (the book came from that account's
open_book).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

from ...domain.segments import Entry, Range
from ...tenancy import Scope

SHARDS = 8
WRITTEN, DUPLICATE, CONFLICT = "written", "duplicate", "conflict"


def shard_of(key: str) -> int:
    return int(hashlib.sha256(key.encode("utf-8")).hexdigest()[:8], 16) % SHARDS


@dataclass(frozen=True)
class FactWrite:
    """One record's change: `facts` None deletes it. `expected_version` None: only if it does not exist."""

    key: str
    expected_version: int | None
    facts: dict | None
    before: frozenset[Entry] = field(default_factory=frozenset)
    after: frozenset[Entry] = field(default_factory=frozenset)


class SegmentStore(Protocol):
    items_read: int

    # ---- facts and the index
    def facts(self, scope: Scope, account_id: str, book: str, keys: list[str]) -> dict[str, dict]:
        """The stored facts of these people (strongly consistent), each with its `version`; absent ones left out."""

    def write_facts(self, scope: Scope, account_id: str, book: str, writes: list[FactWrite], marker: str | None,
                    expires_at: int) -> str:
        """WRITTEN, DUPLICATE or CONFLICT (see the module)."""

    def read_index(self, scope: Scope, account_id: str, book: str, rng: Range) -> Iterator[str]:
        """The people with an entry of `rng.term` with low <= n <= high (each shard in `n` order)."""

    # ---- rule segments and RFM bands
    def put_segment(self, scope: Scope, account_id: str, segment: dict) -> None:
        """Write a segment {segment_id, name, rule, created_at} (overwrite)."""

    def get_segment(self, scope: Scope, account_id: str, segment_id: str) -> dict | None: ...

    def page_segments(self, scope: Scope, account_id: str, limit: int, after: str | None
                      ) -> tuple[list[dict], str | None]:
        """Segments in id order after `after`, and the id the next page starts after (None at the end)."""

    def delete_segment(self, scope: Scope, account_id: str, segment_id: str) -> bool: ...

    def get_rfm(self, scope: Scope, account_id: str) -> dict | None:
        """The account's RFM bands (RfmBands.to_dict), None for the defaults."""

    def put_rfm(self, scope: Scope, account_id: str, bands: dict) -> None: ...
