"""The menu store (see base.py): `MenuStore` and its in-memory twin. The DynamoDB implementation is
scrm.stores.menus.dynamo (imported lazily by scrm.bootstrap: it loads PynamoDB)."""

from .base import MenuStore
from .memory import MemoryMenuStore

__all__ = ["MemoryMenuStore", "MenuStore"]
