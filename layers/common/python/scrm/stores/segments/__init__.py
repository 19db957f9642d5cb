"""The segment store (see base.py): `SegmentStore` and its in-memory twin. The DynamoDB implementation is
scrm.stores.segments.dynamo (imported lazily by scrm.bootstrap: it loads PynamoDB)."""

from .base import CONFLICT, DUPLICATE, SHARDS, WRITTEN, FactWrite, SegmentStore, shard_of
from .memory import MemorySegmentStore

__all__ = ["CONFLICT", "DUPLICATE", "SHARDS", "WRITTEN", "FactWrite", "MemorySegmentStore", "SegmentStore",
           "shard_of"]
