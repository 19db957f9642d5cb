"""The push store's interface: what the push use cases (scrm.services.pushes) may ask of their data.

Two implementations honour it: `MemoryPushStore` (memory.py: unit tests, the benchmark) and `DynamoPushStore`
(dynamo.py, dynamo_ledger.py: Lambda). tests/contract/test_push_store.py runs one contract over both.

Common to every method:
- **Tenancy.** Every call names an account and raises `errors.Forbidden` unless the store's Scope allows it;
  the cross-account scheduler queries (`due`, `polling`) return only accounts the scope may see.
- **Plain dicts, copies out.** Pushes, plans, batches and segments go in and come out as dicts; changing a
  returned dict never changes the store. In a `changes` dict a value of None removes the field.
- **Conditions answer, they do not raise.** A conditional write whose condition fails returns False (or
  None for `claim`); only `create_push` raises (`DuplicatePush`), because a push id is never reused.
- **Crash semantics.** Each method is one atomic step unless its docstring says otherwise: a crash before it
  returns leaves either all of it or nothing (multi-item writes say what a crash in between leaves).
"""

from __future__ import annotations

from typing import Protocol

from ...domain.service_window import Window
from ...tenancy import Scope


class DuplicatePush(KeyError):
    """create_push of an (account, push id) that exists."""


class PushStore(Protocol):
    scope: Scope

    def scoped(self, scope: Scope) -> PushStore:
        """The same store (same data, connections and counters) with every call checked against `scope`."""

    # ---- pushes
    def create_push(self, push: dict) -> None:
        """Insert a push (it names account_id and push_id). Raises DuplicatePush if it exists."""

    def get_push(self, account_id: str, push_id: str) -> dict | None:
        """The push as last written (strongly consistent), or None."""

    def list_pushes(self, account_id: str, limit: int = 50) -> list[dict]:
        """The first page of `page_pushes`."""

    def page_pushes(self, account_id: str, limit: int = 50, start: dict | None = None
                    ) -> tuple[list[dict], dict | None]:
        """At most `limit` of the account's pushes, newest push id first, and the cursor to continue from
        (None at the end). A cursor of another account raises ValueError."""

    def update_push(self, account_id: str, push_id: str, changes: dict, *, expect_status=None,
                    expect_owner: str | None = None) -> bool:
        """Apply `changes` if the push exists, its status is in `expect_status` (when given) and its lease
        owner is `expect_owner` (when given: a scheduler that lost its lease writes nothing). False otherwise."""

    def claim(self, account_id: str, push_id: str, owner: str, now: float, lease_until: float) -> dict | None:
        """Take the lease on a due push: only if its status is scheduled or running, next_run_at <= now and no
        lease is held at `now` (lease_until < now). Sets status running, lease_owner, lease_until and returns the
        push; None when any condition fails (another scheduler holds it, or it is no longer due)."""

    def due(self, now: float, limit: int = 25) -> list[tuple[str, str]]:
        """(account, push id) of pushes marked due with next_run_at <= now, earliest first, at most `limit`.
        A hint only: `claim` decides."""

    def polling(self, now: float, limit: int = 25) -> list[tuple[str, str]]:
        """(account, push id) of pushes marked for result polling with poll_at <= now, earliest first."""

    # ---- plans and batches (one run's are under one partition)
    def get_plan(self, account_id: str, push_id: str, run_no: int) -> dict | None:
        """The run's plan header, or None (not planned yet, or planning crashed before writing it)."""

    def put_plan(self, account_id: str, push_id: str, run_no: int, plan: dict) -> None:
        """Write (overwrite) the run's plan header. Written after the batches: its presence means they are whole."""

    def put_batches(self, account_id: str, push_id: str, run_no: int, batches: list[dict]) -> None:
        """Write batches (each: its fields, `no`, and `recipients`, a list kept chunked beside the record),
        overwriting any of the same number: planning is redone whole. Not atomic across batches: a crash
        part-way leaves some written, which is why the plan header comes last."""

    def list_batches(self, account_id: str, push_id: str, run_no: int) -> list[dict]:
        """Every batch record of the run in batch-number order, without recipients (strongly consistent)."""

    def page_batches(self, account_id: str, push_id: str, run_no: int, limit: int = 50,
                     start: dict | None = None) -> tuple[list[dict], dict | None]:
        """At most `limit` batch records in order, and the cursor to continue from (None at the end); a page
        may hold fewer than `limit`. A cursor of another run raises ValueError."""

    def batch_recipients(self, account_id: str, push_id: str, run_no: int, no: int) -> list[str]:
        """The batch's recipients in the order written ([] for an unknown batch)."""

    def update_batch(self, account_id: str, push_id: str, run_no: int, no: int, changes, *,
                     expect_states=None, expect_unfinished: bool = False) -> bool:
        """Apply `changes` (a dict, or a function of the current batch returning one) if the batch exists, its
        state is in `expect_states` (when given) and, with expect_unfinished, it has no `finished` mark.
        Concurrent writers never lose each other's fields. False when a condition fails."""

    def add_to_batch(self, account_id: str, push_id: str, run_no: int, no: int, counters: dict,
                     once_key: tuple[str, str] | None = None) -> bool:
        """Add `counters` to the batch's counters. With once_key=(account, msg_id): only if that message is
        indexed (put_msg_index) and not yet applied; the message is then marked applied, so a redelivered
        callback adds nothing. False when nothing was added. A crash after the mark and before the addition
        is undone (the mark is taken back), so the redelivery applies it."""

    def put_msg_index(self, account_id: str, entries: list[tuple[str, dict]]) -> None:
        """Index WeChat message ids to the batch that sent them ({push_id, run_no, no, kind})."""

    def get_msg_index(self, account_id: str, msg_id) -> dict | None:
        """The batch a WeChat message id belongs to, or None (not one of our pushes)."""

    def mark_once(self, account_id: str, push_id: str, run_no: int, recipient: str) -> bool:
        """Put a once-marker for one recipient of a run: True the first time, False ever after."""

    # ---- quota ledger (transactions of at most TX_MAX conditional writes, each one round trip)
    def reserve_many(self, account_id: str, keys: list[str], limit: int, holder: str, ttl: int) -> list[bool]:
        """Reserve one slot on each ledger row for `holder`, where the row's use is below `limit`; a row this
        holder already has a slot on is granted again without counting twice (a crash rerun). One answer per
        key, in order (a key repeated takes one slot). Rows refused cancel their transaction, which is retried
        without them: ceil(distinct keys / TX_MAX) round trips, plus one per cancelled transaction. Rows expire
        at `ttl` (epoch seconds)."""

    def release_many(self, account_id: str, keys: list[str], holder: str) -> None:
        """Give back `holder`'s slot on each row it has one on (others are left alone): releasing twice gives
        back once."""

    def used_many(self, account_id: str, keys: list[str]) -> dict[str, int]:
        """{key: slots used} for the rows that exist."""

    def reserve_amount(self, account_id: str, key: str, amount: int, limit: int, holder: str, ttl: int) -> int:
        """Reserve up to `amount` units of the row `key` (an account's messages today) for `holder`: as many as
        `limit` leaves, 0 when none. A holder that already reserved there gets what it holds, counted once (a
        crash rerun). One round trip a try (the holding and the count in one transaction)."""

    def release_amount(self, account_id: str, key: str, amount: int, holder: str) -> None:
        """Give back up to `amount` of what `holder` holds on `key` (never more than it holds)."""

    # ---- interactions: the customer-service window's allowances (domain.service_window)
    def touch(self, account_id: str, openid: str, at: float, kind: str = "") -> None:
        """Record a follower's action of `kind` at `at`: the allowance it opens starts afresh (nothing counted
        against it yet) when `at` is newer than that allowance's last opening; an older or repeated action, or a
        kind that opens nothing, changes nothing."""

    def service_windows(self, account_id: str, openids: list[str]) -> dict[str, Window]:
        """{openid: Window} for those who ever opened one."""

    def claim_service_message(self, account_id: str, openid: str, now: float,
                              message_seconds: int | None = None) -> tuple[str, float] | None:
        """Count one customer-service message against the first usable allowance (service_window.usable), with a
        condition that the allowance is the same one and has a message left: never more than it permits, whoever
        else sends. (allowance name, when it opened) as the claim, or None when none is usable."""

    def release_service_message(self, account_id: str, openid: str, claim: tuple[str, float]) -> None:
        """Give back a claimed message that WeChat refused (nothing went out), if its allowance was not started
        afresh in between."""

    # ---- segments (saved audiences)
    def put_segment(self, segment: dict) -> None:
        """Write (overwrite) a segment: account_id, segment_id, name, audience, created_at."""

    def get_segment(self, account_id: str, segment_id: str) -> dict | None:
        """The segment, or None."""

    def list_segments(self, account_id: str) -> list[dict]:
        """Every segment of the account."""

    def page_segments(self, account_id: str, limit: int = 50, start: dict | None = None
                      ) -> tuple[list[dict], dict | None]:
        """At most `limit` segments in segment-id order and the cursor to continue from (None at the end).
        A cursor of another account raises ValueError."""
