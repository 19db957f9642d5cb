"""`scrm followers`: an Official Account's follower profiles: start a sync from WeChat, its progress, the
breakdowns (language, subscribe scene, tag, subscribe month; JSON, a table or the CSV) and one follower."""

from __future__ import annotations

import click

from scrm_cli.channels import write_bytes
from scrm_cli.client import Api, json_wanted, out

SYNC_COLUMNS = ["run", "phase", "step", "listed", "written", "unfollowed", "wechat_total", "started_at",
                "finished_at"]
ROW_COLUMNS = ["dimension", "value", "name", "count"]
PROFILE_COLUMNS = ["openid", "subscribe", "language", "subscribe_scene", "subscribed_at", "tagid_list", "remark",
                   "unionid", "seen_at"]


def _base(account_id: str) -> str:
    return f"/accounts/{account_id}/followers"


@click.group()
def followers():
    """Follower profiles of an Official Account, synced from WeChat."""


@followers.command("sync")
@click.argument("account_id")
@click.option("--status", "status_only", is_flag=True, help="only show the latest sync's progress")
@click.pass_obj
def followers_sync(api: Api, account_id, status_only):
    """Start a follower sync (operator; the worker does it page by page), or show its progress."""
    if status_only:
        out(api.request("GET", f"{_base(account_id)}/sync"), SYNC_COLUMNS)
    else:
        out(api.request("POST", f"{_base(account_id)}/sync"), SYNC_COLUMNS)


def rows_of(b: dict) -> list[dict]:
    rows = [{"dimension": "total", "value": "", "name": "", "count": b["total"]}]
    rows += [{"dimension": "language", "value": r["language"], "name": "", "count": r["count"]}
             for r in b["by_language"]]
    rows += [{"dimension": "subscribe_scene", "value": r["subscribe_scene"], "name": "", "count": r["count"]}
             for r in b["by_subscribe_scene"]]
    rows += [{"dimension": "tag", "value": r["tag_id"], "name": r["name"] or "", "count": r["count"]}
             for r in b["by_tag"]]
    rows += [{"dimension": "subscribe_month", "value": r["month"], "name": "", "count": r["count"]}
             for r in b["by_subscribe_month"]]
    return rows


@followers.command("breakdown")
@click.argument("account_id")
@click.option("--csv", "as_csv", is_flag=True, help="the CSV the API sends (UTF-8 with a BOM, for Excel)")
@click.option("-o", "--out", "path", help="with --csv: the file to write (default stdout)")
@click.pass_obj
def followers_breakdown(api: Api, account_id, as_csv, path):
    """Current followers by language, subscribe scene, tag and subscribe month (gender and region: WeChat no
    longer gives them)."""
    if as_csv:
        write_bytes(api.download(f"{_base(account_id)}/breakdown.csv", None, "text/csv").content, path)
        return
    b = api.request("GET", f"{_base(account_id)}/breakdown")
    if json_wanted():
        out(b)
        return
    out(rows_of(b), ROW_COLUMNS)
    click.echo(b["notes"]["zh"], err=True)


@followers.command("show")
@click.argument("account_id")
@click.argument("openid")
@click.pass_obj
def followers_show(api: Api, account_id, openid):
    """One follower's profile as last synced."""
    from urllib.parse import quote

    out(api.request("GET", f"{_base(account_id)}/{quote(openid, safe='')}"), PROFILE_COLUMNS)
