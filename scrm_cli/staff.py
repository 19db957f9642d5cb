"""`scrm staff`: the figures WeCom reports per staff member and day."""

from __future__ import annotations

import click

from scrm_cli.channels import write_bytes
from scrm_cli.client import Api, out

FIGURE_COLUMNS = ["day", "userid", "new_contact_cnt", "chat_cnt", "message_cnt", "reply_percentage", "avg_reply_time",
                  "negative_feedback_cnt", "new_apply_cnt", "new_chat_cnt", "chat_total", "member_total", "msg_total"]


def _base(account_id: str) -> str:
    return f"/accounts/{account_id}"


@click.group()
def staff():
    """Staff figures per day (联系客户统计, 群聊数据统计)."""


@staff.command("figures")
@click.argument("account_id")
@click.option("--from", "start", help="first day, YYYY-MM-DD (default 29 days before --to)")
@click.option("--to", help="last day, YYYY-MM-DD (default today, China time)")
@click.option("--userid", help="only this staff member")
@click.option("--csv", "as_csv", is_flag=True, help="the CSV the API sends (UTF-8 with a BOM, for Excel)")
@click.option("-o", "--out", "path", help="with --csv: the file to write (default stdout)")
@click.option("--all", "everything", is_flag=True, help="follow every page")
@click.pass_obj
def staff_figures(api: Api, account_id, start, to, userid, as_csv, path, everything):
    """Per staff member and day: new contacts, chats, messages, reply rate, average reply time, deleted-by-customer
    and the group chats they own."""
    params = {k: v for k, v in {"from": start, "to": to, "userid": userid}.items() if v}
    if as_csv:
        res = api.download(f"{_base(account_id)}/staff/figures.csv", params, "text/csv")
        write_bytes(res.content, path)
        if res.headers.get("X-Next-Cursor"):
            click.echo("more rows follow: this file holds the first 1,000 (narrow --from/--to)", err=True)
        return
    rows, cursor = [], None
    while True:
        data = api.request("GET", f"{_base(account_id)}/staff/figures", params={**params, "limit": 1000,
                                                                                  **({"cursor": cursor} if cursor
                                                                                     else {})})
        rows += data["items"]
        cursor = data.get("next_cursor")
        if not (everything and cursor):
            break
    out(rows, FIGURE_COLUMNS)
