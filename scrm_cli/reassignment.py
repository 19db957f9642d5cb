"""`scrm reassignment`: customers stay with the company when the staff member who served them leaves."""

from __future__ import annotations

import click

from scrm_cli.client import Api, out

PLAN_COLUMNS = ["plan_id", "handover_userid", "mode", "trigger", "status", "counts", "created_at", "finished_at"]
ITEM_COLUMNS = ["kind", "id", "status", "takeover_userid", "errcode", "reason", "submitted_at", "updated_at"]
CUSTOMER_COLUMNS = ["plan_id", *ITEM_COLUMNS]
STRATEGIES = ["round_robin", "least_loaded", "same_department", "tag"]


def _base(account_id: str) -> str:
    return f"/accounts/{account_id}/reassignment"


@click.group()
def reassignment():
    """Reassignment plans: move a departed (or current) staff member's customers and group chats."""


def _plan_body(handover, mode, takeovers, strategy, customers, no_chats) -> dict:
    body = {"handover_userid": handover, "mode": mode, "include_chats": not no_chats}
    if takeovers:
        body["takeovers"] = list(takeovers)
    if strategy:
        body["strategy"] = strategy
    if customers:
        body["customers"] = list(customers)
    return body


def _plan_options(fn):
    fn = click.option("--no-chats", is_flag=True, help="leave the group chats they own")(fn)
    fn = click.option("--customer", "customers", multiple=True, help="only this external_userid (repeat)")(fn)
    fn = click.option("--strategy", type=click.Choice(STRATEGIES), help="default: the account's policy")(fn)
    fn = click.option("--takeover", "takeovers", multiple=True, help="a takeover userid (repeat; default: policy)")(fn)
    fn = click.option("--mode", type=click.Choice(["resigned", "onjob"]), default="resigned", show_default=True)(fn)
    return click.option("--handover", required=True, help="the userid of the staff member who leaves")(fn)


@reassignment.command("preview")
@click.argument("account_id")
@_plan_options
@click.pass_obj
def reassignment_preview(api: Api, account_id, handover, mode, takeovers, strategy, customers, no_chats):
    """What a plan would move and to whom; nothing moves."""
    body = _plan_body(handover, mode, takeovers, strategy, customers, no_chats)
    out(api.request("POST", f"{_base(account_id)}/preview", body))


@reassignment.command("create")
@click.argument("account_id")
@_plan_options
@click.pass_obj
def reassignment_create(api: Api, account_id, handover, mode, takeovers, strategy, customers, no_chats):
    """Create and start a plan (operator)."""
    body = _plan_body(handover, mode, takeovers, strategy, customers, no_chats)
    out(api.request("POST", f"{_base(account_id)}/plans", body, idempotent=True))


@reassignment.command("plans")
@click.argument("account_id")
@click.argument("handover_userid", required=False)
@click.option("--all", "everything", is_flag=True)
@click.pass_obj
def reassignment_plans(api: Api, account_id, handover_userid, everything):
    """Every plan of the account, newest first; with HANDOVER_USERID only the plans that moved that staff
    member's customers."""
    params = {"handover": handover_userid} if handover_userid else {}
    out(list(api.pages(f"{_base(account_id)}/plans", params, everything)), PLAN_COLUMNS)


@reassignment.command("show")
@click.argument("account_id")
@click.argument("plan_id")
@click.pass_obj
def reassignment_show(api: Api, account_id, plan_id):
    """A plan: counts per state and the notices sent to takeover staff."""
    out(api.request("GET", f"{_base(account_id)}/plans/{plan_id}"))


@reassignment.command("items")
@click.argument("account_id")
@click.argument("plan_id")
@click.option("--status", type=click.Choice(["waiting", "done", "refused", "limit_exceeded", "failed", "planned"]))
@click.option("--all", "everything", is_flag=True)
@click.pass_obj
def reassignment_items(api: Api, account_id, plan_id, status, everything):
    """Per customer and per chat: where each one stands."""
    params = {"limit": 100, **({"status": status} if status else {})}
    out(list(api.pages(f"{_base(account_id)}/plans/{plan_id}/items", params, everything)), ITEM_COLUMNS)


@reassignment.command("advance")
@click.argument("account_id")
@click.argument("plan_id")
@click.pass_obj
def reassignment_advance(api: Api, account_id, plan_id):
    """Queue the plan to be advanced now (send what is left, poll results)."""
    out(api.request("POST", f"{_base(account_id)}/plans/{plan_id}/advance"))


@reassignment.command("customer")
@click.argument("account_id")
@click.argument("external_userid")
@click.option("--all", "everything", is_flag=True)
@click.pass_obj
def reassignment_customer(api: Api, account_id, external_userid, everything):
    """One customer's transfers, each call's result."""
    out(list(api.pages(f"{_base(account_id)}/customers/{external_userid}", {}, everything)), CUSTOMER_COLUMNS)
