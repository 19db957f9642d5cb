"""Per-channel daily statistics: sharded counters written with each attribution, summed on read.

Design peak: 5,000 attributed events per second on one account (a poster on a stadium screen, a TV
spot). With SHARDS = 16 and the shard chosen at random per write, one counter item (and one partition
key) takes about 5,000 / 16 ≈ 313 writes/s, under DynamoDB's 1,000 writes/s per partition with
3x headroom. Readers query each shard for each channel's day range (16 queries a channel, in parallel) and
sum; a report is paged by channel (the channel table's order), so a request reads the counters of one page of
channels, whatever the account holds (100,000 permanent codes).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from ...domain.attribution import METRICS, RETENTION_DAYS
from ...domain.channels import DIRECT, UNKNOWN, day_of
from ...domain.spreadsheets import csv_document
from ...errors import ValidationError
from ...stores.channels.base import SHARDS
from ...tenancy import Scope
from .admin import get_channel, list_channels_page
from .common import store

CLAIMED_PEAK_EVENTS_PER_SECOND = 5000
MAX_RANGE_DAYS = 366


def _parse_day(value: str | None, field: str) -> str | None:
    if value is None or value == "":
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except (TypeError, ValueError):
        raise ValidationError(f"{field}: must be a date YYYY-MM-DD", field=field) from None


def day_range(query: dict, now: float) -> tuple[str, str]:
    today = day_of(now)
    end = _parse_day(query.get("to"), "to") or today
    start = _parse_day(query.get("from"), "from") or (date.fromisoformat(end) - timedelta(days=29)).isoformat()
    if start > end:
        raise ValidationError("from: must not be after to", field="from")
    if (date.fromisoformat(end) - date.fromisoformat(start)).days >= MAX_RANGE_DAYS:
        raise ValidationError(f"from: a report covers at most {MAX_RANGE_DAYS} days", field="from")
    return start, end


def raw_counts(scope: Scope, account_id: str, start: str, end: str, channel_ids=()
               ) -> tuple[dict[tuple[str, str], dict], int]:
    """({(channel_id, day): {metric: n}} summed over shards, items read) for the given channels only."""
    scope.check(account_id)
    return store().read_counts(scope, account_id, channel_ids, start, end)


def _derive(row: dict, day: str, today: str) -> dict:
    out = dict(row)
    out["net_growth"] = row["new_follows"] + row["refollows"] - row["unfollows"]
    joins = row["new_follows"] + row["refollows"] + row["customers_added"]
    out["joins"] = joins + row["group_joins"]  # group joins have no retention counters: left out of still_following
    for n in RETENTION_DAYS:
        # "still following after n days" is only known once n days have passed since the cohort day
        ripe = (date.fromisoformat(day) + timedelta(days=n)).isoformat() <= today
        out[f"still_following_d{n}"] = joins - row[f"lost_d{n}"] if ripe else None
    return out


def _sum(rows: list[dict]) -> dict:
    total = dict.fromkeys(METRICS, 0)
    for r in rows:
        for m in METRICS:
            total[m] += r[m]
    return total


BUILT_IN_NAMES = {DIRECT: "Direct (no channel)", UNKNOWN: "Unknown scene or state"}
BUILT_IN_GROUP = "(built-in)"


def report(scope: Scope, account_id: str, query: dict, now: float, limit: int = 50) -> dict:
    """The first page of the report (see report_page)."""
    return report_page(scope, account_id, query, now, limit=limit)[0]


def report_page(scope: Scope, account_id: str, query: dict, now: float, *, limit: int = 50,
                start: dict | None = None) -> tuple[dict, dict | None]:
    """For one page of channels (channel id order; the built-in `direct` and `unknown` first on the first
    page): per channel and day rows, per channel totals, and totals per group of the page's channels; and
    the key of the next page. ?channel_id= reports one channel, ?group= pages through one group."""
    begin, end = day_range(query, now)
    today = day_of(now)
    catalogue, ids, last = _catalogue(scope, account_id, query, limit, start)
    counts, reads = raw_counts(scope, account_id, begin, end, ids)

    def group_of(channel_id):
        c = catalogue.get(channel_id)
        return c["group"] if c else BUILT_IN_GROUP

    def name_of(channel_id):
        c = catalogue.get(channel_id)
        return c["name"] if c else BUILT_IN_NAMES.get(channel_id, channel_id)

    per_channel: dict[str, list] = {c: [] for c in ids}
    days = []
    for (channel_id, day), row in sorted(counts.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        days.append({"channel_id": channel_id, "name": name_of(channel_id), "group": group_of(channel_id),
                     "day": day, **_derive(row, day, today)})
        per_channel[channel_id].append((day, row))
    channels = [{"channel_id": c, "name": name_of(c), "group": group_of(c), **_totals(rows, today)}
                for c, rows in per_channel.items() if rows or c in catalogue]
    groups = defaultdict(list)
    for channel_id, rows in per_channel.items():
        groups[group_of(channel_id)].extend(rows)
    return {"account_id": account_id, "from": begin, "to": end, "today": today,
            "days": days, "channels": channels,
            "groups": [{"group": g, **_totals(rows, today)} for g, rows in sorted(groups.items())],
            "shards": SHARDS, "items_read": reads}, last


def _catalogue(scope: Scope, account_id: str, query: dict, limit: int, start: dict | None
               ) -> tuple[dict[str, dict], list[str], dict | None]:
    """The page's channels by id, the ids to report (built-ins first on an unfiltered first page), the next key."""
    only = query.get("channel_id")
    if only:
        if only in (DIRECT, UNKNOWN):
            return {}, [only], None
        return {only: get_channel(scope, account_id, only)}, [only], None  # 404 if unknown
    group_filter = query.get("group")
    try:
        page, last = list_channels_page(scope, account_id, group=group_filter, include_archived=True, limit=limit,
                                        start=start)
    except ValueError:
        raise ValidationError("cursor is not one this listing returned", field="cursor") from None
    catalogue = {c["channel_id"]: c for c in page}
    return catalogue, ([DIRECT, UNKNOWN] if start is None and not group_filter else []) + list(catalogue), last


def _totals(rows: list[tuple[str, dict]], today: str) -> dict:
    """Sums over the range; retention over the cohort days old enough to know it (`retention_dN` is
    still-following / joined on those days, None when no day is old enough or nobody joined)."""
    out = _sum([r for _, r in rows])
    out["net_growth"] = out["new_follows"] + out["refollows"] - out["unfollows"]
    out["joins"] = out["new_follows"] + out["refollows"] + out["customers_added"] + out["group_joins"]
    for n in RETENTION_DAYS:
        ripe = [(d, r) for d, r in rows if (date.fromisoformat(d) + timedelta(days=n)).isoformat() <= today]
        joined = sum(r["new_follows"] + r["refollows"] + r["customers_added"] for _, r in ripe)
        still = joined - sum(r[f"lost_d{n}"] for _, r in ripe)
        out[f"still_following_d{n}"] = still if ripe else None
        out[f"retention_d{n}"] = round(still / joined, 4) if joined else None
    return out


CSV_COLUMNS = ("day", "channel_id", "name", "group", *METRICS[:6], "net_growth", "joins",
               "still_following_d1", "still_following_d7", "still_following_d30")


def report_csv(scope: Scope, account_id: str, query: dict, now: float) -> str:
    return report_csv_page(scope, account_id, query, now)[0]


def report_csv_page(scope: Scope, account_id: str, query: dict, now: float, *, limit: int = 50,
                    start: dict | None = None) -> tuple[str, dict | None]:
    data, last = report_page(scope, account_id, query, now, limit=limit, start=start)
    return csv_document(CSV_COLUMNS, data["days"]), last
