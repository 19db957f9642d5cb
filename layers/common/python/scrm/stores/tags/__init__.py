"""The tag store (see base.py): `TagStore` and its in-memory twin. The DynamoDB implementation is
scrm.stores.tags.dynamo (imported lazily by scrm.bootstrap: it loads PynamoDB)."""

from .base import TagStore
from .memory import MemoryTagStore

__all__ = ["MemoryTagStore", "TagStore"]
