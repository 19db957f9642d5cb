"""The push repository: one interface, a DynamoDB implementation and an in-memory one.

The use cases (scrm.services.pushes) talk only to this interface. `MemoryPushStore` backs the unit
tests and the 1,000,000-recipient benchmark; `DynamoPushStore` is what runs in Lambda. Both enforce
tenancy: every call names an account and the store's Scope must allow it.

Pushes and batches are plain dicts here; JSON fields are (de)serialised by the DynamoDB store.
"""

from __future__ import annotations

import copy
import json
import threading
import zlib

from ..tenancy import Scope

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


def _key(account_id: str, range_name: str, value: str) -> dict:
    """A last-evaluated key in DynamoDB's shape, so both stores hand out the same kind of cursor."""
    return {"account_id": {"S": account_id}, range_name: {"S": value}}


class MemoryPushStore:
    """In-memory store with the same conditional semantics as DynamoDB (one lock, copies out)."""

    def __init__(self, scope: Scope | None = None):
        self.scope = scope or Scope.system()
        self.lock = threading.RLock()
        self.pushes: dict[tuple[str, str], dict] = {}
        self.plans: dict[str, dict] = {}
        self.batches: dict[str, dict[int, dict]] = {}
        self.recipients: dict[tuple[str, int], bytes] = {}
        self.markers: set[tuple[str, str]] = set()
        self.msg_index: dict[tuple[str, str], dict] = {}
        self.ledger: dict[str, dict] = {}
        self.interactions: dict[tuple[str, str], float] = {}
        self.segments: dict[tuple[str, str], dict] = {}
        self.writes = 0  # item writes, to compare with DynamoDB costs in the benchmark
        self.round_trips = 0  # quota ledger transactions (each one DynamoDB request)

    def _c(self, account_id: str) -> str:
        return self.scope.check(account_id)

    # ---- pushes
    def create_push(self, push: dict) -> None:
        self._c(push["account_id"])
        with self.lock:
            key = (push["account_id"], push["push_id"])
            if key in self.pushes:
                raise KeyError(f"push {key} exists")
            self.pushes[key] = copy.deepcopy(push)

    def get_push(self, account_id: str, push_id: str) -> dict | None:
        self._c(account_id)
        with self.lock:
            p = self.pushes.get((account_id, push_id))
            return copy.deepcopy(p) if p else None

    def list_pushes(self, account_id: str, limit: int = 50) -> list[dict]:
        return self.page_pushes(account_id, limit)[0]

    def page_pushes(self, account_id: str, limit: int = 50, start: dict | None = None
                    ) -> tuple[list[dict], dict | None]:
        """Newest first, like the DynamoDB store; the cursor is the last push's key."""
        self._c(account_id)
        after = (start or {}).get("push_id", {}).get("S")
        with self.lock:
            ids = sorted((i for (a, i) in self.pushes if a == account_id and (after is None or i < after)),
                         reverse=True)
            items = [copy.deepcopy(self.pushes[(account_id, i)]) for i in ids[:limit]]
        last = _key(account_id, "push_id", items[-1]["push_id"]) if len(ids) > limit else None
        return items, last

    def update_push(self, account_id: str, push_id: str, changes: dict, *, expect_status=None,
                    expect_owner: str | None = None) -> bool:
        self._c(account_id)
        with self.lock:
            p = self.pushes.get((account_id, push_id))
            if p is None:
                return False
            if expect_status is not None and p.get("status") not in expect_status:
                return False
            if expect_owner is not None and p.get("lease_owner") != expect_owner:
                return False
            for k, v in changes.items():
                if v is None:
                    p.pop(k, None)
                else:
                    p[k] = copy.deepcopy(v)
            return True

    def claim(self, account_id: str, push_id: str, owner: str, now: float, lease_until: float) -> dict | None:
        self._c(account_id)
        with self.lock:
            p = self.pushes.get((account_id, push_id))
            if (p is None or p.get("status") not in LEASE_STATUSES or p["next_run_at"] > now
                    or (p.get("lease_until") or 0) >= now):
                return None
            p.update(status="running", lease_owner=owner, lease_until=lease_until, updated_at=now)
            return copy.deepcopy(p)

    def due(self, now: float, limit: int = 25) -> list[tuple[str, str]]:
        with self.lock:
            found = sorted((p["next_run_at"], a, i) for (a, i), p in self.pushes.items()
                           if p.get("due") and p["next_run_at"] <= now
                           and (self.scope.account_id in (None, a)))
        return [(a, i) for _, a, i in found[:limit]]

    def polling(self, now: float, limit: int = 25) -> list[tuple[str, str]]:
        with self.lock:
            return [(a, i) for (a, i), p in self.pushes.items()
                    if p.get("poll") and p.get("poll_at", 0) <= now][:limit]

    # ---- plans and batches
    def get_plan(self, account_id: str, push_id: str, run_no: int) -> dict | None:
        self._c(account_id)
        with self.lock:
            p = self.plans.get(run_pk(account_id, push_id, run_no))
            return copy.deepcopy(p) if p else None

    def put_plan(self, account_id: str, push_id: str, run_no: int, plan: dict) -> None:
        self._c(account_id)
        with self.lock:
            self.plans[run_pk(account_id, push_id, run_no)] = copy.deepcopy(plan)
            self.writes += 1

    def put_batches(self, account_id: str, push_id: str, run_no: int, batches: list[dict]) -> None:
        """Each dict: batch fields plus `recipients` (list). Overwrites (planning is redone whole)."""
        self._c(account_id)
        pk = run_pk(account_id, push_id, run_no)
        with self.lock:
            metas = self.batches.setdefault(pk, {})
            for b in batches:
                b = dict(b)
                ids = b.pop("recipients")
                metas[b["no"]] = copy.deepcopy(b)
                self.recipients[(pk, b["no"])] = pack(ids)
                self.writes += 1 + (len(ids) + CHUNK - 1) // CHUNK

    def list_batches(self, account_id: str, push_id: str, run_no: int) -> list[dict]:
        self._c(account_id)
        with self.lock:
            metas = self.batches.get(run_pk(account_id, push_id, run_no), {})
            return [copy.deepcopy(metas[n]) for n in sorted(metas)]

    def page_batches(self, account_id: str, push_id: str, run_no: int, limit: int = 50,
                     start: dict | None = None) -> tuple[list[dict], dict | None]:
        self._c(account_id)
        after = (start or {}).get("sk", {}).get("S", "")
        with self.lock:
            metas = self.batches.get(run_pk(account_id, push_id, run_no), {})
            nos = [n for n in sorted(metas) if batch_sk(n) > after]
            items = [copy.deepcopy(metas[n]) for n in nos[:limit]]
        last = ({"pk": {"S": run_pk(account_id, push_id, run_no)}, "sk": {"S": batch_sk(items[-1]["no"])}}
                if len(nos) > limit else None)
        return items, last

    def batch_recipients(self, account_id: str, push_id: str, run_no: int, no: int) -> list[str]:
        self._c(account_id)
        with self.lock:
            return unpack(self.recipients.get((run_pk(account_id, push_id, run_no), no)))

    def update_batch(self, account_id: str, push_id: str, run_no: int, no: int, changes: dict, *,
                     expect_states=None, expect_unfinished: bool = False) -> bool:
        self._c(account_id)
        with self.lock:
            b = self.batches.get(run_pk(account_id, push_id, run_no), {}).get(no)
            if b is None:
                return False
            if expect_states is not None and b.get("state") not in expect_states:
                return False
            if expect_unfinished and b.get("finished"):
                return False
            if callable(changes):
                changes = changes(copy.deepcopy(b))
            for k, v in changes.items():
                if v is None:
                    b.pop(k, None)
                else:
                    b[k] = copy.deepcopy(v)
            self.writes += 1
            return True

    def add_to_batch(self, account_id: str, push_id: str, run_no: int, no: int, counters: dict,
                     once_key: tuple[str, str] | None = None) -> bool:
        """Add to counters; with once_key=(account, msg_id), only the first time for that message."""
        self._c(account_id)
        with self.lock:
            if once_key is not None:
                idx = self.msg_index.get(once_key)
                if idx is None or idx.get("finished"):
                    return False
                idx["finished"] = True
            b = self.batches.get(run_pk(account_id, push_id, run_no), {}).get(no)
            if b is None:
                return False
            for k, v in counters.items():
                b[k] = b.get(k, 0) + v
            return True

    def put_msg_index(self, account_id: str, entries: list[tuple[str, dict]]) -> None:
        self._c(account_id)
        with self.lock:
            for msg_id, ref in entries:
                self.msg_index.setdefault((account_id, str(msg_id)), dict(ref))
                self.writes += 1

    def get_msg_index(self, account_id: str, msg_id) -> dict | None:
        self._c(account_id)
        with self.lock:
            ref = self.msg_index.get((account_id, str(msg_id)))
            return dict(ref) if ref else None

    def mark_once(self, account_id: str, push_id: str, run_no: int, recipient: str) -> bool:
        self._c(account_id)
        with self.lock:
            key = (run_pk(account_id, push_id, run_no), recipient)
            if key in self.markers:
                return False
            self.markers.add(key)
            self.writes += 1
            return True

    # ---- quota ledger
    # Like the DynamoDB store: reservations go in transactions of at most TX_MAX conditional writes (one
    # round trip each); a transaction one row refuses is cancelled whole, the refused rows are left out
    # and the rest retried. `round_trips` counts the transactions, for the benchmark.
    def _transact(self, keys: list[str], check) -> dict[str, bool]:
        """Run `check(key) -> bool` (condition) over keys in all-or-nothing transactions; {key: passed}."""
        out: dict[str, bool] = {}
        order = list(dict.fromkeys(keys))  # a transaction addresses an item once
        for start in range(0, len(order), TX_MAX):
            pending = order[start:start + TX_MAX]
            while pending:
                self.round_trips += 1
                refused = [k for k in pending if not check(k)]
                if not refused:
                    out.update(dict.fromkeys(pending, True))
                    break
                out.update(dict.fromkeys(refused, False))
                pending = [k for k in pending if k not in set(refused)]
        return out

    def reserve_many(self, account_id: str, keys: list[str], limit: int, holder: str, ttl: int) -> list[bool]:
        self._c(account_id)
        with self.lock:
            def row(key):
                return self.ledger.get(key) or {"used": 0, "holders": set()}

            passed = self._transact(keys, lambda k: row(k)["used"] < limit and holder not in row(k)["holders"])
            for key, ok in passed.items():
                if ok:
                    r = self.ledger.setdefault(key, {"used": 0, "holders": set()})
                    r["used"] += 1
                    r["holders"].add(holder)
                    self.writes += 1
            # refused: at quota, or this holder already has its slot (a rerun), as the DynamoDB store reads it
            return [passed[k] or holder in row(k)["holders"] for k in keys]

    def release_many(self, account_id: str, keys: list[str], holder: str) -> None:
        self._c(account_id)
        with self.lock:
            passed = self._transact(keys, lambda k: holder in (self.ledger.get(k) or {}).get("holders", ()))
            for key, ok in passed.items():
                if ok:
                    self.ledger[key]["holders"].discard(holder)
                    self.ledger[key]["used"] -= 1

    def used_many(self, account_id: str, keys: list[str]) -> dict[str, int]:
        self._c(account_id)
        with self.lock:
            return {k: self.ledger[k]["used"] for k in keys if k in self.ledger}

    # ---- interactions (48-hour window)
    def touch(self, account_id: str, openid: str, at: float, kind: str = "") -> None:
        self._c(account_id)
        with self.lock:
            key = (account_id, openid)
            self.interactions[key] = max(at, self.interactions.get(key, 0))

    def last_interactions(self, account_id: str, openids: list[str]) -> dict[str, float]:
        self._c(account_id)
        with self.lock:
            return {o: self.interactions[(account_id, o)] for o in openids if (account_id, o) in self.interactions}

    # ---- segments
    def put_segment(self, segment: dict) -> None:
        self._c(segment["account_id"])
        with self.lock:
            self.segments[(segment["account_id"], segment["segment_id"])] = copy.deepcopy(segment)

    def get_segment(self, account_id: str, segment_id: str) -> dict | None:
        self._c(account_id)
        with self.lock:
            s = self.segments.get((account_id, segment_id))
            return copy.deepcopy(s) if s else None

    def list_segments(self, account_id: str) -> list[dict]:
        self._c(account_id)
        with self.lock:
            return [copy.deepcopy(s) for (a, _), s in self.segments.items() if a == account_id]

    def page_segments(self, account_id: str, limit: int = 50, start: dict | None = None
                      ) -> tuple[list[dict], dict | None]:
        self._c(account_id)
        after = (start or {}).get("segment_id", {}).get("S", "")
        with self.lock:
            ids = sorted(i for (a, i) in self.segments if a == account_id and i > after)
            items = [copy.deepcopy(self.segments[(account_id, i)]) for i in ids[:limit]]
        last = _key(account_id, "segment_id", items[-1]["segment_id"]) if len(ids) > limit else None
        return items, last


class DynamoPushStore:
    """The same interface over the `pushes`, `push_batches`, `quota_ledger`, `interactions` and
    `segments` tables."""

    def __init__(self, scope: Scope | None = None, threads: int = 16):
        self.scope = scope or Scope.system()
        self.threads = threads
        self.round_trips = 0  # quota ledger transactions

    def _c(self, account_id: str) -> str:
        return self.scope.check(account_id)

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
        from .pushes import PushRecord

        self._c(push["account_id"])
        rec = PushRecord(**{k: self._encode(k, v) for k, v in push.items() if v is not None})
        rec.save(condition=PushRecord.push_id.does_not_exist())

    def get_push(self, account_id: str, push_id: str) -> dict | None:
        from .pushes import PushRecord

        self._c(account_id)
        try:
            return self._push_dict(PushRecord.get(account_id, push_id, consistent_read=True))
        except PushRecord.DoesNotExist:
            return None

    def list_pushes(self, account_id: str, limit: int = 50) -> list[dict]:
        return self.page_pushes(account_id, limit)[0]

    def page_pushes(self, account_id: str, limit: int = 50, start: dict | None = None
                    ) -> tuple[list[dict], dict | None]:
        from .paging import one_page
        from .pushes import PushRecord

        self._c(account_id)
        if start is not None and start.get("account_id", {}).get("S") != account_id:
            raise ValueError("cursor of another account")
        items, last = one_page(PushRecord.query(account_id, scan_index_forward=False, limit=limit, page_size=limit,
                                                last_evaluated_key=start))
        return [self._push_dict(r) for r in items], last

    def update_push(self, account_id: str, push_id: str, changes: dict, *, expect_status=None,
                    expect_owner: str | None = None) -> bool:
        from pynamodb.exceptions import UpdateError

        from .pushes import PushRecord

        self._c(account_id)
        actions = []
        for k, v in changes.items():
            attr = getattr(PushRecord, k)
            actions.append(attr.remove() if v is None else attr.set(self._encode(k, v)))
        cond = PushRecord.push_id.exists()
        if expect_status is not None:
            cond &= PushRecord.status.is_in(*expect_status)
        if expect_owner is not None:
            cond &= PushRecord.lease_owner == expect_owner
        try:
            PushRecord(account_id, push_id).update(actions=actions, condition=cond)
            return True
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise

    def claim(self, account_id: str, push_id: str, owner: str, now: float, lease_until: float) -> dict | None:
        from pynamodb.exceptions import UpdateError

        from .pushes import PushRecord

        self._c(account_id)
        rec = PushRecord(account_id, push_id)
        cond = (PushRecord.status.is_in(*LEASE_STATUSES) & (PushRecord.next_run_at <= now)
                & (PushRecord.lease_until.does_not_exist() | (PushRecord.lease_until < now)))
        try:
            rec.update(actions=[PushRecord.status.set("running"), PushRecord.lease_owner.set(owner),
                                PushRecord.lease_until.set(lease_until), PushRecord.updated_at.set(now)],
                       condition=cond)
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return None
            raise
        return self._push_dict(rec)

    def due(self, now: float, limit: int = 25) -> list[tuple[str, str]]:
        from .pushes import PushRecord

        out = []
        for r in PushRecord.due_index.query("1", PushRecord.next_run_at <= now, limit=limit):
            if self.scope.account_id in (None, r.account_id):
                out.append((r.account_id, r.push_id))
        return out

    def polling(self, now: float, limit: int = 25) -> list[tuple[str, str]]:
        from .pushes import PushRecord

        return [(r.account_id, r.push_id) for r in PushRecord.poll_index.query("1", PushRecord.poll_at <= now,
                                                                              limit=limit)
                if self.scope.account_id in (None, r.account_id)]

    # ---- plans and batches
    def _doc(self, rec) -> dict:
        out = json.loads(rec.doc) if rec.doc else {}
        if rec.state is not None:
            out["state"] = rec.state
        if rec.finished:
            out["finished"] = rec.finished
        return out

    def get_plan(self, account_id: str, push_id: str, run_no: int) -> dict | None:
        from .push_batches import PushBatchRecord

        self._c(account_id)
        try:
            return self._doc(PushBatchRecord.get(run_pk(account_id, push_id, run_no), "plan", consistent_read=True))
        except PushBatchRecord.DoesNotExist:
            return None

    def put_plan(self, account_id: str, push_id: str, run_no: int, plan: dict) -> None:
        from .push_batches import PushBatchRecord

        self._c(account_id)
        plan = dict(plan)
        state = plan.pop("state", None)
        PushBatchRecord(run_pk(account_id, push_id, run_no), "plan", state=state,
                        doc=json.dumps(plan, ensure_ascii=False)).save()

    def put_batches(self, account_id: str, push_id: str, run_no: int, batches: list[dict]) -> None:
        from .push_batches import PushBatchRecord

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
        from .push_batches import PushBatchRecord

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
        from .paging import one_page
        from .push_batches import PushBatchRecord as B

        self._c(account_id)
        pk = run_pk(account_id, push_id, run_no)
        if start is not None and start.get("pk", {}).get("S") != pk:
            raise ValueError("cursor of another run")
        items, last = one_page(B.query(pk, B.sk.startswith("b"), consistent_read=True, limit=limit, page_size=limit,
                                       last_evaluated_key=start, attributes_to_get=["pk", "sk", "state", "doc",
                                                                                    "finished"]))
        return [self._doc(r) for r in items if "#" not in r.sk], last

    def batch_recipients(self, account_id: str, push_id: str, run_no: int, no: int) -> list[str]:
        from .push_batches import PushBatchRecord

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
        from pynamodb.exceptions import UpdateError

        from .push_batches import PushBatchRecord

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
        from pynamodb.exceptions import UpdateError

        from .push_batches import PushBatchRecord as B

        self._c(account_id)
        marker = None
        if once_key is not None:
            marker = B(f"{account_id}#msg#{once_key[1]}", "msg")
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
                marker.update(actions=[B.finished.remove()])
            raise

    def put_msg_index(self, account_id: str, entries: list[tuple[str, dict]]) -> None:
        from .push_batches import PushBatchRecord

        self._c(account_id)
        with PushBatchRecord.batch_write() as w:
            for msg_id, ref in entries:
                w.save(PushBatchRecord(f"{account_id}#msg#{msg_id}", "msg", doc=json.dumps(ref)))

    def get_msg_index(self, account_id: str, msg_id) -> dict | None:
        from .push_batches import PushBatchRecord

        self._c(account_id)
        try:
            rec = PushBatchRecord.get(f"{account_id}#msg#{msg_id}", "msg", consistent_read=True)
        except PushBatchRecord.DoesNotExist:
            return None
        return self._doc(rec)

    def mark_once(self, account_id: str, push_id: str, run_no: int, recipient: str) -> bool:
        from pynamodb.exceptions import PutError

        from .push_batches import PushBatchRecord

        self._c(account_id)
        try:
            PushBatchRecord(run_pk(account_id, push_id, run_no), f"m#{recipient}").save(
                condition=PushBatchRecord.sk.does_not_exist())
            return True
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise

    # ---- quota ledger
    def _transact(self, keys: list[str], add) -> dict[str, dict | None]:
        """Conditional ledger writes in transactions of at most TX_MAX (one round trip each, not one per
        recipient). `add(tx, key)` adds one conditional update. A transaction that any row refuses is
        cancelled whole; its CancellationReasons say which rows (with their item, ALL_OLD), those are
        left out and the rest retried: at most ceil(n / TX_MAX) round trips plus one per cancellation.
        Returns {key: None if written, else the refused row's old item (raw, may be {})}."""
        from pynamodb.exceptions import TransactWriteError
        from pynamodb.transactions import TransactWrite

        from .quota_ledger import QuotaLedgerRecord as Q

        connection = Q._get_connection().connection
        out: dict[str, dict | None] = {}
        order = list(dict.fromkeys(keys))  # a transaction may address an item only once
        for start in range(0, len(order), TX_MAX):
            pending, conflicts = order[start:start + TX_MAX], 0
            while pending:
                self.round_trips += 1
                try:
                    with TransactWrite(connection=connection) as tx:
                        for key in pending:
                            add(tx, key)
                except TransactWriteError as exc:
                    reasons = exc.cancellation_reasons or []
                    if len(reasons) != len(pending):
                        raise
                    refused = {}
                    for key, reason in zip(pending, reasons, strict=True):
                        code = getattr(reason, "code", None) if reason is not None else None
                        if code in (None, "None"):
                            continue
                        if code == "ConditionalCheckFailed":
                            refused[key] = reason.raw_item or {}
                        elif code != "TransactionConflict":  # throttled, validation, ...: not ours to hide
                            raise
                    if not refused:  # only conflicts with a concurrent transaction: run it again
                        conflicts += 1
                        if conflicts > TX_CONFLICT_RETRIES:
                            raise
                        continue
                    out.update(refused)
                    pending = [k for k in pending if k not in refused]
                    continue
                out.update(dict.fromkeys(pending))
                break
        return out

    def reserve_many(self, account_id: str, keys: list[str], limit: int, holder: str, ttl: int) -> list[bool]:
        from datetime import UTC, datetime

        from pynamodb.constants import ALL_OLD

        from .quota_ledger import QuotaLedgerRecord as Q

        self._c(account_id)
        when = datetime.fromtimestamp(ttl, UTC)
        if limit < 1:
            return [False] * len(keys)
        cond = (Q.used.does_not_exist() | (Q.used < limit)) & ~Q.holders.contains(holder)

        def add(tx, key):
            tx.update(Q(key), actions=[Q.used.add(1), Q.holders.add({holder}), Q.ttl.set(when)], condition=cond,
                      return_values=ALL_OLD)

        result = self._transact(keys, add)

        def granted(key):
            old = result[key]
            # refused: at quota, or this holder already has its slot (a rerun): the old item says which
            return old is None or holder in ((old.get("holders") or {}).get("SS") or [])

        return [granted(k) for k in keys]

    def release_many(self, account_id: str, keys: list[str], holder: str) -> None:
        from .quota_ledger import QuotaLedgerRecord as Q

        self._c(account_id)

        def add(tx, key):  # refused when this holder has no slot there: nothing to give back
            tx.update(Q(key), actions=[Q.used.add(-1), Q.holders.delete({holder})],
                      condition=Q.holders.contains(holder))

        self._transact(keys, add)

    def used_many(self, account_id: str, keys: list[str]) -> dict[str, int]:
        from .quota_ledger import QuotaLedgerRecord as Q

        self._c(account_id)
        out = {}
        for start in range(0, len(keys), 100):
            for row in Q.batch_get(keys[start:start + 100], attributes_to_get=["key", "used"]):
                out[row.key] = int(row.used or 0)
        return out

    # ---- interactions
    def touch(self, account_id: str, openid: str, at: float, kind: str = "") -> None:
        from datetime import UTC, datetime

        from pynamodb.exceptions import UpdateError

        from .interactions import InteractionRecord as I

        self._c(account_id)
        try:
            I(account_id, openid).update(
                actions=[I.last_at.set(at), I.last_kind.set(kind or "event"),
                         I.ttl.set(datetime.fromtimestamp(at + 7 * 86400, UTC))],
                condition=I.last_at.does_not_exist() | (I.last_at < at))
        except UpdateError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise

    def last_interactions(self, account_id: str, openids: list[str]) -> dict[str, float]:
        from .interactions import InteractionRecord as I

        self._c(account_id)
        out = {}
        for start in range(0, len(openids), 100):
            for row in I.batch_get([(account_id, o) for o in openids[start:start + 100]]):
                out[row.openid] = float(row.last_at)
        return out

    # ---- segments
    def put_segment(self, segment: dict) -> None:
        from .segments import SegmentRecord

        self._c(segment["account_id"])
        SegmentRecord(segment["account_id"], segment["segment_id"], name=segment["name"],
                      audience=json.dumps(segment["audience"], ensure_ascii=False),
                      created_at=segment["created_at"]).save()

    @staticmethod
    def _segment(rec) -> dict:
        return {"account_id": rec.account_id, "segment_id": rec.segment_id, "name": rec.name,
                "audience": json.loads(rec.audience), "created_at": rec.created_at}

    def get_segment(self, account_id: str, segment_id: str) -> dict | None:
        from .segments import SegmentRecord

        self._c(account_id)
        try:
            return self._segment(SegmentRecord.get(account_id, segment_id))
        except SegmentRecord.DoesNotExist:
            return None

    def list_segments(self, account_id: str) -> list[dict]:
        from .segments import SegmentRecord

        self._c(account_id)
        return [self._segment(r) for r in SegmentRecord.query(account_id)]

    def page_segments(self, account_id: str, limit: int = 50, start: dict | None = None
                      ) -> tuple[list[dict], dict | None]:
        from .paging import one_page
        from .segments import SegmentRecord

        self._c(account_id)
        if start is not None and start.get("account_id", {}).get("S") != account_id:
            raise ValueError("cursor of another account")
        items, last = one_page(SegmentRecord.query(account_id, limit=limit, page_size=limit,
                                                   last_evaluated_key=start))
        return [self._segment(r) for r in items], last
