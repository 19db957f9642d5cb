"""The privacy store: erasure requests (table `erasure_requests`, model scrm.data.erasure_requests) and the
progress the erasure worker makes on each.

A request moves pending -> running -> done, or -> failed when its last delivery failed (a redriven message
resumes it: failed -> running). Its `cursor` is the next table to erase (an index into
scrm.services.privacy.TABLES); `record_step` moves it on by exactly one and only from the cursor the step
started at, so of two deliveries of the same step (SQS delivers at least once) one records it and the other is
told it lost (None) and stops. A done request keeps no `person`. Tenancy: every call takes the caller's scope and
refuses (Forbidden) another account's requests.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Protocol

from ...tenancy import Scope

STATUSES = ("pending", "running", "done", "failed")


@dataclass(frozen=True)
class ErasureRequest:
    account_id: str
    request_id: str
    kind: str  # the identifier the person was named by (openid, external_userid, unionid)
    requested_by: str  # admin key id
    requested_at: float
    person: dict | None  # what the worker resumes with (scrm.services.privacy.person.Person.state); None once done
    status: str = "pending"
    cursor: int = 0
    steps: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    updated_at: float = 0.0
    finished_at: float | None = None
    error: str | None = None


def stepped(req: ErasureRequest, table: str | None, count: int, done: bool, at: float) -> ErasureRequest:
    """The request after the step at its cursor (both implementations write exactly this)."""
    counts = {**req.counts, table: count} if table and count else dict(req.counts)
    return replace(req, cursor=req.cursor + (1 if table else 0), steps=req.steps + 1, counts=counts,
                   status="done" if done else "running", updated_at=at, finished_at=at if done else None,
                   person=None if done else req.person, error=None)


class PrivacyStore(Protocol):
    def create_request(self, scope: Scope, req: ErasureRequest) -> None:
        """Store a new request (Conflict if its id exists)."""

    def get_request(self, scope: Scope, account_id: str, request_id: str) -> ErasureRequest | None:
        """The request, read consistently (None if there is none)."""

    def start_request(self, scope: Scope, account_id: str, request_id: str, at: float) -> ErasureRequest | None:
        """Mark a pending or failed request running and return it; a done one is returned as it is; None if none."""

    def record_step(self, scope: Scope, account_id: str, request_id: str, *, cursor: int, table: str | None,
                    count: int, done: bool, at: float) -> ErasureRequest | None:
        """Record the step that erased `table` (None: no table left, the finishing step) with `count` items: the
        cursor moves from `cursor` to `cursor + 1`, the count is kept under the table's name, and a done request
        drops its `person`. Only if the cursor is still `cursor` and the request is not done: else None (another
        delivery recorded it first)."""

    def fail_request(self, scope: Scope, account_id: str, request_id: str, error: str, at: float) -> None:
        """Mark a request that is not done failed, with the error's kind."""
