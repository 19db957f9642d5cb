"""How a push's data is laid out in items, shared by both stores (so they hand out the same keys and cursors).

A run's plan and batches live under one partition (`run_pk`); a batch's recipients are chunked beside its
record (CHUNK ids an item, zlib-compressed), so a 10,000-recipient batch is a handful of small items.
"""

from __future__ import annotations

import copy
import zlib

PUSH_JSON = ("content", "audience", "recurrence", "preview", "runs", "poll_runs")
CHUNK = 2500
TX_MAX = 100  # DynamoDB TransactWriteItems holds at most 100 actions
TX_CONFLICT_RETRIES = 5
LEASE_STATUSES = ("scheduled", "running")


def run_pk(account_id: str, push_id: str, run_no: int) -> str:
    return f"{account_id}#{push_id}#{run_no}"


def batch_sk(no: int) -> str:
    return f"b{no:06d}"


def pack(ids: list[str]) -> bytes:
    return zlib.compress("\n".join(ids).encode("utf-8"), 6)


def unpack(blob: bytes | None) -> list[str]:
    if not blob:
        return []
    text = zlib.decompress(blob).decode("utf-8")
    return text.split("\n") if text else []


def cursor(account_id: str, range_name: str, value: str) -> dict:
    """A last-evaluated key in DynamoDB's shape, so both stores hand out the same kind of cursor."""
    return {"account_id": {"S": account_id}, range_name: {"S": value}}


def batch_cursor(account_id: str, push_id: str, run_no: int, no: int) -> dict:
    return {"pk": {"S": run_pk(account_id, push_id, run_no)}, "sk": {"S": batch_sk(no)}}


class _Count:
    """A cost counter kept in the store's `_counts`, which its scoped views share."""

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, store, owner=None):
        return self if store is None else store._counts[self.name]

    def __set__(self, store, value: int) -> None:
        store._counts[self.name] = value


class ScopedStore:
    """What both stores share: the Scope every call is checked against, views through another scope, and the
    cost counters (shared between a store and its views, so a benchmark reads one figure)."""

    def __init__(self, scope):
        self.scope = scope
        self._counts = {"writes": 0, "round_trips": 0}

    def _c(self, account_id: str) -> str:
        return self.scope.check(account_id)

    def _in_scope(self, account_id: str) -> bool:
        """For the cross-account scheduler queries: a system scope of one account sees only that account."""
        return self.scope.account_id in (None, account_id)

    def scoped(self, scope):
        """The same store (same data, same connections) with every call checked against `scope`."""
        view = copy.copy(self)
        view.scope = scope
        return view

    writes = _Count()  # item writes (the in-memory store counts them, to compare with DynamoDB costs)
    round_trips = _Count()  # quota ledger transactions (each one DynamoDB request)

    def list_pushes(self, account_id: str, limit: int = 50) -> list[dict]:
        return self.page_pushes(account_id, limit)[0]


def check_cursor(start: dict | None, name: str, expected: str, what: str) -> None:
    """A cursor handed out for one account (or run) is refused for another."""
    if start is not None and start.get(name, {}).get("S") != expected:
        raise ValueError(f"cursor of another {what}")
