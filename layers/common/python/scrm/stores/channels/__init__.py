"""The channel store (see base.py): `ChannelStore`, its in-memory twin and the DynamoDB implementation
(imported lazily by scrm.bootstrap: it loads PynamoDB)."""

from .base import CAP_TTL_SECONDS, SHARDS, ChannelStore
from .memory import MemoryChannelStore

__all__ = ["CAP_TTL_SECONDS", "SHARDS", "ChannelStore", "MemoryChannelStore"]
