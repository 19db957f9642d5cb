"""The reassignment store's interface: every read and write the reassignment use cases make.

Records are plain dicts (copies: changing one changes nothing stored until it is written back):
- plan: account_id, plan_id, handover_userid, mode, trigger, strategy, takeovers, status, created_at, updated_at,
  finished_at, next_batch, rounds, counts, policy, error, requested_by, lease_owner, lease_until;
- item (one customer or group chat of a plan): account_id, plan_id, item_key (`item_key(kind, target)`), kind,
  target_id, handover_userid, takeover_userid, tried, state, batch_id, errcode, reason, submitted_at,
  takeover_time, updated_at, history;
- batch (one transfer call's worth, <= 100 targets, one takeover): account_id, plan_id, batch_id, kind,
  takeover_userid, targets, state (pending | sending | sent), round, attempts, lease_owner, lease_until,
  created_at, sent_at, last_error, summary;
- notice (what a takeover was told): notice_key, takeover_userid, customers, chats, sample, text, delivery,
  created_at.

Every method names an account and checks it against the store's Scope (Forbidden otherwise). Conditional writes
answer False (or raise `LeaseLost` where losing the condition means another worker owns the work); any other
failure is an error of the storage and propagates. Listings return one page as (records, last key or None), the
last key in DynamoDB's shape, which the admin API turns into its cursor; `limit=None` reads every page (tools and
tests, never a request path).
"""

from __future__ import annotations

from typing import Protocol

from ...errors import Conflict, Forbidden
from ...tenancy import Scope


class LeaseLost(Conflict):
    """A conditional write found the lease held by another worker (ours ran out and was taken over)."""


def item_key(kind: str, target_id: str) -> str:
    """An item's key within its plan: "c#<external_userid>" for a customer, "g#<chat_id>" for a group chat."""
    return ("c#" if kind == "customer" else "g#") + target_id


def may_see(scope: Scope, account_id: str) -> bool:
    """Whether `scope` may see the account's records (cross-account listings leave the others out)."""
    try:
        scope.check(account_id)
    except Forbidden:
        return False
    return True


Page = tuple[list[dict], dict | None]


def check_plans_start(account_id: str, handover: str | None, start: dict | None) -> None:
    """`page_plans`' start key must be one this listing handed out (ValueError otherwise): the account's plans
    continue after {account_id, plan_id}; one handover's after its index key (handover_key, created_at too).
    Both stores check the same shape, so a cursor of the unfiltered list fails on a handover's and back."""
    if start is None:
        return

    def text(name):
        value = start.get(name)
        return value.get("S") if isinstance(value, dict) else None

    if text("account_id") != account_id or not text("plan_id"):
        raise ValueError("not a start key of this account's plans")
    if handover is None and set(start) != {"account_id", "plan_id"}:
        raise ValueError("not a start key of the account's plans")
    if handover is not None and (text("handover_key") != f"{account_id}#{handover}"
                                 or not isinstance(start.get("created_at"), dict)):
        raise ValueError(f"not a start key of {handover}'s plans")


class ReassignmentStore(Protocol):
    # ---- policy
    def get_policy(self, account_id: str) -> dict | None:
        """The account's stored policy map, or None when none was ever set."""

    def put_policy(self, account_id: str, policy: dict, *, updated_at: int, updated_by: str | None) -> None:
        """Replace the account's policy (last writer wins: a policy is set whole by an admin)."""

    # ---- plans
    def create_plan(self, plan: dict, items: list[dict], batches: list[dict]) -> None:
        """Store a new plan's items, then its batches, then the plan itself (running plans are listed as active).

        Crash semantics: items and batches are written before the plan, so a crash leaves at worst records no
        plan points to (never a plan with missing items); nothing of it has been sent yet.
        """

    def get_plan(self, account_id: str, plan_id: str) -> dict | None:
        """The plan (strongly consistent read), or None."""

    def plans_of_handover(self, account_id: str, handover: str) -> list[dict]:
        """Every plan of a handover, oldest first (running-plan checks, the sweep)."""

    def page_plans_of_handover(self, account_id: str, handover: str, *, limit: int | None,
                               start: dict | None = None) -> Page:
        """A handover's plans, newest first, one page."""

    def page_plans(self, account_id: str, *, handover: str | None = None, limit: int | None,
                   start: dict | None = None) -> Page:
        """The account's plans, newest first (plan ids are time-ordered), one page; with `handover`, only that
        staff member's (as page_plans_of_handover). A start key of another listing (another account, the other
        filter) raises ValueError (check_plans_start)."""

    def active_plans(self) -> list[tuple[str, str]]:
        """(account_id, plan_id) of every running plan the store's scope may see."""

    def update_plan(self, account_id: str, plan_id: str, changes: dict) -> None:
        """Set the named fields (None removes one). `status` other than "running" takes the plan off the active
        list. Unconditional: only the plan lease's holder calls it."""

    def add_round(self, account_id: str, plan_id: str, batches: int) -> dict:
        """Reserve `batches` more batch numbers and count one more round, atomically (an increment, never
        read-then-write); returns the plan after the change."""

    def acquire_plan_lease(self, account_id: str, plan_id: str, owner: str, now: float, until: float) -> bool:
        """Take the plan lease if nobody holds it or it ran out (lease_until < now). False if another worker
        holds it. One worker per plan at a time: everything else in a pass relies on this."""

    def release_plan_lease(self, account_id: str, plan_id: str, owner: str) -> None:
        """Give the lease back if `owner` still holds it; silently nothing otherwise (it ran out and was taken)."""

    # ---- items
    def items_of_plan(self, account_id: str, plan_id: str) -> list[dict]:
        """Every item of a plan (strongly consistent)."""

    def save_items(self, account_id: str, items: list[dict]) -> None:
        """Write items whole, unconditionally (in batches: a crash may leave some written, each one whole)."""

    def save_item_if(self, account_id: str, item: dict, expect: dict) -> bool:
        """Write one item whole if the stored one still has every field value in `expect` (e.g. state waiting
        and the same takeover); False otherwise, nothing written."""

    def items_of_target(self, account_id: str, target_id: str) -> list[dict]:
        """Every item of one customer or chat, across plans (eventually consistent index)."""

    def page_plan_items(self, account_id: str, plan_id: str, *, states: tuple[str, ...] | None = None,
                        limit: int | None, start: dict | None = None) -> Page:
        """A plan's items in key order, only those in `states` if given, one page (a page may hold fewer items
        than `limit` and still have a next one)."""

    def page_target_items(self, account_id: str, target_id: str, *, limit: int | None,
                          start: dict | None = None) -> Page:
        """One customer's items across plans, oldest change first, one page."""

    # ---- batches
    def batches_of_plan(self, account_id: str, plan_id: str) -> list[dict]:
        """Every batch of a plan in batch order (strongly consistent)."""

    def add_batches(self, account_id: str, batches: list[dict]) -> None:
        """Store new pending batches (a re-offer round)."""

    def claim_batch(self, account_id: str, plan_id: str, batch_id: str, owner: str, now: float,
                    until: float) -> bool:
        """pending -> sending, or take over a `sending` batch whose lease ran out (lease_until < now): sets the
        owner and lease, counts an attempt. False if the batch is sent or leased by another worker. Made BEFORE
        the transfer call: a batch found `sending` later may or may not have reached WeCom."""

    def release_batch(self, account_id: str, plan_id: str, batch_id: str, error: str) -> None:
        """The call's effect is unknown: the batch stays `sending` and its lease ends now (the next pass
        reconciles it with WeCom before any resend). Keeps the error (at most 500 characters)."""

    def finish_batch(self, account_id: str, plan_id: str, batch_id: str, owner: str, summary: dict,
                     now: float) -> None:
        """sending -> sent with the per-state summary, AFTER the per-target results are stored. Raises LeaseLost
        if `owner` no longer holds the batch (nothing written)."""

    # ---- the on-job ledger (our record of 在职继承 transfers: 2 per customer per 90 days)
    def ledger_times(self, account_id: str, customer: str, since: float) -> list[int]:
        """When the customer was transferred on the job at or after `since`, void entries left out."""

    def record_transfer(self, account_id: str, customer: str, *, at: int, plan_id: str, takeover: str,
                        mode: str, now: float) -> None:
        """Count one on-job transfer. Idempotent: the same (at, plan, takeover) again is the same entry. Kept
        about 100 days (the window is 90)."""

    def void_transfers(self, account_id: str, customer: str, plan_id: str, takeover: str) -> None:
        """The plan's transfer of the customer to `takeover` did not happen (refused, over limit): stop counting
        it. Other plans' and takeovers' entries are untouched."""

    # ---- notices
    def add_notice(self, account_id: str, plan_id: str, notice: dict) -> bool:
        """Store a notice once: False (nothing written) if one with the same notice_key exists for the plan."""

    def set_notice_delivery(self, account_id: str, plan_id: str, notice_key: str, delivery: str) -> None:
        """Record how the notice went out ("sent", "failed: ...")."""

    def notices_of_plan(self, account_id: str, plan_id: str) -> list[dict]:
        """The plan's notices in notice_key order."""
