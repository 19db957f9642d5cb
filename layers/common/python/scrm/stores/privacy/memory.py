"""The privacy store's in-memory twin: the same conditions as DynamoDB under one lock (requests are frozen)."""

from __future__ import annotations

import threading
from dataclasses import replace

from ...errors import Conflict
from ...tenancy import Scope
from .base import ErasureRequest, stepped


class MemoryPrivacyStore:
    def __init__(self):
        self.lock = threading.RLock()
        self.requests: dict[tuple[str, str], ErasureRequest] = {}

    def create_request(self, scope: Scope, req: ErasureRequest) -> None:
        scope.check(req.account_id)
        with self.lock:
            if self.requests.setdefault((req.account_id, req.request_id), req) is not req:
                raise Conflict(f"erasure request {req.request_id!r} exists already")

    def get_request(self, scope: Scope, account_id: str, request_id: str) -> ErasureRequest | None:
        scope.check(account_id)
        with self.lock:
            return self.requests.get((account_id, request_id))

    def start_request(self, scope: Scope, account_id: str, request_id: str, at: float) -> ErasureRequest | None:
        scope.check(account_id)
        with self.lock:
            req = self.requests.get((account_id, request_id))
            if req is None or req.status == "done":
                return req
            req = self.requests[(account_id, request_id)] = replace(req, status="running", updated_at=at, error=None)
            return req

    def record_step(self, scope: Scope, account_id: str, request_id: str, *, cursor: int, table: str | None,
                    count: int, done: bool, at: float) -> ErasureRequest | None:
        scope.check(account_id)
        with self.lock:
            req = self.requests.get((account_id, request_id))
            if req is None or req.status == "done" or req.cursor != cursor:
                return None
            req = self.requests[(account_id, request_id)] = stepped(req, table, count, done, at)
            return req

    def fail_request(self, scope: Scope, account_id: str, request_id: str, error: str, at: float) -> None:
        scope.check(account_id)
        with self.lock:
            req = self.requests.get((account_id, request_id))
            if req is not None and req.status != "done":
                self.requests[(account_id, request_id)] = replace(req, status="failed", error=error, updated_at=at)
