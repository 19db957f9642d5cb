"""`scrm segments`: rule segments over the unified contact: preview a rule (size, sample, items read, flags),
save it, list (the built-in VIP first), show with its size, delete, export as CSV, and the account's RFM bands."""

from __future__ import annotations

import click

from scrm_cli.channels import write_bytes
from scrm_cli.client import Api, out
from scrm_cli.engagement import json_argument

SEGMENT_COLUMNS = ["segment_id", "name", "builtin", "size", "created_at", "flags"]
SAMPLE_COLUMNS = ["key", "identities", "rfm"]
RFM_COLUMNS = ["recency_days", "frequency", "value", "window_days", "weights"]


def _base(account_id: str) -> str:
    return f"/accounts/{account_id}/segments"


def _rule(rule: str) -> dict:
    """A rule as JSON, inline or @file (`{"all": [{"field": "wins", "op": "gte", "value": 1}]}`)."""
    return json_argument(rule, "--rule")


@click.group()
def segments():
    """Rule segments (tags, channels, dates, counts, RFM) over the unified contact."""


@segments.command("preview")
@click.argument("account_id")
@click.option("--rule", required=True, help='JSON or @file: {"all"|"any": [...]} or {"field", "op", "value"}')
@click.option("--sample", type=int, default=20, show_default=True)
@click.pass_obj
def segments_preview(api: Api, account_id, rule, sample):
    """How many people a rule holds now, a sample, the items read and any flags (deleted tags / channels)."""
    answer = api.request("POST", f"{_base(account_id)}/preview", {"rule": _rule(rule), "sample": sample})
    out(answer)


@segments.command("create")
@click.argument("account_id")
@click.option("--name", required=True)
@click.option("--rule", required=True, help="JSON or @file")
@click.pass_obj
def segments_create(api: Api, account_id, name, rule):
    """Save a rule as a segment (operator); use its id as a push audience: --audience segment --to <id>."""
    out(api.request("POST", f"{_base(account_id)}/rules", {"name": name, "rule": _rule(rule)}, idempotent=True),
        SEGMENT_COLUMNS)


@segments.command("list")
@click.argument("account_id")
@click.option("--all", "everything", is_flag=True, help="follow every page")
@click.pass_obj
def segments_list(api: Api, account_id, everything):
    out(list(api.pages(f"{_base(account_id)}/rules", {}, everything)), SEGMENT_COLUMNS)


@segments.command("show")
@click.argument("account_id")
@click.argument("segment_id")
@click.pass_obj
def segments_show(api: Api, account_id, segment_id):
    """A segment with its size now and its flags."""
    out(api.request("GET", f"{_base(account_id)}/rules/{segment_id}"), SEGMENT_COLUMNS)


@segments.command("delete")
@click.argument("account_id")
@click.argument("segment_id")
@click.pass_obj
def segments_delete(api: Api, account_id, segment_id):
    out(api.request("DELETE", f"{_base(account_id)}/rules/{segment_id}"))


@segments.command("export")
@click.argument("account_id")
@click.argument("segment_id")
@click.option("-o", "--out", "path", help="the file to write (default stdout)")
@click.pass_obj
def segments_export(api: Api, account_id, segment_id, path):
    """Everyone the segment holds, as CSV (UTF-8 with a BOM)."""
    write_bytes(api.download(f"{_base(account_id)}/rules/{segment_id}/export.csv", None, "text/csv").content, path)


@segments.command("rfm")
@click.argument("account_id")
@click.option("--set", "bands", help='JSON or @file: {"recency_days": [7,30,90,180], "frequency": [...], '
                                     '"value": [...], "window_days": 90, "weights": {"wins": 1, "redemptions": 3}}')
@click.pass_obj
def segments_rfm(api: Api, account_id, bands):
    """The account's RFM bands, or set them (operator)."""
    if bands:
        out(api.request("PUT", f"{_base(account_id)}/rfm", json_argument(bands, "--set")), RFM_COLUMNS)
    else:
        out(api.request("GET", f"{_base(account_id)}/rfm"), RFM_COLUMNS)
