"""The member store (see base.py): `MemberStore` and its in-memory twin. The DynamoDB implementation is
scrm.stores.members.dynamo (imported lazily by scrm.bootstrap: it loads PynamoDB)."""

from .base import MemberStore
from .memory import MemoryMemberStore

__all__ = ["MemberStore", "MemoryMemberStore"]
