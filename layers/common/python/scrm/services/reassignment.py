"""Staff-departure reassignment use cases: plan, preview, execute, follow up, sweep, status.

Resumability (the order of writes is the design):
1. A plan's items (one per customer / group chat, with takeover and batch id) and its batch records
   are stored before any WeCom call.
2. A batch is claimed with a conditional write (pending -> sending, with a lease) BEFORE the call.
3. The call is made; the per-target results are stored; the batch is marked sent AFTER that.
4. A batch found `sending` with an expired lease (the function died, timed out, or WeCom answered
   -1/45009) is reconciled first: transfer_result (customers) or groupchat/get (chats) tells which
   targets WeCom already has; only the others are sent again, and 40100/40129 ("already in
   transfer") count as in progress, never as failures.
Only one worker works on a plan at a time (a plan lease); the transfer_fail callback changes only
items that are `waiting`, with conditional writes.
"""

from __future__ import annotations

import time
import uuid
from collections import defaultdict
from datetime import UTC, datetime

from ..domain import reassignment as rules
from ..errors import Conflict, NotFound, ValidationError, WeChatError, WeChatUnavailable
from ..tenancy import Scope

LEASE_SECONDS = 120
PLAN_LEASE_SECONDS = 900
MISSES_BEFORE_FAILED = 3  # polls in which transfer_result does not know a waiting customer


class SimulatedCrash(BaseException):
    """Raised by tests through `crash_hook` to play the function dying (nothing is cleaned up)."""


def crash_hook(point: str, **info) -> None:  # replaced in tests
    return None


def _now() -> float:
    return time.time()


def _models():
    from ..data.reassignment_policies import ReassignmentPolicyRecord
    from ..data.transfer_batches import TransferBatch
    from ..data.transfer_ledger import TransferLedgerEntry
    from ..data.transfer_notices import TransferNotice
    from ..data.transfer_plans import TransferPlan
    from ..data.transfers import TransferItem

    return TransferPlan, TransferItem, TransferBatch, TransferLedgerEntry, TransferNotice, ReassignmentPolicyRecord


def _gateway(account_id: str, gw=None):
    if gw is not None:
        return gw
    from .. import accounts
    from ..gateway import gateway_for

    account = accounts.get(account_id)
    if account.kind != "wecom":
        raise ValidationError(f"account {account_id} is not a WeCom corp: reassignment needs WeCom", "account_id")
    return gateway_for(account)


def _plan_policy(plan) -> dict:
    p = plan.policy
    if p is None:
        return {}
    return p.as_dict() if hasattr(p, "as_dict") else dict(p)


def _plan_key(account_id: str, plan_id: str) -> str:
    return f"{account_id}#{plan_id}"


def _new_plan_id() -> str:
    return f"p{int(_now() * 1000):013x}{uuid.uuid4().hex[:6]}"


# ----------------------------------------------------------------------------------------- policy

POLICY_FIELDS = ("strategy", "pool", "departments", "staff_tags", "tag", "max_offers", "transfer_success_msg",
                 "notify_agentid", "auto_on_departure", "auto_sweep")


def _policy_from(data: dict) -> rules.Policy:
    unknown = set(data) - set(POLICY_FIELDS)
    if unknown:
        raise ValidationError(f"unknown policy fields: {', '.join(sorted(unknown))}", sorted(unknown)[0])
    data = {k: v for k, v in data.items() if v is not None}
    if "pool" in data:
        if not isinstance(data["pool"], list) or not all(isinstance(s, str) and s for s in data["pool"]):
            raise ValidationError("pool must be a list of staff userids", "pool")
        data["pool"] = tuple(data["pool"])
    for name in ("departments", "staff_tags"):
        if name in data and not isinstance(data[name], dict):
            raise ValidationError(f"{name} must map userid to a list", name)
    try:
        return rules.Policy(**data)
    except (rules.PlanError, TypeError) as exc:
        raise ValidationError(str(exc), "strategy") from None


def _policy_dict(p: rules.Policy) -> dict:
    out = {k: getattr(p, k) for k in POLICY_FIELDS}
    out["pool"] = list(p.pool)
    return {k: v for k, v in out.items() if v is not None}


def get_policy(scope: Scope, account_id: str) -> dict:
    scope.check(account_id)
    *_, Rec = _models()
    try:
        stored = dict(Rec.get(account_id).policy.as_dict())
    except Rec.DoesNotExist:
        stored = {}
    return _policy_dict(_policy_from(stored))


def set_policy(scope: Scope, account_id: str, data: dict) -> dict:
    scope.check(account_id)
    policy = _policy_from(data or {})
    *_, Rec = _models()
    Rec(account_id=account_id, policy=_policy_dict(policy), updated_at=int(_now()), updated_by=scope.key_id).save()
    return _policy_dict(policy)


def _load_policy(account_id: str) -> rules.Policy:
    return _policy_from(get_policy(Scope.system(account_id), account_id))


# ----------------------------------------------------------------------------------------- planning

def _unassigned(gw, handover: str | None = None) -> dict[str, list[str]]:
    """get_unassigned_list, every page: handover -> customers."""
    out: dict[str, list[str]] = defaultdict(list)
    cursor = ""
    while True:
        page = gw.unassigned_customers(cursor=cursor, page_size=1000)
        for row in page.get("info") or []:
            if handover is None or row.get("handover_userid") == handover:
                out[row["handover_userid"]].append(row["external_userid"])
        cursor = page.get("next_cursor") or ""
        if page.get("is_last") or not cursor:
            return out


def _chats_of(gw, owner: str) -> list[str]:
    chats, cursor = [], ""
    while True:
        page = gw.group_chats_of(owner, cursor=cursor)
        chats += [c["chat_id"] for c in page.get("group_chat_list") or []]
        cursor = page.get("next_cursor") or ""
        if not cursor:
            return chats


def _user(gw, userid: str) -> dict | None:
    try:
        return gw.user(userid)
    except WeChatError as exc:
        if exc.errcode in (60111, 60011, 40031):
            return None
        raise


def _ledger_blocked(account_id: str, customers: list[str], now: float) -> set[str]:
    """Customers our ledger says were transferred on-job twice in the last 90 days."""
    _, _, _, Ledger, _, _ = _models()
    blocked = set()
    since = f"{int(now - rules.ONJOB_WINDOW_SECONDS):010d}"
    for c in customers:
        times = [e.at for e in Ledger.query(f"{account_id}#{c}", Ledger.entry >= since) if not e.void]
        if not rules.onjob_allowed(times, now):
            blocked.add(c)
    return blocked


def _compute(account_id: str, handover: str, mode: str, *, customers: list[str] | None, chats: list[str] | None,
             include_chats: bool, strategy: str | None, takeovers: list[str] | None, gw) -> dict:
    """What a plan would do; no writes. Raises ValidationError/NotFound for bad input."""
    if mode not in rules.MODES:
        raise ValidationError(f"mode must be one of {', '.join(rules.MODES)}", "mode")
    if not handover or not isinstance(handover, str):
        raise ValidationError("handover_userid is required", "handover_userid")
    policy = _load_policy(account_id)
    if strategy or takeovers:
        base = _policy_dict(policy)
        if strategy:
            base["strategy"] = strategy
        if takeovers:
            base["pool"] = takeovers
        policy = _policy_from(base)
    if mode == "resigned":
        owned = _unassigned(gw, handover).get(handover, [])
        if not owned:
            info = _user(gw, handover)
            if info is not None:
                raise ValidationError(f"staff {handover} has not left (40097): use mode 'onjob' to move the "
                                      "customers of a current staff member", "handover_userid",
                                      {"errcode": 40097})
        owned_chats = _chats_of(gw, handover) if include_chats else []
        if not owned and not owned_chats:
            raise NotFound(f"staff {handover} does not exist or has left with no customers or group chats "
                           "to hand over")
        handover_depts = (policy.departments or {}).get(handover)
    else:
        info = _user(gw, handover)
        if info is None:
            raise NotFound(f"staff {handover} does not exist or has left: use mode 'resigned' for departed staff")
        owned = gw.customer_ids(handover)
        owned_chats = _chats_of(gw, handover) if include_chats else []
        handover_depts = info.get("department")
    if customers is not None:
        missing = sorted(set(customers) - set(owned))
        if missing:
            raise ValidationError(f"{len(missing)} customers are not customers of {handover}: "
                                  f"{', '.join(missing[:5])}", "customers", {"not_owned": missing[:100]})
        owned = list(dict.fromkeys(customers))
    if chats is not None:
        missing = sorted(set(chats) - set(owned_chats))
        if missing:
            raise ValidationError(f"{len(missing)} group chats are not owned by {handover}", "chats",
                                  {"not_owned": missing[:100]})
        owned_chats = list(dict.fromkeys(chats))
    staff = gw.customer_contact_staff()
    departments = {}
    if policy.strategy == "same_department":
        for s in policy.pool or staff:
            if s != handover and s not in (policy.departments or {}):
                u = _user(gw, s)
                if u:
                    departments[s] = u.get("department") or []
    try:
        pool = rules.candidates(policy, staff, handover, departments=departments,
                                handover_departments=handover_depts)
    except rules.PlanError as exc:
        raise ValidationError(str(exc), "strategy") from None
    loads = {s: len(gw.customer_ids(s)) for s in pool} if policy.strategy == "least_loaded" else {}
    now = _now()
    blocked = _ledger_blocked(account_id, owned, now) if mode == "onjob" else set()
    movable = [c for c in owned if c not in blocked]
    assignment = rules.assign(policy, movable, pool, loads)
    chat_assignment = rules.assign_round_robin(owned_chats, pool)
    per_takeover = defaultdict(lambda: {"customers": 0, "chats": 0})
    for t in assignment.values():
        per_takeover[t]["customers"] += 1
    for t in chat_assignment.values():
        per_takeover[t]["chats"] += 1
    return {"policy": policy, "pool": pool, "assignment": assignment, "chat_assignment": chat_assignment,
            "blocked": sorted(blocked), "loads": loads, "per_takeover": dict(per_takeover)}


def preview(scope: Scope, account_id: str, handover: str, *, mode: str = "resigned", customers=None, chats=None,
            include_chats: bool = True, strategy: str | None = None, takeovers=None, gw=None) -> dict:
    scope.check(account_id)
    c = _compute(account_id, handover, mode, customers=customers, chats=chats, include_chats=include_chats,
                 strategy=strategy, takeovers=takeovers, gw=_gateway(account_id, gw))
    cb = rules.batches(c["assignment"])
    gb = rules.batches(c["chat_assignment"])
    return {"handover_userid": handover, "mode": mode, "strategy": c["policy"].strategy, "takeovers": c["pool"],
            "customers": len(c["assignment"]), "chats": len(c["chat_assignment"]),
            "blocked_by_90_day_rule": c["blocked"], "per_takeover": c["per_takeover"],
            "current_loads": c["loads"], "customer_batches": len(cb), "chat_batches": len(gb),
            "assignment_sample": dict(list(c["assignment"].items())[:50])}


def create_plan(scope: Scope, account_id: str, handover: str, *, mode: str = "resigned", trigger: str = "admin",
                customers=None, chats=None, include_chats: bool = True, strategy: str | None = None,
                takeovers=None, gw=None) -> dict:
    """Persist the plan, its items and its batches (before any transfer call). Returns the plan."""
    scope.check(account_id)
    Plan, Item, Batch, *_ = _models()
    for p in Plan.by_handover.query(f"{account_id}#{handover}"):
        if p.status == "running" and p.mode == mode:
            raise Conflict(f"plan {p.plan_id} for {handover} is still running")
    gw = _gateway(account_id, gw)
    c = _compute(account_id, handover, mode, customers=customers, chats=chats, include_chats=include_chats,
                 strategy=strategy, takeovers=takeovers, gw=gw)
    now = _now()
    plan_id = _new_plan_id()
    pk = _plan_key(account_id, plan_id)
    batches = [("customer", t, ids) for t, ids in rules.batches(c["assignment"])]
    batches += [("chat", t, ids) for t, ids in rules.batches(c["chat_assignment"])]
    plan = Plan(account_id=account_id, plan_id=plan_id, handover_userid=handover,
                handover_key=f"{account_id}#{handover}", mode=mode, trigger=trigger,
                strategy=c["policy"].strategy, takeovers=c["pool"], status="running", active_flag="1",
                created_at=int(now), updated_at=int(now), next_batch=len(batches), rounds=1,
                policy=_policy_dict(c["policy"]), requested_by=scope.key_id)
    with Item.batch_write() as w:
        for n, (kind, takeover, ids) in enumerate(batches, start=1):
            for target in ids:
                w.save(_item(account_id, plan_id, handover, kind, target, takeover, f"b{n:06d}", now))
        for target in c["blocked"]:
            it = _item(account_id, plan_id, handover, "customer", target, None, None, now)
            it.state, it.reason, it.errcode = rules.FAILED, "blocked by our 2-per-90-days ledger", 40128
            w.save(it)
    with Batch.batch_write() as w:
        for n, (kind, takeover, ids) in enumerate(batches, start=1):
            w.save(Batch(plan_key=pk, batch_id=f"b{n:06d}", kind=kind, takeover_userid=takeover, targets=ids,
                         state=rules.B_PENDING, round=1, created_at=int(now)))
    plan.counts = rules.summarize([rules.PLANNED] * sum(len(b[2]) for b in batches) +
                                  [rules.FAILED] * len(c["blocked"]))
    plan.save()
    return plan_view(plan)


def _item(account_id, plan_id, handover, kind, target, takeover, batch_id, now):
    _, Item, *_ = _models()
    return Item(plan_key=_plan_key(account_id, plan_id), item_key=("c#" if kind == "customer" else "g#") + target,
                account_id=account_id, plan_id=plan_id, kind=kind, target_id=target,
                target_key=f"{account_id}#{target}", handover_userid=handover, takeover_userid=takeover,
                tried=[takeover] if takeover else [], state=rules.PLANNED, batch_id=batch_id, errcode=0,
                updated_at=int(now), history=[])


# ----------------------------------------------------------------------------------------- execution

class _Run:
    """One worker's pass over one plan, under the plan lease."""

    def __init__(self, plan, gw, owner: str, deadline: float | None):
        self.plan, self.gw, self.owner, self.deadline = plan, gw, owner, deadline
        self.pk = _plan_key(plan.account_id, plan.plan_id)
        self.resigned = plan.mode == "resigned"
        self.results_cache: dict[str, dict[str, dict]] = {}
        self.stats = defaultdict(int)

    def time_left(self) -> bool:
        return self.deadline is None or time.monotonic() < self.deadline

    def items(self) -> dict[str, object]:
        _, Item, *_ = _models()
        return {i.item_key: i for i in Item.query(self.pk, consistent_read=True)}

    # --- transfer_result, every page, once per takeover per run
    def results_for(self, takeover: str, refresh: bool = False) -> dict[str, dict]:
        if refresh or takeover not in self.results_cache:
            rows, cursor = {}, ""
            while True:
                page = self.gw.transfer_result(self.plan.handover_userid, takeover, cursor, resigned=self.resigned)
                self.stats["result_calls"] += 1
                for row in page.get("customer") or []:
                    rows[row["external_userid"]] = row
                cursor = page.get("next_cursor") or ""
                if not cursor:
                    break
            self.results_cache[takeover] = rows
        return self.results_cache[takeover]


def _record(item, outcome: rules.Outcome, takeover: str | None, now: float, source: str, **extra) -> None:
    item.state = outcome.state
    item.errcode = int(outcome.errcode or 0)
    item.reason = outcome.reason or None
    item.updated_at = int(now)
    entry = {"at": int(now), "takeover": takeover or "", "source": source, "state": outcome.state,
             "errcode": int(outcome.errcode or 0)}
    entry.update({k: v for k, v in extra.items() if v is not None})
    item.history = list(item.history or [])[-19:] + [entry]


def _claim_batch(batch, owner: str, now: float) -> bool:
    _, _, Batch, *_ = _models()
    from pynamodb.exceptions import UpdateError

    cond = (Batch.state == rules.B_PENDING) | ((Batch.state == rules.B_SENDING) & (Batch.lease_until < now))
    try:
        batch.update(actions=[Batch.state.set(rules.B_SENDING), Batch.lease_owner.set(owner),
                              Batch.lease_until.set(now + LEASE_SECONDS), Batch.attempts.add(1)],
                     condition=cond)
        return True
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise


def _release_batch(batch, error: str) -> None:
    """The call failed in a way that leaves its effect unknown: keep `sending`, let the lease lapse now."""
    _, _, Batch, *_ = _models()
    batch.update(actions=[Batch.lease_until.set(0), Batch.last_error.set(error[:500])])


def _finish_batch(batch, owner: str, summary: dict, now: float) -> None:
    _, _, Batch, *_ = _models()
    batch.update(actions=[Batch.state.set(rules.B_SENT), Batch.sent_at.set(int(now)), Batch.summary.set(summary),
                          Batch.lease_owner.remove(), Batch.lease_until.remove()],
                 condition=Batch.lease_owner == owner)


def _ledger_write(plan, item, now: float) -> None:
    if plan.mode != "onjob" or item.kind != "customer":
        return
    _, _, _, Ledger, _, _ = _models()
    at = int(item.submitted_at or now)
    Ledger(customer_key=f"{plan.account_id}#{item.target_id}",
           entry=f"{at:010d}#{plan.plan_id}#{item.takeover_userid}", at=at, plan_id=plan.plan_id,
           takeover_userid=item.takeover_userid, mode=plan.mode,
           expires=datetime.fromtimestamp(int(now) + 100 * 86400, UTC)).save()


def _ledger_void(plan, item) -> None:
    if plan.mode != "onjob" or item.kind != "customer":
        return
    _, _, _, Ledger, _, _ = _models()
    for e in Ledger.query(f"{plan.account_id}#{item.target_id}"):
        if e.plan_id == plan.plan_id and e.takeover_userid == item.takeover_userid and not e.void:
            e.update(actions=[Ledger.void.set(True)])


def _send_batch(run: _Run, batch, items: dict) -> str:
    """Claim, reconcile if resumed, call, store results, mark sent. Returns 'sent' | 'skipped' | 'retry'."""
    _, Item, *_ = _models()
    now = _now()
    resumed = batch.state == rules.B_SENDING
    if not _claim_batch(batch, run.owner, now):
        return "skipped"
    keys = [("c#" if batch.kind == "customer" else "g#") + t for t in batch.targets]
    todo = [items[k] for k in keys if k in items and items[k].state == rules.PLANNED
            and items[k].batch_id == batch.batch_id]
    changed = []
    if resumed and todo:
        run.stats["reconciled_batches"] += 1
        still = []
        if batch.kind == "customer":
            try:
                known = run.results_for(batch.takeover_userid, refresh=True)
            except (WeChatError, WeChatUnavailable) as exc:
                _release_batch(batch, f"reconcile: {exc}")
                return "retry"
        for it in todo:
            outcome = None
            try:
                if batch.kind == "customer":
                    row = known.get(it.target_id)
                    outcome = rules.result_outcome(row["status"]) if row else None
                else:
                    owner = run.gw.group_chat(it.target_id).get("group_chat", {}).get("owner")
                    outcome = rules.Outcome(rules.DONE) if owner == batch.takeover_userid else None
            except (WeChatError, WeChatUnavailable) as exc:
                _release_batch(batch, f"reconcile: {exc}")
                return "retry"
            if outcome is None:
                still.append(it)
            else:
                it.submitted_at = it.submitted_at or int(now)
                _record(it, outcome, batch.takeover_userid, now, "reconcile")
                changed.append(it)
        run.results_cache.pop(batch.takeover_userid, None)
        todo = still
    if todo:
        crash_hook("before_call", batch=batch.batch_id)
        ids = [it.target_id for it in todo]
        run.stats["transfer_calls"] += 1
        try:
            if batch.kind == "customer":
                msg = _plan_policy(run.plan).get("transfer_success_msg") if not run.resigned else None
                answer = run.gw.transfer_customers(run.plan.handover_userid, batch.takeover_userid, ids,
                                                   resigned=run.resigned, transfer_success_msg=msg)
            else:
                answer = run.gw.transfer_group_chats(ids, batch.takeover_userid, resigned=run.resigned)
        except WeChatError as exc:
            if exc.code in ("wechat_busy", "wechat_rate_limited", "wechat_token_invalid"):
                _release_batch(batch, str(exc))
                return "retry"
            # The whole call was refused (40097 not resigned, 60111 takeover gone, bad parameter...).
            reoffer = exc.errcode in (60111, 60011, 40098)
            reason = rules.CUSTOMER_ERRORS.get(exc.errcode, exc.errmsg or str(exc))
            for it in todo:
                _record(it, rules.Outcome(rules.FAILED, exc.errcode, f"{reason} (whole call)"),
                        batch.takeover_userid, now, "call")
                if reoffer:
                    it.reason = f"takeover unavailable: {reason}"
            changed += todo
            answer = None
        except WeChatUnavailable as exc:
            _release_batch(batch, str(exc))
            return "retry"
        crash_hook("after_call", batch=batch.batch_id)
        if answer is not None:
            if batch.kind == "customer":
                codes = {row["external_userid"]: int(row.get("errcode", 0)) for row in answer.get("customer") or []}
                for it in todo:
                    code = codes.get(it.target_id)
                    outcome = (rules.submit_outcome(code) if code is not None else
                               rules.Outcome(rules.FAILED, -2, "no result for this customer in WeCom's answer"))
                    if outcome.state == rules.WAITING:
                        it.submitted_at = int(now)
                    _record(it, outcome, batch.takeover_userid, now, "call")
            else:
                failed = {row["chat_id"]: row for row in answer.get("failed_chat_list") or []}
                for it in todo:
                    row = failed.get(it.target_id)
                    outcome = rules.chat_outcome(int(row["errcode"]), row.get("errmsg", "")) if row else \
                        rules.Outcome(rules.DONE)
                    it.submitted_at = int(now)
                    _record(it, outcome, batch.takeover_userid, now, "call")
            changed += todo
    with Item.batch_write() as w:
        for it in changed:
            w.save(it)
    for it in changed:
        if it.state in (rules.WAITING, rules.DONE):
            _ledger_write(run.plan, it, now)
    crash_hook("after_store", batch=batch.batch_id)
    summary = defaultdict(int)
    for it in changed:
        summary[it.state] += 1
    _finish_batch(batch, run.owner, dict(summary), _now())
    return "sent"


def _reoffer(run: _Run, items: dict) -> int:
    """Refused / over-limit / takeover-gone items get the next takeover by the plan's strategy."""
    _, Item, *_ = _models()
    plan = run.plan
    max_offers = int(_plan_policy(plan).get("max_offers", 3))
    received = defaultdict(int)
    for it in items.values():
        if it.takeover_userid and it.state in (rules.PLANNED, rules.WAITING, rules.DONE):
            received[it.takeover_userid] += 1
    todo = [it for it in items.values() if it.batch_id is not None and (
        rules.needs_reoffer(it.state) or (it.state == rules.FAILED and (it.reason or "").startswith("takeover unav")))
        and len(it.tried or []) < max_offers]
    assignment = {}
    for it in todo:
        nxt = rules.next_takeover(plan.takeovers, it.tried or [], received)
        if nxt is None:
            continue
        if plan.mode == "onjob" and it.kind == "customer" and \
                _ledger_blocked(plan.account_id, [it.target_id], _now()):
            continue
        received[nxt] += 1
        assignment[it.item_key] = nxt
    if not assignment:
        return 0
    groups = rules.batches(assignment)
    Plan, *_ = _models()
    plan.update(actions=[Plan.next_batch.add(len(groups)), Plan.rounds.add(1)])
    first = int(plan.next_batch) - len(groups) + 1
    now = _now()
    _, _, Batch, *_ = _models()
    for n, (takeover, keys) in enumerate(groups, start=first):
        bid = f"b{n:06d}"
        for key in keys:
            it = items[key]
            it.tried = list(it.tried or []) + [takeover]
            it.takeover_userid = takeover
            it.batch_id = bid
            _record(it, rules.Outcome(rules.PLANNED, 0, "offered to the next takeover"), takeover, now, "reoffer")
        with Item.batch_write() as w:
            for key in keys:
                w.save(items[key])
        Batch(plan_key=run.pk, batch_id=bid, kind=items[keys[0]].kind, takeover_userid=takeover,
              targets=[items[k].target_id for k in keys], state=rules.B_PENDING, round=int(plan.rounds),
              created_at=int(now)).save()
    return len(assignment)


def _poll(run: _Run, items: dict) -> int:
    """transfer_result for every takeover with waiting customers; apply final states.

    Runs under the plan lease. WeCom's answer is the truth, so results are written in batches (a
    transfer_fail callback racing with this can only have written the same final state).
    """
    _, Item, *_ = _models()
    waiting = defaultdict(list)
    for it in items.values():
        if it.state == rules.WAITING and it.kind == "customer":
            waiting[it.takeover_userid].append(it)
    changed = []
    now = _now()
    for takeover, its in waiting.items():
        rows = run.results_for(takeover, refresh=True)
        for it in its:
            row = rows.get(it.target_id)
            outcome = rules.result_outcome(row["status"]) if row else None
            if outcome is None:
                misses = sum(1 for h in (it.history or []) if _h(h).get("source") == "poll-miss")
                if misses + 1 >= MISSES_BEFORE_FAILED:
                    outcome = rules.Outcome(rules.FAILED, rules.NO_RECORD, "WeCom has no transfer record")
                else:
                    it.history = list(it.history or []) + [
                        {"at": int(now), "takeover": takeover, "source": "poll-miss", "state": it.state}]
                    changed.append(it)
                    continue
            if outcome.state == rules.WAITING:
                continue
            _record(it, outcome, takeover, now, "poll", takeover_time=int((row or {}).get("takeover_time") or 0))
            changed.append(it)
    with Item.batch_write() as w:
        for it in changed:
            w.save(it)
    for it in changed:
        if rules.needs_reoffer(it.state):
            _ledger_void(run.plan, it)
    return len(changed)


def _h(entry) -> dict:
    return entry.as_dict() if hasattr(entry, "as_dict") else dict(entry)


def _acquire_plan(plan, owner: str, now: float) -> bool:
    Plan, *_ = _models()
    from pynamodb.exceptions import UpdateError

    try:
        plan.update(actions=[Plan.lease_owner.set(owner), Plan.lease_until.set(now + PLAN_LEASE_SECONDS)],
                    condition=Plan.lease_until.does_not_exist() | (Plan.lease_until < now))
        return True
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise


def _release_plan(plan, owner: str) -> None:
    Plan, *_ = _models()
    from pynamodb.exceptions import UpdateError

    try:
        plan.update(actions=[Plan.lease_owner.remove(), Plan.lease_until.remove()], condition=Plan.lease_owner == owner)
    except UpdateError:
        pass


def advance(account_id: str, plan_id: str, *, gw=None, budget_seconds: float | None = None,
            poll: bool = True) -> dict:
    """Do everything a plan needs now: send pending batches, poll results, re-offer, finish, notify.

    Safe to call any number of times from anywhere (queue worker, schedule, admin); returns
    {"state": ..., "more": bool, ...}. `more` means call again later (WeCom busy, out of time, waiting).
    """
    Plan, _, Batch, *_ = _models()
    try:
        plan = Plan.get(account_id, plan_id, consistent_read=True)
    except Plan.DoesNotExist:
        raise NotFound(f"plan {plan_id} not found") from None
    if plan.status != "running":
        return {"plan_id": plan_id, "status": plan.status, "more": False}
    owner = uuid.uuid4().hex
    if not _acquire_plan(plan, owner, _now()):
        return {"plan_id": plan_id, "status": plan.status, "more": True, "busy": True}
    deadline = time.monotonic() + budget_seconds if budget_seconds else None
    run = _Run(plan, _gateway(account_id, gw), owner, deadline)
    try:
        result = _advance(run, poll)
    except Exception:
        _release_plan(plan, owner)
        raise
    _release_plan(plan, owner)
    return result


def _advance(run: _Run, poll: bool) -> dict:
    Plan, _, Batch, *_ = _models()
    plan = run.plan
    retry = False
    # One read of the items per pass: under the plan lease nobody else moves them, except a
    # transfer_fail callback on a waiting item, which the next poll sees anyway.
    items = run.items()
    for _round in range(12):
        pending = [b for b in Batch.query(run.pk, consistent_read=True) if b.state != rules.B_SENT]
        for b in pending:
            if not run.time_left():
                retry = True
                break
            outcome = _send_batch(run, b, items)
            if outcome == "retry":
                retry = True
                break
            if outcome == "skipped":
                retry = True
        if retry:
            break
        if poll:
            _poll(run, items)
        if not _reoffer(run, items):
            break
    counts = rules.summarize(it.state for it in items.values())
    now = _now()
    actions = [Plan.counts.set(counts), Plan.updated_at.set(int(now))]
    done = counts["open"] == 0 and not retry
    if done:
        actions += [Plan.status.set("done"), Plan.active_flag.remove(), Plan.finished_at.set(int(now))]
    plan.update(actions=actions)
    if done:
        _notify(run, items)
    return {"plan_id": plan.plan_id, "status": plan.status, "more": not done, "counts": counts,
            "transfer_calls": run.stats["transfer_calls"], "result_calls": run.stats["result_calls"],
            "reconciled_batches": run.stats["reconciled_batches"]}


def _notify(run: _Run, items: dict) -> list[dict]:
    """Tell each takeover what they received (one notice per takeover per plan, idempotent)."""
    *_, Notice, _ = _models()
    received = defaultdict(lambda: {"customer": [], "chat": []})
    for it in items.values():
        if it.state == rules.DONE and it.takeover_userid:
            received[it.takeover_userid][it.kind].append(it.target_id)
    agentid = _plan_policy(run.plan).get("notify_agentid")
    out = []
    for takeover, got in received.items():
        text = (f"You received {len(got['customer'])} customers and {len(got['chat'])} group chats "
                f"from {run.plan.handover_userid} (plan {run.plan.plan_id}).")
        notice = Notice(plan_key=run.pk, notice_key=f"{takeover}#final", takeover_userid=takeover,
                        customers=len(got["customer"]), chats=len(got["chat"]),
                        sample=(got["customer"] + got["chat"])[:20], text=text, delivery="recorded",
                        created_at=int(_now()))
        try:
            notice.save(condition=Notice.plan_key.does_not_exist())
        except Exception:
            continue  # already notified
        if agentid:
            try:
                run.gw.send_app_text(int(agentid), [takeover], text)
                notice.update(actions=[Notice.delivery.set("sent")])
            except (WeChatError, WeChatUnavailable) as exc:
                notice.update(actions=[Notice.delivery.set(f"failed: {exc}"[:300])])
        out.append({"takeover_userid": takeover, "text": text})
    return out


# ----------------------------------------------------------------------------------------- triggers

def on_departure(account_id: str, handover: str, *, gw=None) -> dict | None:
    """change_contact delete_user: plan the departed member's customers and chats, if the policy says so."""
    policy = _load_policy(account_id)
    if not policy.auto_on_departure:
        return None
    Plan, *_ = _models()
    for p in Plan.by_handover.query(f"{account_id}#{handover}"):
        if p.status == "running" and p.mode == "resigned":
            return plan_view(p)  # a redelivered callback, or the sweep got there first
    try:
        return create_plan(Scope.system(account_id), account_id, handover, mode="resigned", trigger="callback",
                           gw=gw)
    except NotFound:
        return None  # nothing to hand over (or the member was never a customer-contact user)


def on_transfer_fail(account_id: str, takeover: str, external_userid: str, fail_reason: str) -> int:
    """transfer_fail callback: the waiting item for this customer and takeover is refused / over limit."""
    Plan, Item, *_ = _models()
    from pynamodb.exceptions import UpdateError

    state = rules.FAIL_REASONS.get(fail_reason, rules.REFUSED)
    applied = 0
    for it in Item.by_target.query(f"{account_id}#{external_userid}"):
        if it.kind != "customer" or it.takeover_userid != takeover or it.state != rules.WAITING:
            continue
        now = _now()
        _record(it, rules.Outcome(state, 0, f"transfer_fail callback: {fail_reason}"), takeover, now, "callback")
        try:
            it.save(condition=(Item.state == rules.WAITING) & (Item.takeover_userid == takeover))
        except UpdateError:
            continue
        except Exception as exc:
            if "Conditional" in str(exc):
                continue
            raise
        applied += 1
        try:
            _ledger_void(Plan.get(account_id, it.plan_id), it)
        except Plan.DoesNotExist:
            pass
    return applied


def sweep(account_id: str, *, gw=None) -> list[dict]:
    """get_unassigned_list: departures we missed get a plan for the customers no plan has covered."""
    policy = _load_policy(account_id)
    if not policy.auto_sweep:
        return []
    Plan, Item, *_ = _models()
    gw = _gateway(account_id, gw)
    made = []
    for handover, customers in _unassigned(gw).items():
        plans = list(Plan.by_handover.query(f"{account_id}#{handover}"))
        if any(p.status == "running" for p in plans):
            continue
        covered = set()
        for p in plans:
            covered |= {i.target_id for i in Item.query(_plan_key(account_id, p.plan_id))}
        missed = [c for c in customers if c not in covered]
        if not missed:
            continue
        try:
            made.append(create_plan(Scope.system(account_id), account_id, handover, mode="resigned",
                                    trigger="sweep", customers=missed, include_chats=not plans, gw=gw))
        except (NotFound, ValidationError, Conflict):
            continue
    return made


def active_plans() -> list[tuple[str, str]]:
    Plan, *_ = _models()
    return [(p.account_id, p.plan_id) for p in Plan.active.query("1")]


def wecom_accounts() -> list[str]:
    from ..data.accounts import AccountRecord

    return [a.account_id for a in AccountRecord.scan() if a.kind == "wecom" and a.status == "active"]


# ----------------------------------------------------------------------------------------- status

def plan_view(plan) -> dict:
    return {"plan_id": plan.plan_id, "account_id": plan.account_id, "handover_userid": plan.handover_userid,
            "mode": plan.mode, "trigger": plan.trigger, "strategy": plan.strategy, "takeovers": list(plan.takeovers),
            "status": plan.status, "counts": dict(plan.counts.as_dict() if hasattr(plan.counts, "as_dict")
                                                   else plan.counts or {}),
            "created_at": plan.created_at, "updated_at": plan.updated_at, "finished_at": plan.finished_at,
            "rounds": plan.rounds, "error": plan.error}


def item_view(it) -> dict:
    status = {rules.PLANNED: "waiting", rules.SENDING: "waiting", rules.WAITING: "waiting"}.get(it.state, it.state)
    return {"kind": it.kind, "id": it.target_id, "status": status, "state": it.state,
            "takeover_userid": it.takeover_userid, "tried": list(it.tried or []), "errcode": it.errcode,
            "reason": it.reason, "submitted_at": it.submitted_at, "updated_at": it.updated_at,
            "history": [_h(h) for h in it.history or []]}


def get_plan(scope: Scope, account_id: str, plan_id: str) -> dict:
    scope.check(account_id)
    Plan, *_, Notice, _ = _models()
    try:
        plan = Plan.get(account_id, plan_id)
    except Plan.DoesNotExist:
        raise NotFound(f"plan {plan_id} not found") from None
    out = plan_view(plan)
    out["notices"] = [{"takeover_userid": n.takeover_userid, "customers": n.customers, "chats": n.chats,
                       "delivery": n.delivery, "text": n.text}
                      for n in Notice.query(_plan_key(account_id, plan_id))]
    return out


STATUS_STATES = {"waiting": (rules.PLANNED, rules.SENDING, rules.WAITING)}

# Listings for the admin API: each returns one page as a PynamoDB result (items, `.last_evaluated_key`),
# for functions.admin_common.page (the shared cursor, bound to the listing). limit=None reads every page:
# for tools and tests, never on a request path.


def plan_items(scope: Scope, account_id: str, plan_id: str, *, status: str | None = None,
               limit: int | None = 100, start: dict | None = None):
    """Per-customer / per-chat items of a plan (status: waiting, done, refused, ...); view with item_view."""
    scope.check(account_id)
    _, Item, *_ = _models()
    kwargs = {"limit": limit, "last_evaluated_key": start}
    if status:
        kwargs["filter_condition"] = Item.state.is_in(*STATUS_STATES.get(status, (status,)))
    return Item.query(_plan_key(account_id, plan_id), **kwargs)


def customer_items(scope: Scope, account_id: str, external_userid: str, *, limit: int | None = 50,
                   start: dict | None = None):
    """Every reassignment item of one customer, across plans; view with customer_item_view."""
    scope.check(account_id)
    _, Item, *_ = _models()
    return Item.by_target.query(f"{account_id}#{external_userid}", limit=limit, last_evaluated_key=start)


def staff_plans(scope: Scope, account_id: str, userid: str, *, limit: int | None = 50, start: dict | None = None):
    """The plans that moved a staff member's customers, newest first; view with plan_view."""
    scope.check(account_id)
    Plan, *_ = _models()
    return Plan.by_handover.query(f"{account_id}#{userid}", scan_index_forward=False, limit=limit,
                                  last_evaluated_key=start)


def customer_item_view(it) -> dict:
    return {"plan_id": it.plan_id, **item_view(it)}


def list_items(scope: Scope, account_id: str, plan_id: str, *, status: str | None = None) -> dict:
    """All items of a plan (tools and tests; the API pages plan_items)."""
    return {"items": [item_view(it) for it in plan_items(scope, account_id, plan_id, status=status, limit=None)]}


def customer_status(scope: Scope, account_id: str, external_userid: str) -> list[dict]:
    """All items of a customer (tools and tests; the API pages customer_items)."""
    return [customer_item_view(it) for it in customer_items(scope, account_id, external_userid, limit=None)]


def staff_history(scope: Scope, account_id: str, userid: str) -> list[dict]:
    """All plans of a staff member (tools and tests; the API pages staff_plans)."""
    return [plan_view(p) for p in staff_plans(scope, account_id, userid, limit=None)]


# ----------------------------------------------------------------------------------------- wiring

QUEUE = "reassignment"


def enqueue(account_id: str, plan_id: str, delay_seconds: int = 0) -> None:
    """Ask the reassignment worker to advance a plan (now, or after a delay while WeCom is busy)."""
    from .. import queues

    queues.send(QUEUE, {"account_id": account_id, "plan_id": plan_id}, delay_seconds=delay_seconds)


def _register_event_handlers() -> None:
    from .events import on

    @on("wecom.change_contact.delete_user")
    def staff_departed(payload: dict):
        userid = (payload.get("event") or {}).get("UserID")
        if not userid:
            return {"ignored": "no UserID"}
        plan = on_departure(payload["account_id"], userid)
        if plan is None:
            return {"plan": None}
        enqueue(payload["account_id"], plan["plan_id"])
        return {"plan": plan["plan_id"]}

    @on("wecom.change_external_contact.transfer_fail")
    def transfer_failed(payload: dict):
        ev = payload.get("event") or {}
        if not ev.get("UserID") or not ev.get("ExternalUserID"):
            return {"ignored": "no UserID/ExternalUserID"}
        return {"applied": on_transfer_fail(payload["account_id"], ev["UserID"], ev["ExternalUserID"],
                                            ev.get("FailReason") or "customer_refused")}


_register_event_handlers()
