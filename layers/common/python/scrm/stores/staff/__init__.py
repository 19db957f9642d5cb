"""The staff store (see base.py): `StaffStore` and its in-memory twin. The DynamoDB implementation is
scrm.stores.staff.dynamo (imported lazily by scrm.bootstrap: it loads PynamoDB)."""

from .base import ALERT_STATES, FINAL_STATES, StaffStore
from .memory import MemoryStaffStore

__all__ = ["ALERT_STATES", "FINAL_STATES", "MemoryStaffStore", "StaffStore"]
