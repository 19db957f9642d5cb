"""What starts or changes a plan besides an admin: the departure callback, transfer_fail callbacks, the sweep of
departures we missed, and the queue that asks the worker to advance a plan."""

from __future__ import annotations

from ... import bootstrap, queues
from ...domain import reassignment as rules
from ...errors import Conflict, NotFound, ValidationError
from ...tenancy import Scope
from .. import reassignment as package
from .. import seams
from ..events import on
from . import ledger, wecom
from .planning import create_plan, running_plan
from .policy import load_policy
from .run import record
from .views import plan_view

QUEUE = "reassignment"


def on_departure(account_id: str, handover: str, *, gw=None) -> dict | None:
    """change_contact delete_user: plan the departed member's customers and chats, if the policy says so."""
    if not load_policy(account_id).auto_on_departure:
        return None
    running = running_plan(account_id, handover, "resigned")
    if running is not None:
        return plan_view(running)  # a redelivered callback, or the sweep got there first
    try:
        return create_plan(Scope.system(account_id), account_id, handover, mode="resigned", trigger="callback",
                           gw=gw)
    except NotFound:
        return None  # nothing to hand over (or the member was never a customer-contact user)


def on_transfer_fail(account_id: str, takeover: str, external_userid: str, fail_reason: str) -> int:
    """transfer_fail callback: the waiting item for this customer and takeover is refused / over limit.

    Changes only an item still `waiting` for this takeover (a conditional write), so a callback racing with a poll
    or arriving twice applies once."""
    store = bootstrap.reassignment_store()
    state = rules.FAIL_REASONS.get(fail_reason, rules.REFUSED)
    applied = 0
    for it in store.items_of_target(account_id, external_userid):
        if it["kind"] != "customer" or it.get("takeover_userid") != takeover or it["state"] != rules.WAITING:
            continue
        record(it, rules.Outcome(state, 0, f"transfer_fail callback: {fail_reason}"), takeover, package._now(),
               "callback")
        if not store.save_item_if(account_id, it, {"state": rules.WAITING, "takeover_userid": takeover}):
            continue
        applied += 1
        plan = store.get_plan(account_id, it["plan_id"])
        if plan is not None:
            ledger.void(plan, it)
    return applied


def _covered(account_id: str, plans: list[dict]) -> set[str]:
    store = bootstrap.reassignment_store()
    return {i["target_id"] for p in plans for i in store.items_of_plan(account_id, p["plan_id"])}


def sweep(account_id: str, *, gw=None) -> list[dict]:
    """get_unassigned_list: departures we missed get a plan for the customers no plan has covered."""
    if not load_policy(account_id).auto_sweep:
        return []
    store = bootstrap.reassignment_store()
    gw = wecom.gateway(account_id, gw)
    made = []
    for handover, customers in wecom.unassigned(gw).items():
        plans = store.plans_of_handover(account_id, handover)
        if any(p["status"] == "running" for p in plans):
            continue
        covered = _covered(account_id, plans)
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
    return bootstrap.reassignment_store().active_plans()


def wecom_accounts() -> list[str]:
    return seams.active_accounts("wecom")


def enqueue(account_id: str, plan_id: str, delay_seconds: int = 0) -> None:
    """Ask the reassignment worker to advance a plan (now, or after a delay while WeCom is busy)."""
    queues.send(QUEUE, {"account_id": account_id, "plan_id": plan_id}, delay_seconds=delay_seconds)


def _register_event_handlers() -> None:
    """The callbacks this capability handles (registered when the package is imported: events.HANDLER_MODULES;
    a function called at import, so infra/access.py sees what the handlers reach)."""

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
