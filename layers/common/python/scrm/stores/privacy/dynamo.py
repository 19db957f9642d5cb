"""The privacy store on DynamoDB (table `erasure_requests`, model scrm.data.erasure_requests.ErasureRequestRecord).
Every change is one conditional UpdateItem, so two deliveries of the same step record it once."""

from __future__ import annotations

from datetime import UTC, datetime

from pynamodb.exceptions import PutError, UpdateError

from ...data.erasure_requests import EXPIRE_DAYS, ErasureRequestRecord
from ...errors import Conflict
from ...tenancy import Scope
from .base import ErasureRequest, stepped

FIELDS = ("account_id", "request_id", "kind", "requested_by", "requested_at", "person", "status", "cursor", "steps",
          "counts", "updated_at", "finished_at", "error")


def request_of(rec: ErasureRequestRecord) -> ErasureRequest:
    values = {name: getattr(rec, name) for name in FIELDS}
    return ErasureRequest(**{**values, "requested_at": float(values["requested_at"]), "cursor": int(values["cursor"]),
                             "steps": int(values["steps"] or 0), "counts": dict(values["counts"] or {}),
                             "updated_at": float(values["updated_at"]),
                             "finished_at": None if values["finished_at"] is None else float(values["finished_at"])})


def _lost(exc: Exception) -> bool:
    return getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException"


class DynamoPrivacyStore:
    def create_request(self, scope: Scope, req: ErasureRequest) -> None:
        scope.check(req.account_id)
        rec = ErasureRequestRecord(**{name: getattr(req, name) for name in FIELDS},
                                   expires=datetime.fromtimestamp(req.requested_at + EXPIRE_DAYS * 86400, UTC))
        try:
            rec.save(condition=ErasureRequestRecord.request_id.does_not_exist())
        except PutError as exc:
            if _lost(exc):
                raise Conflict(f"erasure request {req.request_id!r} exists already") from None
            raise

    def _record(self, account_id: str, request_id: str) -> ErasureRequestRecord | None:
        try:
            return ErasureRequestRecord.get(account_id, request_id, consistent_read=True)
        except ErasureRequestRecord.DoesNotExist:
            return None

    def get_request(self, scope: Scope, account_id: str, request_id: str) -> ErasureRequest | None:
        scope.check(account_id)
        rec = self._record(account_id, request_id)
        return None if rec is None else request_of(rec)

    def start_request(self, scope: Scope, account_id: str, request_id: str, at: float) -> ErasureRequest | None:
        scope.check(account_id)
        rec = self._record(account_id, request_id)
        if rec is None or rec.status == "done":
            return None if rec is None else request_of(rec)
        try:
            rec.update(actions=[ErasureRequestRecord.status.set("running"), ErasureRequestRecord.updated_at.set(at),
                                ErasureRequestRecord.error.remove()],
                       condition=ErasureRequestRecord.status != "done")
        except UpdateError as exc:
            if not _lost(exc):
                raise
            return self.get_request(scope, account_id, request_id)  # finished meanwhile
        return request_of(rec)

    def record_step(self, scope: Scope, account_id: str, request_id: str, *, cursor: int, table: str | None,
                    count: int, done: bool, at: float) -> ErasureRequest | None:
        scope.check(account_id)
        rec = self._record(account_id, request_id)
        if rec is None or rec.status == "done" or int(rec.cursor) != cursor:
            return None
        after = stepped(request_of(rec), table, count, done, at)
        model = ErasureRequestRecord
        actions = [model.cursor.set(after.cursor), model.steps.set(after.steps), model.counts.set(after.counts),
                   model.status.set(after.status), model.updated_at.set(at), model.error.remove()]
        actions += [model.finished_at.set(at), model.person.remove()] if done else []
        try:
            rec.update(actions=actions, condition=(model.cursor == cursor) & (model.status != "done"))
        except UpdateError as exc:
            if _lost(exc):
                return None
            raise
        return after

    def fail_request(self, scope: Scope, account_id: str, request_id: str, error: str, at: float) -> None:
        scope.check(account_id)
        model = ErasureRequestRecord
        try:
            model(account_id, request_id).update(
                actions=[model.status.set("failed"), model.error.set(error), model.updated_at.set(at)],
                condition=model.request_id.exists() & (model.status != "done"))
        except UpdateError as exc:
            if not _lost(exc):
                raise
