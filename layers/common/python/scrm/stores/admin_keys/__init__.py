"""The admin key store (see base.py): `AdminKeyStore`, its `KeyRow`, and the in-memory twin. The DynamoDB
implementation is scrm.stores.admin_keys.dynamo (imported lazily by scrm.bootstrap: it loads PynamoDB)."""

from .base import PLATFORM, AdminKeyStore, KeyRow
from .memory import MemoryAdminKeyStore

__all__ = ["PLATFORM", "AdminKeyStore", "KeyRow", "MemoryAdminKeyStore"]
