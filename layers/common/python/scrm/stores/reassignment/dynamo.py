"""The reassignment store over DynamoDB: tables `transfer_plans`, `transfers`, `transfer_batches`,
`transfer_ledger`, `transfer_notices` and `reassignment_policies` (PynamoDB models in scrm.data).

The raw keys live here and nowhere else: plan_key = account_id#plan_id, handover_key = account_id#handover,
target_key = account_id#target, customer_key = account_id#external_userid, ledger entry = <epoch>#<plan>#<takeover>.
Conditions are DynamoDB condition expressions, so they hold across concurrent Lambdas.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pynamodb.attributes import MapAttribute
from pynamodb.exceptions import PutError, UpdateError

from ...data.reassignment_policies import ReassignmentPolicyRecord
from ...data.transfer_batches import TransferBatch
from ...data.transfer_ledger import TransferLedgerEntry
from ...data.transfer_notices import TransferNotice
from ...data.transfer_plans import TransferPlan
from ...data.transfers import TransferItem
from ...tenancy import Scope
from .base import LeaseLost, Page, check_plans_start, may_see
from .dynamo_privacy import DynamoReassignmentPrivacy

LEDGER_KEEP_SECONDS = 100 * 86400
# A plan's per-customer items (a year after their last change), batches and notices (a year after the plan made
# them) expire (TTL `expires`): by then
# the plan is long final, its counts live on in the plan record (kept: the staff's history), and the customers'
# ids need not. The on-job rule reads the ledger above, never these.
PLAN_DETAIL_KEEP_SECONDS = 365 * 86400
CONDITION_FAILED = "ConditionalCheckFailedException"


def _plain(value):
    if isinstance(value, MapAttribute):
        return value.as_dict()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _record(rec, drop: tuple[str, ...]) -> dict:
    return {name: _plain(getattr(rec, name)) for name in rec.get_attributes() if name not in drop}


def _keep_until(written_at: float) -> datetime:
    return datetime.fromtimestamp(int(written_at) + PLAN_DETAIL_KEEP_SECONDS, UTC)


def _condition_failed(exc: Exception) -> bool:
    return getattr(exc, "cause_response_code", None) == CONDITION_FAILED


def _pk(account_id: str, plan_id: str) -> str:
    return f"{account_id}#{plan_id}"


class DynamoReassignmentStore(DynamoReassignmentPrivacy):
    """The same interface as MemoryReassignmentStore over the six reassignment tables."""

    def __init__(self, scope: Scope | None = None):
        self.scope = scope or Scope.system()

    def _c(self, account_id: str) -> str:
        return self.scope.check(account_id)

    # ---- records <-> models
    @staticmethod
    def _plan_dict(rec: TransferPlan) -> dict:
        return _record(rec, ("handover_key", "active_flag"))

    @staticmethod
    def _plan_model(plan: dict) -> TransferPlan:
        return TransferPlan(handover_key=f"{plan['account_id']}#{plan['handover_userid']}",
                            active_flag="1" if plan.get("status") == "running" else None, **plan)

    @staticmethod
    def _item_dict(rec: TransferItem) -> dict:
        return _record(rec, ("plan_key", "target_key", "expires"))

    @staticmethod
    def _item_model(item: dict) -> TransferItem:
        return TransferItem(plan_key=_pk(item["account_id"], item["plan_id"]),
                            target_key=f"{item['account_id']}#{item['target_id']}",
                            **{**item, "expires": _keep_until(item["updated_at"])})

    @staticmethod
    def _batch_dict(rec: TransferBatch) -> dict:
        account_id, _, plan_id = rec.plan_key.partition("#")
        return {"account_id": account_id, "plan_id": plan_id, **_record(rec, ("plan_key", "expires"))}

    @staticmethod
    def _batch_model(batch: dict) -> TransferBatch:
        fields = {k: v for k, v in batch.items() if k not in ("account_id", "plan_id")}
        return TransferBatch(plan_key=_pk(batch["account_id"], batch["plan_id"]),
                             **{**fields, "expires": _keep_until(batch["created_at"])})

    # ---- policy
    def get_policy(self, account_id: str) -> dict | None:
        self._c(account_id)
        try:
            return dict(ReassignmentPolicyRecord.get(account_id).policy.as_dict())
        except ReassignmentPolicyRecord.DoesNotExist:
            return None

    def put_policy(self, account_id: str, policy: dict, *, updated_at: int, updated_by: str | None) -> None:
        self._c(account_id)
        ReassignmentPolicyRecord(account_id=account_id, policy=policy, updated_at=updated_at,
                                 updated_by=updated_by).save()

    # ---- plans
    def create_plan(self, plan: dict, items: list[dict], batches: list[dict]) -> None:
        account_id = self._c(plan["account_id"])
        self.save_items(account_id, items)
        self.add_batches(account_id, batches)
        self._plan_model(plan).save()

    def get_plan(self, account_id: str, plan_id: str) -> dict | None:
        self._c(account_id)
        try:
            return self._plan_dict(TransferPlan.get(account_id, plan_id, consistent_read=True))
        except TransferPlan.DoesNotExist:
            return None

    def plans_of_handover(self, account_id: str, handover: str) -> list[dict]:
        return self.page_plans_of_handover(account_id, handover, limit=None)[0][::-1]

    def page_plans_of_handover(self, account_id: str, handover: str, *, limit: int | None,
                               start: dict | None = None) -> Page:
        self._c(account_id)
        result = TransferPlan.by_handover.query(f"{account_id}#{handover}", scan_index_forward=False, limit=limit,
                                                last_evaluated_key=start)
        return [self._plan_dict(p) for p in result], result.last_evaluated_key

    def page_plans(self, account_id: str, *, handover: str | None = None, limit: int | None,
                   start: dict | None = None) -> Page:
        self._c(account_id)
        check_plans_start(account_id, handover, start)
        if handover is not None:
            return self.page_plans_of_handover(account_id, handover, limit=limit, start=start)
        result = TransferPlan.query(account_id, scan_index_forward=False, limit=limit, last_evaluated_key=start)
        return [self._plan_dict(p) for p in result], result.last_evaluated_key

    def active_plans(self) -> list[tuple[str, str]]:
        plans = TransferPlan.active.query("1")
        return [(p.account_id, p.plan_id) for p in plans if may_see(self.scope, p.account_id)]

    def update_plan(self, account_id: str, plan_id: str, changes: dict) -> None:
        self._c(account_id)
        actions = [getattr(TransferPlan, k).remove() if v is None else getattr(TransferPlan, k).set(v)
                   for k, v in changes.items()]
        if "status" in changes:
            flag = TransferPlan.active_flag
            actions.append(flag.set("1") if changes["status"] == "running" else flag.remove())
        TransferPlan(account_id=account_id, plan_id=plan_id).update(actions=actions,
                                                                   condition=TransferPlan.plan_id.exists())

    def add_round(self, account_id: str, plan_id: str, batches: int) -> dict:
        self._c(account_id)
        plan = TransferPlan(account_id=account_id, plan_id=plan_id)
        plan.update(actions=[TransferPlan.next_batch.add(batches), TransferPlan.rounds.add(1)],
                    condition=TransferPlan.plan_id.exists())
        return self._plan_dict(plan)

    def acquire_plan_lease(self, account_id: str, plan_id: str, owner: str, now: float, until: float) -> bool:
        self._c(account_id)
        free = TransferPlan.lease_until.does_not_exist() | (TransferPlan.lease_until < now)
        try:
            TransferPlan(account_id=account_id, plan_id=plan_id).update(
                actions=[TransferPlan.lease_owner.set(owner), TransferPlan.lease_until.set(until)],
                condition=TransferPlan.plan_id.exists() & free)
            return True
        except UpdateError as exc:
            if _condition_failed(exc):
                return False
            raise

    def release_plan_lease(self, account_id: str, plan_id: str, owner: str) -> None:
        self._c(account_id)
        try:
            TransferPlan(account_id=account_id, plan_id=plan_id).update(
                actions=[TransferPlan.lease_owner.remove(), TransferPlan.lease_until.remove()],
                condition=TransferPlan.lease_owner == owner)
        except UpdateError:
            pass  # the lease ran out and another worker holds it: not ours to release

    # ---- items
    def items_of_plan(self, account_id: str, plan_id: str) -> list[dict]:
        self._c(account_id)
        return [self._item_dict(i) for i in TransferItem.query(_pk(account_id, plan_id), consistent_read=True)]

    def save_items(self, account_id: str, items: list[dict]) -> None:
        self._c(account_id)
        for it in items:
            self._c(it["account_id"])
        with TransferItem.batch_write() as w:
            for it in items:
                w.save(self._item_model(it))

    def save_item_if(self, account_id: str, item: dict, expect: dict) -> bool:
        self._c(account_id)
        condition = None
        for name, value in expect.items():
            term = getattr(TransferItem, name) == value
            condition = term if condition is None else condition & term
        try:
            self._item_model(item).save(condition=condition)
            return True
        except PutError as exc:
            if _condition_failed(exc):
                return False
            raise

    def items_of_target(self, account_id: str, target_id: str) -> list[dict]:
        return self.page_target_items(account_id, target_id, limit=None)[0]

    def page_plan_items(self, account_id: str, plan_id: str, *, states: tuple[str, ...] | None = None,
                        limit: int | None, start: dict | None = None) -> Page:
        self._c(account_id)
        condition = TransferItem.state.is_in(*states) if states else None
        result = TransferItem.query(_pk(account_id, plan_id), filter_condition=condition, limit=limit,
                                    last_evaluated_key=start)
        return [self._item_dict(i) for i in result], result.last_evaluated_key

    def page_target_items(self, account_id: str, target_id: str, *, limit: int | None,
                          start: dict | None = None) -> Page:
        self._c(account_id)
        result = TransferItem.by_target.query(f"{account_id}#{target_id}", limit=limit, last_evaluated_key=start)
        return [self._item_dict(i) for i in result], result.last_evaluated_key

    # ---- batches
    def batches_of_plan(self, account_id: str, plan_id: str) -> list[dict]:
        self._c(account_id)
        return [self._batch_dict(b) for b in TransferBatch.query(_pk(account_id, plan_id), consistent_read=True)]

    def add_batches(self, account_id: str, batches: list[dict]) -> None:
        self._c(account_id)
        for b in batches:
            self._c(b["account_id"])
        with TransferBatch.batch_write() as w:
            for b in batches:
                w.save(self._batch_model(b))

    def claim_batch(self, account_id: str, plan_id: str, batch_id: str, owner: str, now: float,
                    until: float) -> bool:
        self._c(account_id)
        lapsed = (TransferBatch.state == "sending") & (TransferBatch.lease_until < now)
        try:
            TransferBatch(plan_key=_pk(account_id, plan_id), batch_id=batch_id).update(
                actions=[TransferBatch.state.set("sending"), TransferBatch.lease_owner.set(owner),
                         TransferBatch.lease_until.set(until), TransferBatch.attempts.add(1)],
                condition=(TransferBatch.state == "pending") | lapsed)
            return True
        except UpdateError as exc:
            if _condition_failed(exc):
                return False
            raise

    def release_batch(self, account_id: str, plan_id: str, batch_id: str, error: str) -> None:
        self._c(account_id)
        TransferBatch(plan_key=_pk(account_id, plan_id), batch_id=batch_id).update(
            actions=[TransferBatch.lease_until.set(0), TransferBatch.last_error.set(error[:500])])

    def finish_batch(self, account_id: str, plan_id: str, batch_id: str, owner: str, summary: dict,
                     now: float) -> None:
        self._c(account_id)
        try:
            TransferBatch(plan_key=_pk(account_id, plan_id), batch_id=batch_id).update(
                actions=[TransferBatch.state.set("sent"), TransferBatch.sent_at.set(int(now)),
                         TransferBatch.summary.set(summary), TransferBatch.lease_owner.remove(),
                         TransferBatch.lease_until.remove()],
                condition=TransferBatch.lease_owner == owner)
        except UpdateError as exc:
            if _condition_failed(exc):
                raise LeaseLost(f"batch {batch_id} of plan {plan_id} is leased by another worker") from None
            raise

    # ---- ledger
    def ledger_times(self, account_id: str, customer: str, since: float) -> list[int]:
        self._c(account_id)
        since_key = f"{int(since):010d}"  # entries are "<epoch:010d>#<plan>#<takeover>"
        entries = TransferLedgerEntry.query(f"{account_id}#{customer}", TransferLedgerEntry.entry >= since_key)
        return [int(e.at) for e in entries if not e.void]

    def record_transfer(self, account_id: str, customer: str, *, at: int, plan_id: str, takeover: str,
                        mode: str, now: float) -> None:
        self._c(account_id)
        TransferLedgerEntry(customer_key=f"{account_id}#{customer}", entry=f"{at:010d}#{plan_id}#{takeover}", at=at,
                            plan_id=plan_id, takeover_userid=takeover, mode=mode,
                            expires=datetime.fromtimestamp(int(now) + LEDGER_KEEP_SECONDS, UTC)).save()

    def void_transfers(self, account_id: str, customer: str, plan_id: str, takeover: str) -> None:
        self._c(account_id)
        for e in TransferLedgerEntry.query(f"{account_id}#{customer}"):
            if e.plan_id == plan_id and e.takeover_userid == takeover and not e.void:
                e.update(actions=[TransferLedgerEntry.void.set(True)])

    # ---- notices
    def add_notice(self, account_id: str, plan_id: str, notice: dict) -> bool:
        self._c(account_id)
        try:
            expires = _keep_until(notice["created_at"])
            TransferNotice(plan_key=_pk(account_id, plan_id), **{**notice, "expires": expires}).save(
                condition=TransferNotice.plan_key.does_not_exist())
            return True
        except PutError as exc:
            if _condition_failed(exc):
                return False
            raise

    def set_notice_delivery(self, account_id: str, plan_id: str, notice_key: str, delivery: str) -> None:
        self._c(account_id)
        TransferNotice(plan_key=_pk(account_id, plan_id), notice_key=notice_key).update(
            actions=[TransferNotice.delivery.set(delivery)])

    def notices_of_plan(self, account_id: str, plan_id: str) -> list[dict]:
        self._c(account_id)
        return [_record(n, ("plan_key", "expires")) for n in TransferNotice.query(_pk(account_id, plan_id))]
