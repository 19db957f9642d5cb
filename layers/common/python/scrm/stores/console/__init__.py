"""The console access store (see base.py) and its in-memory twin; the DynamoDB implementation is
scrm.stores.console.dynamo (imported lazily by scrm.bootstrap: it loads PynamoDB)."""

from .base import KEY, WECOM_STAFF, ConsoleStore, LoginState, Session, StaffRole
from .memory import MemoryConsoleStore

__all__ = ["KEY", "WECOM_STAFF", "ConsoleStore", "LoginState", "MemoryConsoleStore", "Session", "StaffRole"]
