"""`scrm groups`: WeCom customer groups (客户群) as kept from the group callbacks."""

from __future__ import annotations

import click

from scrm_cli.client import Api, json_wanted, out

GROUP_COLUMNS = ["chat_id", "name", "owner", "status", "size", "updated_at"]
MEMBER_COLUMNS = ["userid", "type", "in_group", "join_scene", "invitor", "join_time", "quit_time", "state",
                  "channel_id"]
DAY_COLUMNS = ["day", "joins", "quits", "size"]


@click.group()
def groups():
    """Customer groups (客户群): groups, members, size per day."""


@groups.command("list")
@click.argument("account_id")
@click.option("--all", "everything", is_flag=True, help="follow every page")
@click.option("--limit", type=int, default=50)
@click.pass_obj
def groups_list(api: Api, account_id, everything, limit):
    out(list(api.pages(f"/accounts/{account_id}/groups", {"limit": limit}, everything)), GROUP_COLUMNS)


@groups.command("show")
@click.argument("account_id")
@click.argument("chat_id")
@click.option("--members/--no-members", default=True, help="list the members too (first page, or --all)")
@click.option("--sizes", "with_sizes", is_flag=True, help="the size per day (last 30 days)")
@click.option("--all", "everything", is_flag=True, help="every page of members")
@click.option("--limit", type=int, default=50)
@click.pass_obj
def groups_show(api: Api, account_id, chat_id, members, with_sizes, everything, limit):
    base = f"/accounts/{account_id}/groups/{chat_id}"
    group = api.request("GET", base)
    if json_wanted():  # one document
        listed = list(api.pages(f"{base}/members", {"limit": limit}, everything)) if members else None
        days = api.request("GET", f"{base}/sizes").get("days") if with_sizes else None
        out({**group, **({"members": listed} if members else {}), **({"days": days} if with_sizes else {})})
        return
    out(group)
    if members:
        click.echo("")
        out(list(api.pages(f"{base}/members", {"limit": limit}, everything)), MEMBER_COLUMNS)
    if with_sizes:
        click.echo("")
        out(api.request("GET", f"{base}/sizes").get("days") or [], DAY_COLUMNS)
