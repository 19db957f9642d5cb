"""`scrm moments`: customer moments (客户朋友圈): schedule one, preview its visible range against the 4-a-month rule,
cancel it, follow its status and figures."""

from __future__ import annotations

import click

from scrm_cli.client import Api, json_wanted, out
from scrm_cli.engagement import json_argument

MOMENT_COLUMNS = ["moment_id", "name", "status", "send_at", "senders", "tag_ids", "reserved", "over_quota",
                  "wecom_moment_id", "created_at"]
FIGURE_COLUMNS = ["userid", "published", "comments", "likes"]


def _base(account_id: str) -> str:
    return f"/accounts/{account_id}/moments"


@click.group()
def moments():
    """Customer moments: schedule, preview (4 a month per customer), cancel, status and figures."""


@moments.command("list")
@click.argument("account_id")
@click.option("--all", "everything", is_flag=True)
@click.option("--limit", type=int, default=50)
@click.pass_obj
def moments_list(api: Api, account_id, everything, limit):
    out(list(api.pages(_base(account_id), {"limit": limit}, everything)), MOMENT_COLUMNS)


@moments.command("create")
@click.argument("account_id")
@click.option("--name", default="")
@click.option("--text", help="the moment's text (at most 2000 characters)")
@click.option("--attachments", "attachments_json",
              help='attachments as JSON (or @file): up to 9 images, or 1 video, or 1 link, e.g. '
                   '[{"msgtype": "link", "link": {"title": "新品", "url": "https://..."}}]')
@click.option("--sender", "senders", multiple=True, required=True, help="a staff userid who publishes it")
@click.option("--tag", "tag_ids", multiple=True, help="a corp customer tag id: customers with any of them see it")
@click.option("--send-at", required=True, help="ISO 8601, e.g. 2027-01-01T09:00:00+08:00")
@click.option("--timezone", help="IANA zone for a --send-at without offset (default Asia/Shanghai)")
@click.pass_obj
def moments_create(api: Api, account_id, name, text, attachments_json, senders, tag_ids, send_at, timezone):
    """Schedule a moment: the content_push schedule creates the WeCom task at --send-at."""
    body = {"name": name, "senders": list(senders), "tag_ids": list(tag_ids), "send_at": send_at}
    if text:
        body["text"] = text
    attachments = json_argument(attachments_json, "--attachments")
    if attachments:
        body["attachments"] = attachments
    if timezone:
        body["timezone"] = timezone
    out(api.request("POST", _base(account_id), body, idempotent=True))


@moments.command("preview")
@click.argument("account_id")
@click.argument("moment_id")
@click.pass_obj
def moments_preview(api: Api, account_id, moment_id):
    """Customers in the visible range now, and how many are already at the monthly limit."""
    out(api.request("POST", f"{_base(account_id)}/{moment_id}/preview"))


@moments.command("cancel")
@click.argument("account_id")
@click.argument("moment_id")
@click.pass_obj
def moments_cancel(api: Api, account_id, moment_id):
    out(api.request("POST", f"{_base(account_id)}/{moment_id}/cancel"))


@moments.command("status")
@click.argument("account_id")
@click.argument("moment_id")
@click.pass_obj
def moments_status(api: Api, account_id, moment_id):
    out(api.request("GET", f"{_base(account_id)}/{moment_id}"))


@moments.command("figures")
@click.argument("account_id")
@click.argument("moment_id")
@click.pass_obj
def moments_figures(api: Api, account_id, moment_id):
    """Per sender: published or not, comments, likes (totals with --json)."""
    figures = api.request("GET", f"{_base(account_id)}/{moment_id}/figures")
    if json_wanted():
        out(figures)
    else:
        out(figures.get("staff") or [], FIGURE_COLUMNS)
        click.echo(f"published {figures['published']} of {figures['senders']}, comments {figures['comments']}, "
                   f"likes {figures['likes']}")
