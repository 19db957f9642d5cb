"""The push store on DynamoDB (PynamoDB models from scrm.data): what runs in Lambda.

Pushes and batches are plain dicts to the services; JSON fields are (de)serialised here. The quota ledger's
transactions are in dynamo_ledger.py. Conditions and crash semantics: base.PushStore.
"""

from __future__ import annotations

import json

from pynamodb.exceptions import PutError, UpdateError

from ...data.paging import one_page
from ...data.push_batches import PushBatchRecord
from ...data.push_batches import PushBatchRecord as B
from ...data.pushes import PushRecord
from ...data.segments import SegmentRecord
from ...tenancy import Scope
from . import dynamo_leases as leases
from . import dynamo_ledger as ledger
from . import dynamo_windows as windows
from .base import DuplicatePush
from .dynamo_privacy import DynamoPushPrivacy
from .layout import CHUNK, LEASE_STATUSES, PUSH_JSON, ScopedStore, batch_sk, check_cursor, pack, run_pk, unpack


class DynamoPushStore(DynamoPushPrivacy, ScopedStore):
    """The push store over the `pushes`, `push_batches`, `quota_ledger` (dynamo_ledger.py), `interactions` and
    `segments` tables."""

    def __init__(self, scope: Scope | None = None, threads: int = 16):
        super().__init__(scope or Scope.system())
        self.threads = threads

    # ---- pushes
    @staticmethod
    def _push_dict(rec) -> dict:
        out = {}
        for name in rec.get_attributes():
            value = getattr(rec, name)
            if value is None:
                continue
            out[name] = json.loads(value) if name in PUSH_JSON else value
        return out

    @staticmethod
    def _encode(name: str, value):
        return json.dumps(value, ensure_ascii=False) if name in PUSH_JSON else value

    def create_push(self, push: dict) -> None:
        self._c(push["account_id"])
        rec = PushRecord(**{k: self._encode(k, v) for k, v in push.items() if v is not None})
        try:
            rec.save(condition=PushRecord.push_id.does_not_exist())
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                raise DuplicatePush(f"push {(push['account_id'], push['push_id'])} exists") from exc
            raise

    def get_push(self, account_id: str, push_id: str) -> dict | None:
        self._c(account_id)
        try:
            return self._push_dict(PushRecord.get(account_id, push_id, consistent_read=True))
        except PushRecord.DoesNotExist:
            return None

    def page_pushes(self, account_id: str, limit: int = 50, start: dict | None = None
                    ) -> tuple[list[dict], dict | None]:
        self._c(account_id)
        check_cursor(start, "account_id", account_id, "account")
        items, last = one_page(PushRecord.query(account_id, scan_index_forward=False, limit=limit, page_size=limit,
                                                last_evaluated_key=start))
        return [self._push_dict(r) for r in items], last

    def update_push(self, account_id: str, push_id: str, changes: dict, *, expect_status=None,
                    expect_owner: str | None = None) -> bool:
        self._c(account_id)
        return leases.update_fields(PushRecord, PushRecord(account_id, push_id), changes, self._encode,
                                    PushRecord.push_id.exists(), expect_status=expect_status,
                                    expect_owner=expect_owner)

    def claim(self, account_id: str, push_id: str, owner: str, now: float, lease_until: float) -> dict | None:
        self._c(account_id)
        rec = PushRecord(account_id, push_id)
        due = PushRecord.status.is_in(*LEASE_STATUSES) & (PushRecord.next_run_at <= now)
        claimed = leases.claim(PushRecord, rec, due, owner, now, lease_until,
                               extra_actions=(PushRecord.status.set("running"),))
        return self._push_dict(rec) if claimed else None

    def due(self, now: float, limit: int = 25) -> list[tuple[str, str]]:
        out = []
        for r in PushRecord.due_index.query("1", PushRecord.next_run_at <= now, limit=limit):
            if self._in_scope(r.account_id):
                out.append((r.account_id, r.push_id))
        return out

    def polling(self, now: float, limit: int = 25) -> list[tuple[str, str]]:
        return [(r.account_id, r.push_id) for r in PushRecord.poll_index.query("1", PushRecord.poll_at <= now,
                                                                              limit=limit)
                if self._in_scope(r.account_id)]

    # ---- plans and batches
    def _doc(self, rec) -> dict:
        out = json.loads(rec.doc) if rec.doc else {}
        if rec.state is not None:
            out["state"] = rec.state
        if rec.finished:
            out["finished"] = rec.finished
        return out

    def get_plan(self, account_id: str, push_id: str, run_no: int) -> dict | None:
        self._c(account_id)
        try:
            return self._doc(PushBatchRecord.get(run_pk(account_id, push_id, run_no), "plan", consistent_read=True))
        except PushBatchRecord.DoesNotExist:
            return None

    def put_plan(self, account_id: str, push_id: str, run_no: int, plan: dict) -> None:
        self._c(account_id)
        plan = dict(plan)
        state = plan.pop("state", None)
        PushBatchRecord(run_pk(account_id, push_id, run_no), "plan", state=state,
                        doc=json.dumps(plan, ensure_ascii=False)).save()

    def put_batches(self, account_id: str, push_id: str, run_no: int, batches: list[dict]) -> None:
        self._c(account_id)
        pk = run_pk(account_id, push_id, run_no)
        with PushBatchRecord.batch_write() as w:
            for b in batches:
                b = dict(b)
                ids = b.pop("recipients")
                state = b.pop("state", "pending")
                for c, start in enumerate(range(0, len(ids), CHUNK)):
                    part = ids[start:start + CHUNK]
                    w.save(PushBatchRecord(pk, f"{batch_sk(b['no'])}#r{c:03d}", recipients=pack(part),
                                           count=len(part)))
                w.save(PushBatchRecord(pk, batch_sk(b["no"]), state=state, doc=json.dumps(b, ensure_ascii=False)))

    def list_batches(self, account_id: str, push_id: str, run_no: int) -> list[dict]:
        self._c(account_id)
        out = []
        # recipient chunks (sk b000001#r000) are skipped by reading only the meta attributes
        for rec in PushBatchRecord.query(run_pk(account_id, push_id, run_no), PushBatchRecord.sk.startswith("b"),
                                         consistent_read=True,
                                         attributes_to_get=["pk", "sk", "state", "doc", "finished"]):
            if "#" not in rec.sk:
                out.append(self._doc(rec))
        return out

    def page_batches(self, account_id: str, push_id: str, run_no: int, limit: int = 50,
                     start: dict | None = None) -> tuple[list[dict], dict | None]:
        """A page of batch records. Recipient chunks (sk b000001#r000) sit between them and are filtered out
        (projected away first), so a page reads at most `limit` items and may return fewer."""
        self._c(account_id)
        pk = run_pk(account_id, push_id, run_no)
        check_cursor(start, "pk", pk, "run")
        items, last = one_page(B.query(pk, B.sk.startswith("b"), consistent_read=True, limit=limit, page_size=limit,
                                       last_evaluated_key=start, attributes_to_get=["pk", "sk", "state", "doc",
                                                                                    "finished"]))
        return [self._doc(r) for r in items if "#" not in r.sk], last

    def batch_recipients(self, account_id: str, push_id: str, run_no: int, no: int) -> list[str]:
        self._c(account_id)
        ids: list[str] = []
        for rec in PushBatchRecord.query(run_pk(account_id, push_id, run_no),
                                         PushBatchRecord.sk.startswith(batch_sk(no) + "#r"), consistent_read=True):
            ids.extend(unpack(rec.recipients))
        return ids

    def update_batch(self, account_id: str, push_id: str, run_no: int, no: int, changes: dict, *,
                     expect_states=None, expect_unfinished: bool = False) -> bool:
        """Batch fields other than state live in a JSON doc: read, merge, write conditioned on the doc
        we read (optimistic), so concurrent writers never lose each other's fields."""
        self._c(account_id)
        pk, sk = run_pk(account_id, push_id, run_no), batch_sk(no)
        for _ in range(8):
            try:
                rec = PushBatchRecord.get(pk, sk, consistent_read=True)
            except PushBatchRecord.DoesNotExist:
                return False
            cur = self._doc(rec)
            if expect_states is not None and cur.get("state") not in expect_states:
                return False
            if expect_unfinished and cur.get("finished"):
                return False
            ch = changes(cur) if callable(changes) else changes
            doc = {k: v for k, v in cur.items() if k not in ("state", "finished")}
            state = ch.get("state", cur.get("state"))
            finished = ch.get("finished", cur.get("finished"))
            for k, v in ch.items():
                if k in ("state", "finished"):
                    continue
                if v is None:
                    doc.pop(k, None)
                else:
                    doc[k] = v
            actions = [PushBatchRecord.doc.set(json.dumps(doc, ensure_ascii=False))]
            actions.append(PushBatchRecord.state.set(state) if state else PushBatchRecord.state.remove())
            if finished:
                actions.append(PushBatchRecord.finished.set(str(finished)))
            cond = (PushBatchRecord.doc == rec.doc) if rec.doc is not None else PushBatchRecord.doc.does_not_exist()
            try:
                PushBatchRecord(pk, sk).update(actions=actions, condition=cond)
                return True
            except UpdateError as exc:
                if exc.cause_response_code != "ConditionalCheckFailedException":
                    raise
        raise RuntimeError(f"batch {pk}/{sk} kept changing under us")

    def add_to_batch(self, account_id: str, push_id: str, run_no: int, no: int, counters: dict,
                     once_key: tuple[str, str] | None = None) -> bool:
        """Add to counters; with once_key=(account, msg_id), only the first time for that message."""
        self._c(account_id)
        marker = None
        if once_key is not None:
            marker = PushBatchRecord(f"{account_id}#msg#{once_key[1]}", "msg")
            try:
                marker.update(actions=[B.finished.set("1")], condition=B.sk.exists() & B.finished.does_not_exist())
            except UpdateError as exc:
                if exc.cause_response_code == "ConditionalCheckFailedException":
                    return False
                raise
        try:
            return self.update_batch(account_id, push_id, run_no, no,
                                     lambda cur: {k: int(cur.get(k) or 0) + v for k, v in counters.items()})
        except BaseException:
            if marker is not None:  # let the event's redelivery apply it
                marker.update(actions=[PushBatchRecord.finished.remove()])
            raise

    def put_msg_index(self, account_id: str, entries: list[tuple[str, dict]]) -> None:
        """Only messages not yet indexed are written: an entry already there may carry its callback's `finished`
        mark, and overwriting it would let a redelivered callback count again. (Batch writes cannot be
        conditional, so the ones present are read first; the index is written by one sender per batch.)"""
        self._c(account_id)
        keys = {f"{account_id}#msg#{msg_id}": ref for msg_id, ref in entries}
        present: set[str] = set()
        pks = list(keys)
        for start in range(0, len(pks), 100):
            present |= {r.pk for r in PushBatchRecord.batch_get([(pk, "msg") for pk in pks[start:start + 100]],
                                                                  attributes_to_get=["pk"])}
        with PushBatchRecord.batch_write() as w:
            for pk, ref in keys.items():
                if pk not in present:
                    w.save(PushBatchRecord(pk, "msg", doc=json.dumps(ref)))

    def get_msg_index(self, account_id: str, msg_id) -> dict | None:
        self._c(account_id)
        try:
            rec = PushBatchRecord.get(f"{account_id}#msg#{msg_id}", "msg", consistent_read=True)
        except PushBatchRecord.DoesNotExist:
            return None
        return self._doc(rec)

    def mark_once(self, account_id: str, push_id: str, run_no: int, recipient: str) -> bool:
        self._c(account_id)
        try:
            PushBatchRecord(run_pk(account_id, push_id, run_no), f"m#{recipient}").save(
                condition=PushBatchRecord.sk.does_not_exist())
            return True
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise

    # ---- quota ledger (transactions: dynamo_ledger.py)
    def reserve_many(self, account_id: str, keys: list[str], limit: int, holder: str, ttl: int) -> list[bool]:
        self._c(account_id)
        return ledger.reserve_many(self, keys, limit, holder, ttl)

    def release_many(self, account_id: str, keys: list[str], holder: str) -> None:
        self._c(account_id)
        ledger.release_many(self, keys, holder)

    def used_many(self, account_id: str, keys: list[str]) -> dict[str, int]:
        self._c(account_id)
        return ledger.used_many(keys)

    def reserve_amount(self, account_id: str, key: str, amount: int, limit: int, holder: str, ttl: int) -> int:
        self._c(account_id)
        return ledger.reserve_amount(self, key, amount, limit, holder, ttl)

    def release_amount(self, account_id: str, key: str, amount: int, holder: str) -> None:
        self._c(account_id)
        ledger.release_amount(self, key, amount, holder)

    # ---- interactions: the customer-service window's allowances (dynamo_windows.py)
    def touch(self, account_id: str, openid: str, at: float, kind: str = "") -> None:
        self._c(account_id)
        windows.touch(account_id, openid, at, kind)

    def service_windows(self, account_id: str, openids: list[str]) -> dict:
        self._c(account_id)
        return windows.service_windows(account_id, openids)

    def claim_service_message(self, account_id: str, openid: str, now: float,
                              message_seconds: int | None = None) -> tuple[str, float] | None:
        self._c(account_id)
        return windows.claim(account_id, openid, now, message_seconds)

    def release_service_message(self, account_id: str, openid: str, claim: tuple[str, float]) -> None:
        self._c(account_id)
        windows.release(account_id, openid, claim)

    # ---- segments
    def put_segment(self, segment: dict) -> None:
        self._c(segment["account_id"])
        SegmentRecord(segment["account_id"], segment["segment_id"], name=segment["name"],
                      audience=json.dumps(segment["audience"], ensure_ascii=False),
                      created_at=segment["created_at"]).save()

    @staticmethod
    def _segment(rec) -> dict:
        return {"account_id": rec.account_id, "segment_id": rec.segment_id, "name": rec.name,
                "audience": json.loads(rec.audience), "created_at": rec.created_at}

    def get_segment(self, account_id: str, segment_id: str) -> dict | None:
        self._c(account_id)
        try:
            return self._segment(SegmentRecord.get(account_id, segment_id))
        except SegmentRecord.DoesNotExist:
            return None

    def list_segments(self, account_id: str) -> list[dict]:
        self._c(account_id)
        return [self._segment(r) for r in SegmentRecord.query(account_id)]

    def page_segments(self, account_id: str, limit: int = 50, start: dict | None = None
                      ) -> tuple[list[dict], dict | None]:
        self._c(account_id)
        check_cursor(start, "account_id", account_id, "account")
        items, last = one_page(SegmentRecord.query(account_id, limit=limit, page_size=limit,
                                                   last_evaluated_key=start))
        return [self._segment(r) for r in items], last
