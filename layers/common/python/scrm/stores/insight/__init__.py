"""The insight store (see base.py): `InsightStore` and its in-memory twin. The DynamoDB implementation is
scrm.stores.insight.dynamo (imported lazily by scrm.bootstrap: it loads PynamoDB)."""

from .base import InsightStore
from .memory import MemoryInsightStore

__all__ = ["InsightStore", "MemoryInsightStore"]
