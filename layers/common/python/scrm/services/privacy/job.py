"""Erasure as a queued job: the admin API records the request and answers at once (202); the erasure worker
(functions/privacy_worker.py, queue `erasure`) carries it out one table per step.

Why a job: an erasure walks every table of the account (queries per campaign and push run, scans of the inbox,
the quota ledger and stored admin responses), which for a large account takes longer than API Gateway's 29 s.

The request (scrm.stores.privacy) is the job's only state, and the order of writes is the design:
1. When asked: the person is identified (their identifiers joined by the contact book, a pseudonym and the share
   ids' new names drawn) and the tombstones written (from now on a queued event of theirs is dropped); then the
   request, holding all of that, is stored `pending`; then one message naming it (never the identifier) is sent.
2. A step erases the table at the request's cursor (TABLES order), then records it: cursor + 1 and the table's
   count, conditionally on the cursor it started from. Every table's eraser is idempotent (a pseudonymised or
   deleted item is not found again; the pseudonym and new share ids are the request's, the same on a re-run), so a
   step re-run after a crash, or run twice by two deliveries of one message, has one effect; of two deliveries the
   one whose record loses stops (it sends nothing), so exactly one carries the job on.
3. A worker takes at most STEPS_PER_RUN steps and stops before its time budget runs out; the request not done, it
   sends the next message (the cursor in it is informative: the request's cursor is the truth). A worker that
   dies leaves its message to be redelivered; it resumes at the request's cursor. The last delivery of a failing
   message marks the request `failed` (its DLQ copy, redriven with `scrm_cli dlq redrive`, resumes it).
4. The step that erases the last table marks the request done and drops what it held about the person, and the
   audit log gets `privacy.erase.done` under the key that asked.

Counts: a table's count is what the step that recorded it found. A step that died after erasing some items and
before recording is re-run and finds only the rest, so after a crash a count can be lower than what was erased;
what is erased is not.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable

from ... import bootstrap, queues
from ...data import erasures
from ...domain.instants import answer_time
from ...errors import NotFound
from ...stores.privacy import ErasureRequest
from ...tenancy import Scope
from .. import audit
from . import stored
from .person import Person, _named, identify
from .tables import TABLES

QUEUE = queues.ERASURE
STEPS_PER_RUN = 8  # tables per worker invocation: a bounded step count whatever the time budget says


def _identify(scope: Scope, account_id: str, identity: dict) -> Person:
    return identify(scope, account_id, identity, lambda person: stored.share_ids(scope, person))


def status_path(account_id: str, request_id: str) -> str:
    return f"/accounts/{account_id}/privacy/erasures/{request_id}"


def open_request(scope: Scope, account_id: str, identity: dict, requested_by: str,
                 clock: Callable[[], float] | None = None) -> ErasureRequest:
    """Identify the person, write the tombstones, store the request `pending` (step 1 without the message)."""
    kind, _value = _named(identity)
    person = _identify(scope, account_id, identity)
    at = (clock or bootstrap.container().now)()
    for ident_kind, value in person.identities():
        erasures.record(scope, account_id, ident_kind, value, at)
    req = ErasureRequest(account_id=account_id, request_id="er-" + secrets.token_hex(8), kind=kind,
                         requested_by=requested_by, requested_at=at, person=person.state(), updated_at=at)
    bootstrap.privacy_store().create_request(scope, req)
    return req


def request_erasure(scope: Scope, account_id: str, identity: dict, requested_by: str,
                    clock: Callable[[], float] | None = None) -> dict:
    """Record the erasure and queue it; the answer names the request and where its status is read."""
    req = open_request(scope, account_id, identity, requested_by, clock)
    enqueue(account_id, req.request_id, 0)
    return view(req)


def enqueue(account_id: str, request_id: str, cursor: int) -> None:
    queues.send(QUEUE, {"account_id": account_id, "request_id": request_id, "cursor": cursor})


def erasure_status(scope: Scope, account_id: str, request_id: str) -> dict:
    req = bootstrap.privacy_store().get_request(scope, account_id, request_id)
    if req is None:
        raise NotFound(f"no erasure request {request_id!r} in account {account_id!r}")
    return view(req)


def view(req: ErasureRequest) -> dict:
    return {"request_id": req.request_id, "account_id": req.account_id, "status": req.status, "kind": req.kind,
            "requested_by": req.requested_by, "requested_at": answer_time(req.requested_at),
            "updated_at": answer_time(req.updated_at or req.requested_at), "finished_at": answer_time(req.finished_at),
            "tables_done": min(req.cursor, len(TABLES)), "tables": len(TABLES), "steps": req.steps,
            "erased": dict(req.counts), "items": sum(req.counts.values()), "error": req.error,
            "status_url": status_path(req.account_id, req.request_id)}


def run_erasure(account_id: str, request_id: str, *, steps: int | None = None, budget_seconds: float | None = None,
                tables: dict | None = None, monotonic: Callable[[], float] = time.monotonic) -> dict:
    """Take up to `steps` steps of the request (fewer when `budget_seconds` runs out first, at least one); `more`
    says whether the request still has tables to erase and this run should hand it on (False also when another delivery
    recorded a step first: that one carries it on)."""
    tables = TABLES if tables is None else tables
    names = list(tables)
    scope, store, now = Scope.system(account_id), bootstrap.privacy_store(), bootstrap.container().now
    req = store.start_request(scope, account_id, request_id, now())
    if req is None or req.status == "done":
        return {"status": "done" if req else "missing", "more": False}
    person = Person.resumed(account_id, req.person, bootstrap.contact_store().open_book(scope, account_id))
    started = monotonic()
    # at least one step per run, or a tight budget would never get anywhere
    for _ in range(max(1, STEPS_PER_RUN if steps is None else steps)):
        table = names[req.cursor] if req.cursor < len(names) else None
        count = len(tables[table](scope, person, True)) if table else 0
        done = table is None or req.cursor + 1 >= len(names)
        after = store.record_step(scope, account_id, request_id, cursor=req.cursor, table=table, count=count,
                                  done=done, at=now())
        if after is None:
            return {"status": "lost", "more": False}
        req = after
        if done:
            audit.record(account_id, key_id=req.requested_by, action="privacy.erase.done",
                         object=status_path(account_id, request_id), outcome="ok", status=200, method="SQS")
            return {"status": "done", "more": False, "cursor": req.cursor}
        if budget_seconds is not None and monotonic() - started >= budget_seconds:
            break
    return {"status": req.status, "more": True, "cursor": req.cursor}


def fail(account_id: str, request_id: str, error: str) -> None:
    bootstrap.privacy_store().fail_request(Scope.system(account_id), account_id, request_id, error,
                                           bootstrap.container().now())
