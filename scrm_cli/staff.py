"""`scrm staff`: the figures WeCom reports per staff member and day, and loss alerts."""

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
    """Staff figures per day (联系客户统计, 群聊数据统计) and loss alerts."""


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


@staff.group("alerts")
def alerts():
    """Loss alerts: a WeCom app message to the staff member (or a supervisor) when a customer deletes them."""


SETTING_COLUMNS = ["enabled", "agentid", "recipient", "supervisor", "events", "message", "url",
                   "duplicate_check_interval"]


@alerts.command("show")
@click.argument("account_id")
@click.pass_obj
def alerts_show(api: Api, account_id):
    """The account's loss-alert settings."""
    out(api.request("GET", f"{_base(account_id)}/loss-alerts/settings"), SETTING_COLUMNS)


@alerts.command("set")
@click.argument("account_id")
@click.option("--on/--off", "enabled", default=None, help="send alerts, or stop")
@click.option("--agentid", type=int, help="the WeCom app (自建应用) that sends them")
@click.option("--supervisor", help="tell this userid instead of the staff member")
@click.option("--to-staff", is_flag=True, help="tell the staff member the customer left (the default)")
@click.option("--event", "events", multiple=True,
              type=click.Choice(["del_follow_user", "del_external_contact", "vip_group_leave"]),
              help="which events alert (repeat; default del_follow_user; vip_group_leave: a customer left a VIP group)")
@click.option("--textcard", "url", help="send a textcard opening this https URL instead of text")
@click.option("--text", "as_text", is_flag=True, help="send text (the default)")
@click.option("--interval", type=int, help="WeCom's duplicate-check window, seconds (60..14400)")
@click.pass_obj
def alerts_set(api: Api, account_id, enabled, agentid, supervisor, to_staff, events, url, as_text, interval):
    """Change the settings (admin): the options given change, the rest stay as they are."""
    body = api.request("GET", f"{_base(account_id)}/loss-alerts/settings")
    changes = {"enabled": enabled, "agentid": agentid, "duplicate_check_interval": interval,
               "events": list(events) or None}
    body.update({k: v for k, v in changes.items() if v is not None})
    if supervisor:
        body.update(recipient="supervisor", supervisor=supervisor)
    if to_staff:
        body.update(recipient="staff")
    if url:
        body.update(message="textcard", url=url)
    if as_text:
        body.update(message="text")
    out(api.request("PUT", f"{_base(account_id)}/loss-alerts/settings", body), SETTING_COLUMNS)


@alerts.command("counts")
@click.argument("account_id")
@click.option("--from", "start", help="first day, YYYY-MM-DD (default 29 days before --to)")
@click.option("--to", help="last day, YYYY-MM-DD (default today, China time)")
@click.pass_obj
def alerts_counts(api: Api, account_id, start, to):
    """Alerts sent, failed (WeCom refused) and unsent (no Secret for the app) per day."""
    params = {k: v for k, v in {"from": start, "to": to}.items() if v}
    data = api.request("GET", f"{_base(account_id)}/loss-alerts/counts", params=params)
    from scrm_cli.client import json_wanted

    out(data if json_wanted() else data["days"], ["day", "sent", "failed", "unsent"])
