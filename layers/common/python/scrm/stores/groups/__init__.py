"""The customer group store (see base.py): `GroupStore`, its in-memory twin and the DynamoDB implementation
(imported lazily by scrm.bootstrap: it loads PynamoDB)."""

from .base import GroupStore, marker_of
from .memory import MemoryGroupStore

__all__ = ["GroupStore", "MemoryGroupStore", "marker_of"]
