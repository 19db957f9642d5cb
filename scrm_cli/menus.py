"""`scrm menus`: an Official Account's custom menus (drafts, publish, versions, rollback, delete, conditional
menus) and what each entry was used for (`scrm menus stats`)."""

from __future__ import annotations

import click

from scrm_cli.client import Api, out
from scrm_cli.engagement import json_argument

DRAFT_COLUMNS = ["draft_id", "name", "version", "updated_at"]
VERSION_COLUMNS = ["version", "published_at", "draft_id", "rollback_of", "digest"]
CONDITIONAL_COLUMNS = ["menuid", "name", "matchrule", "created_at"]
STATS_COLUMNS = ["day", "name", "entry", "clicks", "unique_users"]


def _menu(account_id: str) -> str:
    return f"/accounts/{account_id}/menu"


def _body(path: str) -> dict:
    return json_argument(path if path.startswith("@") else "@" + path, "--file") if path != "-" else \
        json_argument(click.get_text_stream("stdin").read(), "--file")


@click.group()
def menus():
    """Custom menus (自定义菜单) of an Official Account, and their use."""


@menus.command("drafts")
@click.argument("account_id")
@click.pass_obj
def menus_drafts(api: Api, account_id):
    """The account's menu drafts."""
    out(list(api.pages(f"/accounts/{account_id}/menu-drafts", {}, True)), DRAFT_COLUMNS)


@menus.command("create")
@click.argument("account_id")
@click.option("--file", "path", required=True, help='the draft as JSON {"name", "button": [...]} (a path, or -)')
@click.pass_obj
def menus_create(api: Api, account_id, path):
    """Create a draft, checked against WeChat's limits (operator)."""
    out(api.request("POST", f"/accounts/{account_id}/menu-drafts", _body(path), idempotent=True))


@menus.command("show")
@click.argument("account_id")
@click.argument("draft_id")
@click.pass_obj
def menus_show(api: Api, account_id, draft_id):
    out(api.request("GET", f"/accounts/{account_id}/menu-drafts/{draft_id}"))


@menus.command("update")
@click.argument("account_id")
@click.argument("draft_id")
@click.option("--file", "path", required=True, help="the draft as JSON (a path, or -)")
@click.pass_obj
def menus_update(api: Api, account_id, draft_id, path):
    out(api.request("PUT", f"/accounts/{account_id}/menu-drafts/{draft_id}", _body(path)))


@menus.command("delete-draft")
@click.argument("account_id")
@click.argument("draft_id")
@click.pass_obj
def menus_delete_draft(api: Api, account_id, draft_id):
    out(api.request("DELETE", f"/accounts/{account_id}/menu-drafts/{draft_id}"))


@menus.command("publish")
@click.argument("account_id")
@click.argument("draft_id")
@click.pass_obj
def menus_publish(api: Api, account_id, draft_id):
    """Publish a draft (menu/create); the menu already published is not sent again."""
    out(api.request("POST", f"{_menu(account_id)}/publish", {"draft_id": draft_id}))


@menus.command("current")
@click.argument("account_id")
@click.pass_obj
def menus_current(api: Api, account_id):
    """Our published version and WeChat's current menu, and whether they agree."""
    answer = api.request("GET", f"{_menu(account_id)}/current")
    published = answer.get("published") or {}
    from scrm_cli.client import json_wanted

    if json_wanted():
        out(answer)
        return
    out({"version": published.get("version"), "published_at": published.get("published_at"),
         "matches_published": answer["matches_published"], "is_menu_open": answer["wechat"].get("is_menu_open")})


@menus.command("versions")
@click.argument("account_id")
@click.option("--all", "everything", is_flag=True, help="follow every page")
@click.pass_obj
def menus_versions(api: Api, account_id, everything):
    out(list(api.pages(f"{_menu(account_id)}/versions", {}, everything)), VERSION_COLUMNS)


@menus.command("rollback")
@click.argument("account_id")
@click.argument("version", type=int)
@click.pass_obj
def menus_rollback(api: Api, account_id, version):
    """Republish an earlier version exactly (operator)."""
    out(api.request("POST", f"{_menu(account_id)}/versions/{version}/rollback"))


@menus.command("delete")
@click.argument("account_id")
@click.option("--yes", is_flag=True, required=True, help="the menu and every conditional menu go at WeChat")
@click.pass_obj
def menus_delete(api: Api, account_id, yes):
    out(api.request("DELETE", _menu(account_id)))


@menus.command("conditionals")
@click.argument("account_id")
@click.pass_obj
def menus_conditionals(api: Api, account_id):
    out(list(api.pages(f"{_menu(account_id)}/conditionals", {}, True)), CONDITIONAL_COLUMNS)


@menus.command("add-conditional")
@click.argument("account_id")
@click.option("--file", "path", required=True, help='{"button": [...], "matchrule": {"tag_id"|"client_platform_type"}}')
@click.pass_obj
def menus_add_conditional(api: Api, account_id, path):
    """Add a conditional menu by user tag or client platform (operator)."""
    out(api.request("POST", f"{_menu(account_id)}/conditionals", _body(path), idempotent=True))


@menus.command("delete-conditional")
@click.argument("account_id")
@click.argument("menuid")
@click.pass_obj
def menus_delete_conditional(api: Api, account_id, menuid):
    out(api.request("DELETE", f"{_menu(account_id)}/conditionals/{menuid}"))


@menus.command("trymatch")
@click.argument("account_id")
@click.argument("user_id")
@click.pass_obj
def menus_trymatch(api: Api, account_id, user_id):
    """The menu this follower (openid) sees."""
    out(api.request("POST", f"{_menu(account_id)}/trymatch", {"user_id": user_id}))


@menus.command("stats")
@click.argument("account_id")
@click.option("--from", "start", help="first China day YYYY-MM-DD (default 29 days before --to)")
@click.option("--to", "end", help="last China day (default today)")
@click.pass_obj
def menus_stats(api: Api, account_id, start, end):
    """Clicks and unique users per entry and day, and the entries nobody used."""
    params = {k: v for k, v in (("from", start), ("to", end)) if v}
    answer = api.request("GET", f"/accounts/{account_id}/menu-stats", params=params)
    from scrm_cli.client import json_wanted

    if json_wanted():
        out(answer)
        return
    rows = [{"day": d["day"], "name": e.get("name") or "(not in the menu)", "entry": e.get("key") or e.get("url"),
             "clicks": d["clicks"], "unique_users": d["unique_users"]} for e in answer["entries"] for d in e["days"]]
    rows += [{"day": "-", "name": u["name"], "entry": u.get("key") or u.get("url"), "clicks": 0, "unique_users": 0}
             for u in answer["unused"]]
    out(rows, STATS_COLUMNS)
