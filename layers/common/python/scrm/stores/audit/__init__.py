"""The audit store (see base.py): `AuditStore`, its `AuditRow`, and the in-memory twin. The DynamoDB
implementation is scrm.stores.audit.dynamo (imported lazily by scrm.bootstrap: it loads PynamoDB)."""

from .base import RETENTION_DAYS, AuditRow, AuditStore
from .memory import MemoryAuditStore

__all__ = ["RETENTION_DAYS", "AuditRow", "AuditStore", "MemoryAuditStore"]
