"""`scrm insight`: the statistics WeChat reports for an Official Account per day (datacube)."""

from __future__ import annotations

import click

from scrm_cli.channels import write_bytes
from scrm_cli.client import Api, out

COLUMNS = ["day", "new_user", "cancel_user", "net_user", "cumulate_user", "read_user", "share_user", "msg_count",
           "callback_count", "fail_count"]


@click.group()
def insight():
    """OA statistics per day: followers gained and lost, total, article readers and sharers, messages."""


@insight.command("figures")
@click.argument("account_id")
@click.option("--from", "start", help="first day, YYYY-MM-DD (default 29 days before --to)")
@click.option("--to", help="last day, YYYY-MM-DD (default today, China time; WeChat's newest is yesterday)")
@click.option("--csv", "as_csv", is_flag=True, help="the CSV the API sends (UTF-8 with a BOM, for Excel)")
@click.option("-o", "--out", "path", help="with --csv: the file to write (default stdout)")
@click.pass_obj
def insight_figures(api: Api, account_id, start, to, as_csv, path):
    """One row a day; empty where the day is not pulled yet or WeChat refused the API (listed after the table)."""
    params = {k: v for k, v in {"from": start, "to": to}.items() if v}
    if as_csv:
        res = api.download(f"/accounts/{account_id}/insight/figures.csv", params, "text/csv")
        write_bytes(res.content, path)
        return
    data = api.request("GET", f"/accounts/{account_id}/insight/figures", params=params)
    out(data["days"], COLUMNS)
    for r in data.get("refusals") or []:
        click.echo(f"{r['api']} refused: {r.get('errcode')} {r.get('errmsg') or ''} "
                   f"({r.get('begin_date')}..{r.get('end_date')})", err=True)
