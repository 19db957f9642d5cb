"""Moved: the push store is scrm.stores.pushes (interface base.PushStore, memory.MemoryPushStore,
dynamo.DynamoPushStore). This name stays for the callers that still import it (services.privacy reads the
batch layout; the integration tests and bench/pushes.py build the stores by this name)."""

from __future__ import annotations

from ..stores.pushes.dynamo import DynamoPushStore
from ..stores.pushes.layout import CHUNK, LEASE_STATUSES, PUSH_JSON, TX_MAX, batch_sk, pack, run_pk, unpack
from ..stores.pushes.memory import MemoryPushStore

__all__ = ["CHUNK", "LEASE_STATUSES", "PUSH_JSON", "TX_MAX", "DynamoPushStore", "MemoryPushStore", "batch_sk", "pack",
           "run_pk", "unpack"]
