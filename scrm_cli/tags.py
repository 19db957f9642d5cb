"""`scrm tags`: a WeCom corp's customer tags (企业客户标签): list, create, rename / reorder, delete, sync.
`scrm oa-tags`: an Official Account's user tags (用户标签), the same."""

from __future__ import annotations

import click

from scrm_cli.client import Api, out

TAG_COLUMNS = ["tag_id", "name", "order", "group_name", "group_id", "created_at"]


def _base(account_id: str) -> str:
    return f"/accounts/{account_id}"


@click.group()
def tags():
    """Corp tags of a WeCom account: the catalogue, kept in step with WeCom."""


@tags.command("list")
@click.argument("account_id")
@click.pass_obj
def tags_list(api: Api, account_id):
    """Every tag with its group, in WeCom's display order."""
    out(list(api.pages(f"{_base(account_id)}/tags", {}, True)), TAG_COLUMNS)


@tags.command("create")
@click.argument("account_id")
@click.option("--group", "group_name", help="a new group's name (or the group of that name)")
@click.option("--group-id", help="add to this existing group instead")
@click.option("--tag", "names", multiple=True, required=True, help="a tag's name (repeat)")
@click.option("--order", type=int, help="the new group's order (a larger order shows first)")
@click.pass_obj
def tags_create(api: Api, account_id, group_name, group_id, names, order):
    """Create tags (operator) in a new group (--group) or an existing one (--group-id)."""
    body = {"tags": [{"name": n} for n in names]}
    if group_id:
        body["group_id"] = group_id
    if group_name:
        body["group_name"] = group_name
    if order is not None:
        body["order"] = order
    group = api.request("POST", f"{_base(account_id)}/tags", body, idempotent=True)
    out([{**t, "group_name": group["name"], "group_id": group["group_id"]} for t in group["tags"]]
        if isinstance(group, dict) and "tags" in group else group, TAG_COLUMNS)


@tags.command("rename")
@click.argument("account_id")
@click.argument("tag_id")
@click.option("--name", help="the new name")
@click.option("--order", type=int, help="the new order")
@click.option("--group", "is_group", is_flag=True, help="TAG_ID is a tag group's id")
@click.pass_obj
def tags_rename(api: Api, account_id, tag_id, name, order, is_group):
    """Rename and/or reorder a tag or a tag group (operator)."""
    if name is None and order is None:
        raise click.UsageError("give --name or --order")
    body = {k: v for k, v in (("name", name), ("order", order)) if v is not None}
    path = f"{_base(account_id)}/{'tag-groups' if is_group else 'tags'}/{tag_id}"
    answer = api.request("PATCH", path, body)
    out(answer if is_group else [answer], None if is_group else TAG_COLUMNS)


@tags.command("delete")
@click.argument("account_id")
@click.argument("tag_id")
@click.option("--group", "is_group", is_flag=True, help="TAG_ID is a tag group's id (its tags go too)")
@click.option("--force", is_flag=True, help="delete even while channels, pushes or segments refer to it")
@click.pass_obj
def tags_delete(api: Api, account_id, tag_id, is_group, force):
    """Delete a tag or a group (operator); refused while referred to unless --force."""
    path = f"{_base(account_id)}/{'tag-groups' if is_group else 'tags'}/{tag_id}"
    out(api.request("DELETE", path + ("?force=true" if force else "")))


@tags.command("sync")
@click.argument("account_id")
@click.pass_obj
def tags_sync(api: Api, account_id):
    """Read the whole catalogue from WeCom again (operator)."""
    out(api.request("POST", f"{_base(account_id)}/tags/sync"))


OA_TAG_COLUMNS = ["tag_id", "name", "system"]


@click.group("oa-tags")
def oa_tags():
    """User tags (用户标签) of an Official Account: kept as WeChat answers them."""


@oa_tags.command("list")
@click.argument("account_id")
@click.pass_obj
def oa_tags_list(api: Api, account_id):
    """Every user tag by id (WeChat's reserved ones marked system)."""
    out(list(api.pages(f"{_base(account_id)}/oa-tags", {}, True)), OA_TAG_COLUMNS)


@oa_tags.command("create")
@click.argument("account_id")
@click.argument("name")
@click.pass_obj
def oa_tags_create(api: Api, account_id, name):
    """Create a user tag (operator; at most 100 an account, 30 bytes a name)."""
    out([api.request("POST", f"{_base(account_id)}/oa-tags", {"name": name}, idempotent=True)], OA_TAG_COLUMNS)


@oa_tags.command("rename")
@click.argument("account_id")
@click.argument("tag_id")
@click.argument("name")
@click.pass_obj
def oa_tags_rename(api: Api, account_id, tag_id, name):
    """Rename a user tag (operator)."""
    out([api.request("PATCH", f"{_base(account_id)}/oa-tags/{tag_id}", {"name": name})], OA_TAG_COLUMNS)


@oa_tags.command("delete")
@click.argument("account_id")
@click.argument("tag_id")
@click.option("--force", is_flag=True, help="delete even while channels, pushes, segments or journeys refer to it")
@click.pass_obj
def oa_tags_delete(api: Api, account_id, tag_id, force):
    """Delete a user tag (operator); refused while referred to unless --force."""
    out(api.request("DELETE", f"{_base(account_id)}/oa-tags/{tag_id}" + ("?force=true" if force else "")))


@oa_tags.command("sync")
@click.argument("account_id")
@click.pass_obj
def oa_tags_sync(api: Api, account_id):
    """Read the user tags from WeChat again (operator)."""
    out(api.request("POST", f"{_base(account_id)}/oa-tags/sync"))
