"""`scrm channels` and `scrm stats`: where followers and customers come from, and what each channel brought."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from scrm_cli.client import Api, json_wanted, out

CHANNEL_COLUMNS = ["channel_id", "kind", "name", "group", "status", "scene", "created_at"]
DAY_COLUMNS = ["day", "channel_id", "name", "scans", "new_follows", "unfollows", "net_growth", "lost_d1"]
TOTAL_COLUMNS = ["channel_id", "name", "group", "scans", "new_follows", "unfollows", "net_growth", "retention_d7"]


def _base(account_id: str) -> str:
    return f"/accounts/{account_id}"


def write_bytes(data: bytes, path: str | None) -> None:
    """`path` gets the bytes (`-` or nothing: stdout), exactly as the API sent them."""
    if path in (None, "-"):
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        Path(path).write_bytes(data)
        click.echo(f"wrote {len(data)} bytes to {path}", err=True)


@click.group()
def channels():
    """Channels (渠道): OA QR codes and WeCom contact ways."""


@channels.command("list")
@click.argument("account_id")
@click.option("--group", help="only this group")
@click.option("--kind", type=click.Choice(["oa_qr", "wecom_contact_way"]))
@click.option("--archived", is_flag=True, help="include archived channels")
@click.option("--all", "everything", is_flag=True, help="follow every page")
@click.option("--limit", type=int, default=50)
@click.pass_obj
def channels_list(api: Api, account_id, group, kind, archived, everything, limit):
    params = {"limit": limit, **({"group": group} if group else {}), **({"kind": kind} if kind else {}),
              **({"include_archived": "true"} if archived else {})}
    out(list(api.pages(f"{_base(account_id)}/channels", params, everything)), CHANNEL_COLUMNS)


@channels.command("show")
@click.argument("account_id")
@click.argument("channel_id")
@click.pass_obj
def channels_show(api: Api, account_id, channel_id):
    out(api.request("GET", f"{_base(account_id)}/channels/{channel_id}"))


@channels.command("create")
@click.argument("account_id")
@click.option("--kind", type=click.Choice(["oa_qr", "wecom_contact_way"]), required=True)
@click.option("--name", required=True)
@click.option("--group", help="e.g. posters, stores (default: default)")
@click.option("--qr-type", type=click.Choice(["permanent", "temporary"]), help="oa_qr (default permanent)")
@click.option("--scene-str", help="oa_qr: the scene instead of a generated one")
@click.option("--expire-seconds", type=int, help="oa_qr temporary")
@click.option("--staff", "staff", multiple=True, help="wecom: a staff userid (repeat)")
@click.option("--daily-cap", type=int, help="wecom: each staff member's adds per day")
@click.option("--welcome", "welcome_text", help="the welcome text this channel's newcomers get")
@click.option("--tag", "tags", multiple=True, help="a tag to apply (OA tag id or WeCom tag id; repeat)")
@click.pass_obj
def channels_create(api: Api, account_id, kind, name, group, qr_type, scene_str, expire_seconds, staff,
                    daily_cap, welcome_text, tags):
    """Create a channel (operator); an OA code's content URL and a contact way's QR image come back."""
    body = {"kind": kind, "name": name}
    for k, v in (("group", group), ("qr_type", qr_type), ("scene_str", scene_str),
                 ("expire_seconds", expire_seconds), ("daily_cap", daily_cap)):
        if v is not None:
            body[k] = v
    if staff:
        body["staff"] = list(staff)
    if welcome_text:
        body["welcome"] = {"text": welcome_text}
    if tags:
        body["tags"] = [int(t) if kind == "oa_qr" and t.isdigit() else t for t in tags]
    out(api.request("POST", f"{_base(account_id)}/channels", body, idempotent=True))


@channels.command("archive")
@click.argument("account_id")
@click.argument("channel_id")
@click.pass_obj
def channels_archive(api: Api, account_id, channel_id):
    """Archive a channel: its statistics stay; a WeCom contact way is deleted at WeCom."""
    out(api.request("DELETE", f"{_base(account_id)}/channels/{channel_id}"))


@channels.command("qrcode")
@click.argument("account_id")
@click.argument("channel_id")
@click.option("--format", "fmt", type=click.Choice(["png", "svg"]), default="png", show_default=True)
@click.option("--scale", type=click.IntRange(1, 40), default=10, show_default=True)
@click.option("-o", "--out", "path", help="file to write (default: <channel_id>.<format>; '-' for stdout)")
@click.pass_obj
def channels_qrcode(api: Api, account_id, channel_id, fmt, scale, path):
    """Download the channel's QR code for print."""
    media = "image/png" if fmt == "png" else "image/svg+xml"
    res = api.download(f"{_base(account_id)}/channels/{channel_id}/qrcode", {"format": fmt, "scale": scale}, media)
    write_bytes(res.content, path or f"{channel_id}.{fmt}")


@click.group()
def stats():
    """What each channel brought: per day, per channel, per group; CSV for spreadsheets."""


def _stats_params(start, end, channel_id, group) -> dict:
    return {k: v for k, v in (("from", start), ("to", end), ("channel_id", channel_id), ("group", group)) if v}


def _stats_options(fn):
    fn = click.option("--group", help="only this group's channels")(fn)
    fn = click.option("--channel-id", help="only this channel")(fn)
    fn = click.option("--to", help="last day, YYYY-MM-DD (default today, China time)")(fn)
    return click.option("--from", "start", help="first day, YYYY-MM-DD (default 30 days before --to)")(fn)


@stats.command("days")
@click.argument("account_id")
@_stats_options
@click.option("--totals", is_flag=True, help="per channel totals instead of per day rows")
@click.pass_obj
def stats_days(api: Api, account_id, start, to, channel_id, group, totals):
    """Per channel and day (or, with --totals, per channel) for the first page of channels."""
    data = api.request("GET", f"{_base(account_id)}/channel-stats", params=_stats_params(start, to, channel_id, group))
    if json_wanted():
        out(data)
    else:
        out(data["channels"] if totals else data["days"], TOTAL_COLUMNS if totals else DAY_COLUMNS)


@stats.command("csv")
@click.argument("account_id")
@_stats_options
@click.option("-o", "--out", "path", help="file to write (default stdout)")
@click.pass_obj
def stats_csv(api: Api, account_id, start, to, channel_id, group, path):
    """The per day rows as CSV, as the API sends it: UTF-8 with a BOM, so Excel shows 门店导购 correctly."""
    res = api.download(f"{_base(account_id)}/channel-stats.csv", _stats_params(start, to, channel_id, group),
                       "text/csv")
    write_bytes(res.content, path)
    if res.headers.get("X-Next-Cursor"):
        click.echo("more channels follow: this file holds the first page of channels", err=True)
