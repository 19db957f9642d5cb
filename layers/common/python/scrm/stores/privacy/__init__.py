"""The privacy store (see base.py): `PrivacyStore` of erasure requests, and the in-memory twin. The DynamoDB
implementation is scrm.stores.privacy.dynamo (imported lazily by scrm.bootstrap: it loads PynamoDB)."""

from .base import STATUSES, ErasureRequest, PrivacyStore
from .memory import MemoryPrivacyStore

__all__ = ["STATUSES", "ErasureRequest", "PrivacyStore", "MemoryPrivacyStore"]
