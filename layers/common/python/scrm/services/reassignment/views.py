"""What the admin API and tools show: a plan, its items, a customer's transfers, a staff member's plans, every plan.

Listings return one page as (records, last key) for functions.admin_common.page (the shared cursor, bound to the
listing). limit=None reads every page: for tools and tests, never on a request path.
"""

from __future__ import annotations

from ... import bootstrap
from ...domain import reassignment as rules
from ...domain.instants import answer_time, answer_times
from ...errors import NotFound
from ...tenancy import Scope

STATUS_STATES = {"waiting": (rules.PLANNED, rules.SENDING, rules.WAITING)}


def plan_view(plan: dict) -> dict:
    return {"plan_id": plan["plan_id"], "account_id": plan["account_id"], "handover_userid": plan["handover_userid"],
            "mode": plan["mode"], "trigger": plan["trigger"], "strategy": plan["strategy"],
            "takeovers": list(plan["takeovers"]), "status": plan["status"], "counts": dict(plan.get("counts") or {}),
            "created_at": answer_time(plan["created_at"]), "updated_at": answer_time(plan["updated_at"]),
            "finished_at": answer_time(plan.get("finished_at")),
            "rounds": plan.get("rounds"), "error": plan.get("error")}


def item_view(it: dict) -> dict:
    status = {rules.PLANNED: "waiting", rules.SENDING: "waiting", rules.WAITING: "waiting"}.get(it["state"],
                                                                                               it["state"])
    return {"kind": it["kind"], "id": it["target_id"], "status": status, "state": it["state"],
            "takeover_userid": it.get("takeover_userid"), "tried": list(it.get("tried") or []),
            "errcode": it.get("errcode"), "reason": it.get("reason"),
            "submitted_at": answer_time(it.get("submitted_at")), "updated_at": answer_time(it.get("updated_at")),
            "history": answer_times([dict(h) for h in it.get("history") or []])}


def customer_item_view(it: dict) -> dict:
    return {"plan_id": it["plan_id"], **item_view(it)}


def get_plan(scope: Scope, account_id: str, plan_id: str) -> dict:
    scope.check(account_id)
    store = bootstrap.reassignment_store()
    plan = store.get_plan(account_id, plan_id)
    if plan is None:
        raise NotFound(f"plan {plan_id} not found")
    out = plan_view(plan)
    out["notices"] = [{k: n[k] for k in ("takeover_userid", "customers", "chats", "delivery", "text")}
                      for n in store.notices_of_plan(account_id, plan_id)]
    out["notice_counts"] = notice_counts(out["notices"])
    return out


def notice_counts(notices: list[dict]) -> dict[str, int]:
    """The plan's notices by how they went: recorded (no notify_agentid), sent, failed (WeCom refused), unsent (no
    Secret for the app notify_agentid)."""
    counts = dict.fromkeys(("recorded", "sent", "failed", "unsent"), 0)
    for n in notices:
        state = str(n.get("delivery") or "recorded").split(":", 1)[0]
        counts[state if state in counts else "failed"] += 1
    return counts


def plan_items(scope: Scope, account_id: str, plan_id: str, *, status: str | None = None,
               limit: int | None = 100, start: dict | None = None):
    """Per-customer / per-chat items of a plan (status: waiting, done, refused, ...); view with item_view."""
    scope.check(account_id)
    states = STATUS_STATES.get(status, (status,)) if status else None
    return bootstrap.reassignment_store().page_plan_items(account_id, plan_id, states=states, limit=limit,
                                                          start=start)


def customer_items(scope: Scope, account_id: str, external_userid: str, *, limit: int | None = 50,
                   start: dict | None = None):
    """Every reassignment item of one customer, across plans; view with customer_item_view."""
    scope.check(account_id)
    return bootstrap.reassignment_store().page_target_items(account_id, external_userid, limit=limit, start=start)


def staff_plans(scope: Scope, account_id: str, userid: str, *, limit: int | None = 50, start: dict | None = None):
    """The plans that moved a staff member's customers, newest first; view with plan_view."""
    scope.check(account_id)
    return bootstrap.reassignment_store().page_plans_of_handover(account_id, userid, limit=limit, start=start)


def account_plans(scope: Scope, account_id: str, *, handover: str | None = None, limit: int | None = 50,
                  start: dict | None = None):
    """Every plan of the account, newest first, or only one handover's (staff member's); view with plan_view."""
    scope.check(account_id)
    return bootstrap.reassignment_store().page_plans(account_id, handover=handover or None, limit=limit,
                                                     start=start)


def list_items(scope: Scope, account_id: str, plan_id: str, *, status: str | None = None) -> dict:
    """All items of a plan (tools and tests; the API pages plan_items)."""
    return {"items": [item_view(it) for it in plan_items(scope, account_id, plan_id, status=status, limit=None)[0]]}


def customer_status(scope: Scope, account_id: str, external_userid: str) -> list[dict]:
    """All items of a customer (tools and tests; the API pages customer_items)."""
    return [customer_item_view(it) for it in customer_items(scope, account_id, external_userid, limit=None)[0]]


def staff_history(scope: Scope, account_id: str, userid: str) -> list[dict]:
    """All plans of a staff member (tools and tests; the API pages staff_plans)."""
    return [plan_view(p) for p in staff_plans(scope, account_id, userid, limit=None)[0]]
