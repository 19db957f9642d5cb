"""Admin API for staff-departure reassignment: policy, preview, plans, per-customer status, staff history."""

from chalice import Blueprint

from functions.admin_common import admin_route, page
from scrm import errors

bp = Blueprint(__name__)
BASE = "/accounts/{account_id}/reassignment"
PLAN_FIELDS = ("handover_userid", "mode", "customers", "chats", "include_chats", "strategy", "takeovers")


def _plan_args(ctx) -> dict:
    ctx.allow_only(*PLAN_FIELDS)
    args = {"mode": ctx.field("mode", required=False, default="resigned", choices=("resigned", "onjob")),
            "include_chats": ctx.field("include_chats", bool, required=False, default=True),
            "strategy": ctx.field("strategy", required=False,
                                  choices=("round_robin", "least_loaded", "same_department", "tag"))}
    for name in ("customers", "chats", "takeovers"):
        value = ctx.field(name, list, required=False, max_length=20000)
        if value is not None and not all(isinstance(v, str) and v for v in value):
            from scrm.errors import ValidationError

            raise ValidationError(f"{name} must be a list of ids", field=name)
        args[name] = value
    return {"handover": ctx.field("handover_userid", max_length=64, min_length=1), **args}


@admin_route(bp, BASE + "/policy", answer="answers.ReassignmentPolicy")
def get_policy(ctx, account_id):
    """How takeover staff are chosen for this account, and what runs automatically"""
    from scrm.services.reassignment import get_policy

    return get_policy(ctx.scope, account_id)


@admin_route(bp, BASE + "/policy", methods=("PUT",), role="admin", audit="reassignment_policy.update",
             body="edge_bodies.ReassignmentPolicy", answer="answers.ReassignmentPolicy")
def put_policy(ctx, account_id):
    """Replace the policy (admin)"""
    from scrm.services.reassignment import set_policy

    return set_policy(ctx.scope, account_id, ctx.body)


@admin_route(bp, BASE + "/preview", methods=("POST",), role="operator",
             body="edge_bodies.ReassignmentRequest", answer="answers.PreviewPlanAnswer")
def preview_plan(ctx, account_id):
    """What a plan would move and to whom, without moving anything (operator)"""
    from scrm.services.reassignment import preview

    args = _plan_args(ctx)
    return preview(ctx.scope, account_id, args.pop("handover"), **args)


@admin_route(bp, BASE + "/plans", methods=("POST",), role="operator", audit="reassignment_plan.create",
             status=201, idempotent_create=True,
             body="edge_bodies.ReassignmentRequest", answer="answers.ReassignmentPlan", raises=(errors.Conflict,))
def create_plan(ctx, account_id):
    """Create and start a plan: a departed (resigned) or current (onjob) staff member's customers and chats
    (operator)
    """
    from scrm.services.reassignment import create_plan, enqueue

    args = _plan_args(ctx)
    plan = create_plan(ctx.scope, account_id, args.pop("handover"), trigger="admin", **args)
    enqueue(account_id, plan["plan_id"])
    return plan


@admin_route(bp, BASE + "/plans", answer="answers.ReassignmentPlan", paged=True,
             query="queries.ReassignmentPlansQuery")
def list_plans(ctx, account_id):
    """Every reassignment plan of the account, newest first, a page at a time; ?handover= keeps one staff member's

    A cursor belongs to its listing: one of the whole list fails with a handover and the other way round (400
    naming `cursor`).
    """
    from scrm.errors import ValidationError
    from scrm.services.reassignment import account_plans, plan_view

    handover = ctx.query.get("handover")
    if handover is not None and not 1 <= len(handover) <= 64:
        raise ValidationError("handover must be 1-64 characters", field="handover")
    return page(lambda limit, start: account_plans(ctx.scope, account_id, handover=handover, limit=limit,
                                                   start=start), ctx, view=plan_view)


@admin_route(bp, BASE + "/plans/{plan_id}", answer="answers.ReassignmentPlan")
def get_plan(ctx, account_id, plan_id):
    """A plan with counts per state and the notices sent to takeover staff"""
    from scrm.services.reassignment import get_plan

    return get_plan(ctx.scope, account_id, plan_id)


@admin_route(bp, BASE + "/plans/{plan_id}/items",
             answer="answers.ReassignmentItem", paged=True, query="queries.PlanItemsQuery")
def list_plan_items(ctx, account_id, plan_id):
    """Per-customer and per-chat status of a plan (waiting, done, refused, limit_exceeded, failed with reason)"""
    from scrm.services.reassignment import get_plan, item_view, plan_items

    get_plan(ctx.scope, account_id, plan_id)  # 404 for an unknown plan
    status = ctx.query.get("status")
    return page(lambda limit, start: plan_items(ctx.scope, account_id, plan_id, status=status, limit=limit,
                                                start=start), ctx, view=item_view, default_limit=100)


@admin_route(bp, BASE + "/plans/{plan_id}/advance", methods=("POST",), role="operator",
             audit="reassignment_plan.advance", status=202, answer="answers.AdvancePlanAnswer")
def advance_plan(ctx, account_id, plan_id):
    """Queue the plan to be advanced now (send what is left, resume stalled batches) (operator)"""
    from scrm.services.reassignment import enqueue, get_plan

    plan = get_plan(ctx.scope, account_id, plan_id)
    if plan["status"] == "running":
        enqueue(account_id, plan_id)
    return {"plan_id": plan_id, "status": plan["status"], "queued": plan["status"] == "running"}


@admin_route(bp, BASE + "/staff/{userid}/history", answer="answers.ReassignmentPlan", paged=True)
def staff_history(ctx, account_id, userid):
    """The plans that moved this staff member's customers, newest first, a page at a time"""
    from scrm.services.reassignment import plan_view, staff_plans

    return page(lambda limit, start: staff_plans(ctx.scope, account_id, userid, limit=limit, start=start), ctx,
                view=plan_view)


@admin_route(bp, BASE + "/customers/{external_userid}", answer="answers.ReassignmentItem", paged=True)
def customer_transfers(ctx, account_id, external_userid):
    """The reassignment items of one customer, with each call's result, a page at a time"""
    from scrm.services.reassignment import customer_item_view, customer_items

    return page(lambda limit, start: customer_items(ctx.scope, account_id, external_userid, limit=limit,
                                                    start=start), ctx, view=customer_item_view)
