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


# ---------------------------------------------------------------- member lists and members-only group codes
IMPORT_COLUMNS = ["line", "member_id", "field", "message"]


@groups.group("members")
def members():
    """The member list (会员名单) members-only group codes check against; phones kept only as a keyed hash."""


def _import_summary(data: dict) -> None:
    if json_wanted():
        out(data)
        return
    click.echo(f"created {data['created']}, updated {data['updated']}, unchanged {data['unchanged']}, "
               f"rejected {len(data['rejected'])}")
    if data["rejected"]:
        out(data["rejected"], IMPORT_COLUMNS)


@members.command("import")
@click.argument("account_id")
@click.argument("csv_file", type=click.File("rb"))
@click.pass_obj
def members_import(api: Api, account_id, csv_file):
    """Import a CSV file (UTF-8, BOM or not; header member_id, phone[, name][, level]); bad rows are listed with
    their line numbers, the good ones applied. At most 1000 rows a file."""
    raw = csv_file.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise click.ClickException("the file must be UTF-8 (save it from Excel as 'CSV UTF-8')") from None
    _import_summary(api.request("POST", f"/accounts/{account_id}/members/import", {"csv": text}))


@members.command("show")
@click.argument("account_id")
@click.argument("member_id")
@click.pass_obj
def members_show(api: Api, account_id, member_id):
    out(api.request("GET", f"/accounts/{account_id}/members/{member_id}"))


@members.command("figures")
@click.argument("account_id")
@click.argument("channel_id")
@click.option("--csv", "as_csv", is_flag=True, help="as CSV (UTF-8 with BOM)")
@click.pass_obj
def members_figures(api: Api, account_id, channel_id, as_csv):
    """A members-only code's figures: verified, refused, joined, joined_verified."""
    path = f"/accounts/{account_id}/channels/{channel_id}/member-figures"
    if as_csv:
        click.echo(api.download(path + ".csv", accept="text/csv").content.decode("utf-8-sig"), nl=False)
        return
    out(api.request("GET", path))
