"""The reassignment store: plans (with their lease), items, batches (claims and leases), the on-job ledger and
the notices, behind one interface (`base.ReassignmentStore`) with a DynamoDB implementation and an in-memory twin.

`scrm.bootstrap.reassignment_store()` gives the container's one; tests pass
`bootstrap.reset(reassignment_store=MemoryReassignmentStore())`.
"""

from .base import LeaseLost, ReassignmentStore, item_key
from .memory import MemoryReassignmentStore

__all__ = ["LeaseLost", "MemoryReassignmentStore", "ReassignmentStore", "item_key"]
