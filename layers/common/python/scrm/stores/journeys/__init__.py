"""The journey store: journeys (SOP), their entrants and per-step figures. Interface and conditions:
base.JourneyStore; in-memory twin: memory.py; DynamoDB: dynamo.py (bootstrap.journey_store)."""

from __future__ import annotations

from .base import COUNTERS, DuplicateJourney, JourneyStore
from .memory import MemoryJourneyStore

__all__ = ["COUNTERS", "DuplicateJourney", "DynamoJourneyStore", "JourneyStore", "MemoryJourneyStore"]


def __getattr__(name: str):
    # DynamoJourneyStore loads PynamoDB: imported when first asked for
    if name == "DynamoJourneyStore":
        from .dynamo import DynamoJourneyStore

        return DynamoJourneyStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
