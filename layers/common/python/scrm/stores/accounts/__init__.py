"""The account store (see base.py): `AccountStore`, its `AccountRow`, and the in-memory twin. The DynamoDB
implementation is scrm.stores.accounts.dynamo (imported lazily by scrm.bootstrap: it loads PynamoDB)."""

from .base import REGISTERING, AccountReads, AccountRow, AccountStore
from .memory import MemoryAccountStore

__all__ = ["REGISTERING", "AccountReads", "AccountRow", "AccountStore", "MemoryAccountStore"]
