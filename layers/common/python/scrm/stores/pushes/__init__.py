"""The push store: scheduled pushes, their runs' plans and batches, the quota ledger, the customer-service window's
allowances and saved segments. Interface and conditions: base.PushStore; in-memory twin: memory.py; DynamoDB:
dynamo.py (+ dynamo_ledger.py, dynamo_windows.py). The composition root hands out the one per container
(bootstrap.push_store)."""

from __future__ import annotations

from .base import DuplicatePush, PushStore
from .layout import CHUNK, LEASE_STATUSES, PUSH_JSON, TX_MAX, batch_sk, pack, run_pk, unpack
from .memory import MemoryPushStore

__all__ = ["CHUNK", "LEASE_STATUSES", "PUSH_JSON", "TX_MAX", "DuplicatePush", "DynamoPushStore", "MemoryPushStore",
           "PushStore", "batch_sk", "pack", "run_pk", "unpack"]


def __getattr__(name: str):
    # DynamoPushStore loads PynamoDB: imported when first asked for, so the package itself stays light
    if name == "DynamoPushStore":
        from .dynamo import DynamoPushStore

        return DynamoPushStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
