"""`scrm groups`: WeCom customer groups (客户群) as kept from the group callbacks, their VIP flag, a group code's
pool, and the corp's group welcome templates (入群欢迎语素材)."""

from __future__ import annotations

import click

from scrm_cli.client import Api, json_wanted, out

GROUP_COLUMNS = ["chat_id", "name", "owner", "status", "size", "vip", "updated_at"]
TEMPLATE_COLUMNS = ["template_id", "name", "used_by", "updated_at"]
GROUP_TAG_COLUMNS = ["tag_id", "name", "deleted", "created_at"]
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


@groups.command("vip")
@click.argument("account_id")
@click.argument("chat_id")
@click.option("--off", is_flag=True, help="no longer VIP")
@click.pass_obj
def groups_vip(api: Api, account_id, chat_id, off):
    """Flag a group VIP: a customer leaving it is a loss alert (event vip_group_leave)."""
    out(api.request("PUT", f"/accounts/{account_id}/groups/{chat_id}/vip", {"vip": not off}))


@groups.command("pool")
@click.argument("account_id")
@click.argument("channel_id")
@click.option("--add", "add", multiple=True, help="a chat id to add at the end of the pool (repeatable)")
@click.option("--remove", "remove", multiple=True, help="a chat id to take out of the pool (repeatable)")
@click.option("--cap", type=int, help="members per group before the code moves on")
@click.pass_obj
def groups_pool(api: Api, account_id, channel_id, add, remove, cap):
    """Change a group code's pool; WeCom's join way changes only when the code's groups do."""
    body = {"add": list(add), "remove": list(remove), **({"group_cap": cap} if cap is not None else {})}
    out(api.request("PATCH", f"/accounts/{account_id}/channels/{channel_id}/pool", body))


@groups.group("tags")
def group_tags():
    """Customer group tags (客户群标签): the company's own catalogue (WeCom's server API keeps none for groups);
    a push to customer groups can name them."""


@group_tags.command("list")
@click.argument("account_id")
@click.pass_obj
def group_tags_list(api: Api, account_id):
    out(api.request("GET", f"/accounts/{account_id}/group-tags")["items"], GROUP_TAG_COLUMNS)


@group_tags.command("create")
@click.argument("account_id")
@click.option("--name", required=True, help="unique among the live group tags")
@click.pass_obj
def group_tags_create(api: Api, account_id, name):
    out(api.request("POST", f"/accounts/{account_id}/group-tags", {"name": name}, idempotent=True))


@group_tags.command("delete")
@click.argument("account_id")
@click.argument("tag_id")
@click.pass_obj
def group_tags_delete(api: Api, account_id, tag_id):
    """Groups and pushes that name it show it deleted; an audience by it reaches nobody through it."""
    out(api.request("DELETE", f"/accounts/{account_id}/group-tags/{tag_id}"))


@groups.command("tag")
@click.argument("account_id")
@click.argument("chat_id")
@click.option("--tag", "tag_ids", multiple=True, help="a group tag id (repeatable; none clears the group's tags)")
@click.pass_obj
def groups_tag(api: Api, account_id, chat_id, tag_ids):
    """Set a customer group's tags, all of them."""
    out(api.request("PUT", f"/accounts/{account_id}/groups/{chat_id}/tags", {"tag_ids": list(tag_ids)}))


@groups.group("templates")
def templates():
    """Group welcome templates (入群欢迎语素材) at WeCom."""


@templates.command("list")
@click.argument("account_id")
@click.pass_obj
def templates_list(api: Api, account_id):
    out(api.request("GET", f"/accounts/{account_id}/group-welcome-templates")["items"], TEMPLATE_COLUMNS)


@templates.command("create")
@click.argument("account_id")
@click.option("--name", required=True)
@click.option("--text", help="the text (%NICKNAME% is the customer's nickname)")
@click.option("--link-title")
@click.option("--link-url")
@click.option("--image-url", help="an image URL from media/uploadimg")
@click.pass_obj
def templates_create(api: Api, account_id, name, text, link_title, link_url, image_url):
    body: dict = {"name": name}
    if text:
        body["text"] = {"content": text}
    if link_title or link_url:
        body["link"] = {k: v for k, v in (("title", link_title), ("url", link_url)) if v}
    if image_url:
        body["image"] = {"pic_url": image_url}
    out(api.request("POST", f"/accounts/{account_id}/group-welcome-templates", body, idempotent=True))


@templates.command("show")
@click.argument("account_id")
@click.argument("template_id")
@click.pass_obj
def templates_show(api: Api, account_id, template_id):
    out(api.request("GET", f"/accounts/{account_id}/group-welcome-templates/{template_id}"))


@templates.command("delete")
@click.argument("account_id")
@click.argument("template_id")
@click.pass_obj
def templates_delete(api: Api, account_id, template_id):
    """Refused while a group code uses the template."""
    out(api.request("DELETE", f"/accounts/{account_id}/group-welcome-templates/{template_id}"))
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
