"""The contact store (see base.py): `ContactStore`, the `Book` it hands out, its in-memory twin and the
DynamoDB implementation (imported lazily by scrm.bootstrap: it loads PynamoDB)."""

from .base import MAX_MEMBERS, Book, ContactStore
from .memory import MemoryContactStore

__all__ = ["MAX_MEMBERS", "Book", "ContactStore", "MemoryContactStore"]
