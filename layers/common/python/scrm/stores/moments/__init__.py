"""The moment store: customer moments (客户朋友圈 tasks) and their customers' monthly counts (the quota ledger).
Interface and conditions: base.MomentStore; in-memory twin: memory.py; DynamoDB: dynamo.py. The composition root
hands out the one per container (bootstrap.moment_store)."""

from __future__ import annotations

from .base import DuplicateMoment, MomentStore
from .memory import MemoryMomentStore

__all__ = ["DuplicateMoment", "DynamoMomentStore", "MemoryMomentStore", "MomentStore"]


def __getattr__(name: str):
    # DynamoMomentStore loads PynamoDB: imported when first asked for, so the package itself stays light
    if name == "DynamoMomentStore":
        from .dynamo import DynamoMomentStore

        return DynamoMomentStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
