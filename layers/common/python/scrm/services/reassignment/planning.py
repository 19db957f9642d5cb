"""Planning: what a plan would do (preview), and storing it with its items and batches (create_plan)."""

from __future__ import annotations

import uuid
from collections import defaultdict

from ... import bootstrap
from ...domain import reassignment as rules
from ...errors import Conflict, NotFound, ValidationError
from ...stores.reassignment import item_key
from ...tenancy import Scope
from .. import reassignment as package
from . import ledger, wecom
from .policy import load_policy, policy_dict, policy_from
from .views import plan_view


def _new_plan_id() -> str:
    return f"p{int(package._now() * 1000):013x}{uuid.uuid4().hex[:6]}"


def _check_request(mode: str, handover) -> None:
    if mode not in rules.MODES:
        raise ValidationError(f"mode must be one of {', '.join(rules.MODES)}", "mode")
    if not handover or not isinstance(handover, str):
        raise ValidationError("handover_userid is required", "handover_userid")


def _effective_policy(account_id: str, strategy: str | None, takeovers: list[str] | None) -> rules.Policy:
    """The account's policy, with the request's strategy and takeovers in place of its own if given."""
    policy = load_policy(account_id)
    if not (strategy or takeovers):
        return policy
    base = policy_dict(policy)
    if strategy:
        base["strategy"] = strategy
    if takeovers:
        base["pool"] = takeovers
    return policy_from(base)


def _owned_by_departed(gw, handover: str, include_chats: bool, policy: rules.Policy):
    """(customers, chats, departments) a departed member left (get_unassigned_list)."""
    owned = wecom.unassigned(gw, handover).get(handover, [])
    if not owned and wecom.user(gw, handover) is not None:
        raise ValidationError(f"staff {handover} has not left (40097): use mode 'onjob' to move the "
                              "customers of a current staff member", "handover_userid", {"errcode": 40097})
    chats = wecom.chats_of(gw, handover) if include_chats else []
    if not owned and not chats:
        raise NotFound(f"staff {handover} does not exist or has left with no customers or group chats to hand over")
    return owned, chats, (policy.departments or {}).get(handover)


def _owned_by_current(gw, handover: str, include_chats: bool):
    """(customers, chats, departments) of a current member (在职继承)."""
    info = wecom.user(gw, handover)
    if info is None:
        raise NotFound(f"staff {handover} does not exist or has left: use mode 'resigned' for departed staff")
    owned = gw.customer_ids(handover)
    chats = wecom.chats_of(gw, handover) if include_chats else []
    return owned, chats, info.get("department")


def _chosen(owned: list[str], chosen: list[str] | None, handover: str, field: str) -> list[str]:
    """The customers (or chats) the request names, each one the handover's; all of them if it names none."""
    if chosen is None:
        return owned
    missing = sorted(set(chosen) - set(owned))
    if missing:
        what = f"{len(missing)} customers are not customers of {handover}: {', '.join(missing[:5])}" \
            if field == "customers" else f"{len(missing)} group chats are not owned by {handover}"
        raise ValidationError(what, field, {"not_owned": missing[:100]})
    return list(dict.fromkeys(chosen))


def _takeover_pool(gw, policy: rules.Policy, handover: str, handover_depts) -> list[str]:
    staff = gw.customer_contact_staff()
    departments = {}
    if policy.strategy == "same_department":
        for s in policy.pool or staff:
            if s != handover and s not in (policy.departments or {}):
                u = wecom.user(gw, s)
                if u:
                    departments[s] = u.get("department") or []
    try:
        return rules.candidates(policy, staff, handover, departments=departments,
                                handover_departments=handover_depts)
    except rules.PlanError as exc:
        raise ValidationError(str(exc), "strategy") from None


def _per_takeover(assignment: dict, chat_assignment: dict) -> dict:
    out = defaultdict(lambda: {"customers": 0, "chats": 0})
    for t in assignment.values():
        out[t]["customers"] += 1
    for t in chat_assignment.values():
        out[t]["chats"] += 1
    return dict(out)


def _compute(account_id: str, handover: str, mode: str, *, customers: list[str] | None, chats: list[str] | None,
             include_chats: bool, strategy: str | None, takeovers: list[str] | None, gw) -> dict:
    """What a plan would do; no writes. Raises ValidationError/NotFound for bad input."""
    _check_request(mode, handover)
    policy = _effective_policy(account_id, strategy, takeovers)
    if mode == "resigned":
        owned, owned_chats, handover_depts = _owned_by_departed(gw, handover, include_chats, policy)
    else:
        owned, owned_chats, handover_depts = _owned_by_current(gw, handover, include_chats)
    owned = _chosen(owned, customers, handover, "customers")
    owned_chats = _chosen(owned_chats, chats, handover, "chats")
    pool = _takeover_pool(gw, policy, handover, handover_depts)
    loads = {s: len(gw.customer_ids(s)) for s in pool} if policy.strategy == "least_loaded" else {}
    blocked = ledger.blocked(account_id, owned, package._now()) if mode == "onjob" else set()
    assignment = rules.assign(policy, [c for c in owned if c not in blocked], pool, loads)
    chat_assignment = rules.assign_round_robin(owned_chats, pool)
    return {"policy": policy, "pool": pool, "assignment": assignment, "chat_assignment": chat_assignment,
            "blocked": sorted(blocked), "loads": loads, "per_takeover": _per_takeover(assignment, chat_assignment)}


def preview(scope: Scope, account_id: str, handover: str, *, mode: str = "resigned", customers=None, chats=None,
            include_chats: bool = True, strategy: str | None = None, takeovers=None, gw=None) -> dict:
    scope.check(account_id)
    c = _compute(account_id, handover, mode, customers=customers, chats=chats, include_chats=include_chats,
                 strategy=strategy, takeovers=takeovers, gw=wecom.gateway(account_id, gw))
    cb = rules.batches(c["assignment"])
    gb = rules.batches(c["chat_assignment"])
    return {"handover_userid": handover, "mode": mode, "strategy": c["policy"].strategy, "takeovers": c["pool"],
            "customers": len(c["assignment"]), "chats": len(c["chat_assignment"]),
            "blocked_by_90_day_rule": c["blocked"], "per_takeover": c["per_takeover"],
            "current_loads": c["loads"], "customer_batches": len(cb), "chat_batches": len(gb),
            "assignment_sample": dict(list(c["assignment"].items())[:50])}


def running_plan(account_id: str, handover: str, mode: str | None = None) -> dict | None:
    """The handover's running plan (of `mode`, if given), or None."""
    for p in bootstrap.reassignment_store().plans_of_handover(account_id, handover):
        if p["status"] == "running" and mode in (None, p["mode"]):
            return p
    return None


def new_item(account_id: str, plan_id: str, handover: str, kind: str, target: str, takeover: str | None,
             batch_id: str | None, now: float) -> dict:
    return {"account_id": account_id, "plan_id": plan_id, "item_key": item_key(kind, target), "kind": kind,
            "target_id": target, "handover_userid": handover, "takeover_userid": takeover,
            "tried": [takeover] if takeover else [], "state": rules.PLANNED, "batch_id": batch_id, "errcode": 0,
            "reason": None, "submitted_at": None, "takeover_time": None, "updated_at": int(now), "history": []}


def new_batch(account_id: str, plan_id: str, batch_id: str, kind: str, takeover: str, targets: list[str],
              round_no: int, now: float) -> dict:
    return {"account_id": account_id, "plan_id": plan_id, "batch_id": batch_id, "kind": kind,
            "takeover_userid": takeover, "targets": list(targets), "state": rules.B_PENDING, "round": round_no,
            "created_at": int(now)}


def batch_id(n: int) -> str:
    return f"b{n:06d}"


def _plan_records(account_id: str, plan_id: str, handover: str, c: dict, now: float):
    """(items, batches) of a new plan: one batch per <= 100 targets of one takeover; blocked customers failed."""
    groups = [("customer", t, ids) for t, ids in rules.batches(c["assignment"])]
    groups += [("chat", t, ids) for t, ids in rules.batches(c["chat_assignment"])]
    items, batches = [], []
    for n, (kind, takeover, ids) in enumerate(groups, start=1):
        items += [new_item(account_id, plan_id, handover, kind, t, takeover, batch_id(n), now) for t in ids]
        batches.append(new_batch(account_id, plan_id, batch_id(n), kind, takeover, ids, 1, now))
    for target in c["blocked"]:
        it = new_item(account_id, plan_id, handover, "customer", target, None, None, now)
        it.update(state=rules.FAILED, reason="blocked by our 2-per-90-days ledger", errcode=40128)
        items.append(it)
    return items, batches


def create_plan(scope: Scope, account_id: str, handover: str, *, mode: str = "resigned", trigger: str = "admin",
                customers=None, chats=None, include_chats: bool = True, strategy: str | None = None,
                takeovers=None, gw=None) -> dict:
    """Persist the plan, its items and its batches (before any transfer call). Returns the plan."""
    scope.check(account_id)
    running = running_plan(account_id, handover, mode)
    if running is not None:
        raise Conflict(f"plan {running['plan_id']} for {handover} is still running")
    gw = wecom.gateway(account_id, gw)
    c = _compute(account_id, handover, mode, customers=customers, chats=chats, include_chats=include_chats,
                 strategy=strategy, takeovers=takeovers, gw=gw)
    now = package._now()
    plan_id = _new_plan_id()
    items, batches = _plan_records(account_id, plan_id, handover, c, now)
    plan = {"account_id": account_id, "plan_id": plan_id, "handover_userid": handover, "mode": mode,
            "trigger": trigger, "strategy": c["policy"].strategy, "takeovers": c["pool"], "status": "running",
            "created_at": int(now), "updated_at": int(now), "finished_at": None, "next_batch": len(batches),
            "rounds": 1, "counts": rules.summarize(it["state"] for it in items), "policy": policy_dict(c["policy"]),
            "error": None, "requested_by": scope.key_id, "lease_owner": None, "lease_until": None}
    bootstrap.reassignment_store().create_plan(plan, items, batches)
    return plan_view(plan)
