"""Channel listing and statistics figures for an account with 100,000 channels (WeChat's permanent-code limit).

    .venv/bin/python -m bench.channels [--channels 100000] [--active 2000] [--days 30]

In-process moto (DynamoDB), the real data layer and services. Counts, not times: the JSON size of one page
of GET /channels and of the whole list (what one unpaged answer would have been, against Lambda's 6 MB
response limit), and the DynamoDB items read (Query ScannedCount, counted with a botocore hook) per channel
page and per statistics page, whose counters are seeded for `active` channels over `days` days.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "layers/common/python"), str(ROOT)]
os.environ.setdefault("AWS_DEFAULT_REGION", "ap-east-1")
os.environ["AWS_REGION"] = os.environ["AWS_DEFAULT_REGION"]
os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", SCRM_STAGE="bench",
                  POWERTOOLS_LOG_LEVEL="ERROR")
os.environ.pop("AWS_ENDPOINT_URL", None)

LAMBDA_RESPONSE_LIMIT = 6 * 1024 * 1024
ACCOUNT = "bench-oa"


class Reads:
    """DynamoDB requests and items read (ScannedCount of Query/Scan answers)."""

    def __init__(self):
        import botocore.client

        self.requests = self.items = 0
        original = botocore.client.BaseClient._make_api_call
        outer = self

        def counting(client, operation, params):
            out = original(client, operation, params)
            if client.meta.service_model.service_name == "dynamodb" and operation in ("Query", "Scan"):
                outer.requests += 1
                outer.items += int(out.get("ScannedCount") or 0)
            return out

        botocore.client.BaseClient._make_api_call = counting

    def take(self) -> tuple[int, int]:
        out = (self.requests, self.items)
        self.requests = self.items = 0
        return out


def channel_items(n: int):
    from datetime import UTC, datetime

    from scrm.data.channels import ChannelItem

    stamp = datetime.now(UTC)
    for i in range(n):
        cid = f"{i + 1:010x}"
        defn = {"kind": "oa_qr", "name": f"门店海报 {i}", "group": f"区域 {i % 50}", "qr_type": "permanent",
                "welcome": {"text": "欢迎光临，回复 1 领取优惠券"}}
        yield ChannelItem(ACCOUNT, f"ch#{cid}", channel_id=cid, kind="oa_qr", name=defn["name"],
                          group=defn["group"], status="active", scene=str(i + 1),
                          definition=json.dumps(defn, ensure_ascii=False), ticket="gQ" + "x" * 94,
                          url=f"http://weixin.qq.com/q/02{cid}{'y' * 10}", version=1, created_at=stamp,
                          updated_at=stamp)


def whole_list_size(n: int) -> int:
    """The JSON size of all n channels in one answer (what GET /channels returned before it was paged)."""
    from scrm.services.channels import view
    from scrm.stores.channels.dynamo import channel_of

    return len(json.dumps({"items": [view(channel_of(c)) for c in channel_items(n)], "next_cursor": None},
                          ensure_ascii=False).encode())


def seed(n: int, active: int, days: int) -> list[str]:
    from datetime import date, timedelta

    from pynamodb.transactions import TransactWrite

    from scrm.data.channel_stats import ChannelStatItem
    from scrm.data.channels import ChannelItem
    from scrm.services.channel_stats import counter_updates

    ids = []
    with ChannelItem.batch_write() as w:
        for item in channel_items(n):
            w.save(item)
            ids.append(item.channel_id)
    rng = random.Random(1)
    today = date(2026, 12, 1)
    conn = ChannelStatItem._get_connection().connection
    for d in range(days):
        day = (today - timedelta(days=d)).isoformat()
        deltas = {(ACCOUNT, cid, day, "new_follows"): 1 + rng.randrange(5) for cid in ids[:active]}
        updates = counter_updates(deltas, rng)
        for start in range(0, len(updates), 100):
            with TransactWrite(connection=conn) as tx:
                for item, actions in updates[start:start + 100]:
                    tx.update(item, actions=actions)
    return ids


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--channels", type=int, default=100_000, help="the account's channels (whole-list size)")
    ap.add_argument("--stored", type=int, default=10_000,
                    help="channels stored in moto for the per-page figures (a page reads the same at any size; "
                         "moto sorts a whole partition on every query, so 100,000 stored takes an hour)")
    ap.add_argument("--active", type=int, default=2_000)
    ap.add_argument("--days", type=int, default=30)
    args = ap.parse_args(argv)
    from moto import mock_aws

    from local.moto_atomic import install

    install()
    with mock_aws():
        from datetime import datetime
        from zoneinfo import ZoneInfo

        from scrm.data.registry import ensure_tables
        from scrm.services.channel_stats import report_page
        from scrm.services.channels import list_channels_page
        from scrm.tenancy import Scope

        ensure_tables()
        seed(min(args.stored, args.channels), args.active, args.days)
        scope = Scope.system(ACCOUNT)
        reads = Reads()
        # --- the channel list, 200 a page (the API's maximum), walked to the end
        sizes, page_reads, total_items, start = [], [], 0, None
        whole = whole_list_size(args.channels)
        while True:
            items, start = list_channels_page(scope, ACCOUNT, limit=200, start=start, include_archived=True)
            sizes.append(len(json.dumps({"items": items, "next_cursor": "c" * 120}, ensure_ascii=False).encode()))
            page_reads.append(reads.take())
            total_items += len(items)
            if start is None:
                break
        # --- statistics, 20 channels a page (the default), for the 30 days ending on the seeded day
        now = datetime(2026, 12, 1, 20, tzinfo=ZoneInfo("Asia/Shanghai")).timestamp()
        query = {"from": "2026-11-02", "to": "2026-12-01"}
        stats_pages = []
        start = None
        for _ in range(3):  # the first pages (active channels); every page costs the same at most
            out, start = report_page(scope, ACCOUNT, query, now, limit=20, start=start)
            stats_pages.append((reads.take(), out["items_read"], len(out["channels"]),
                                len(json.dumps(out, ensure_ascii=False).encode())))
        out, _ = report_page(scope, ACCOUNT, {**query, "channel_id": f"{1:010x}"}, now)
        one = reads.take()
    print(f"{args.channels:,} channels ({min(args.stored, args.channels):,} stored in moto, {args.active:,} with "
          f"counters on each of {args.days} days):")
    print(f"  GET /channels, 200 a page: {len(sizes)} pages walked, {total_items:,} channels, largest page "
          f"{max(sizes) / 1024:.0f} KiB, items read per page max {max(r[1] for r in page_reads)} "
          f"in {max(r[0] for r in page_reads)} request")
    print(f"  the whole list in one answer would be {whole / 1024 / 1024:.1f} MiB "
          f"(Lambda's limit {LAMBDA_RESPONSE_LIMIT / 1024 / 1024:.0f} MiB); the largest page is "
          f"{max(sizes) / LAMBDA_RESPONSE_LIMIT:.1%} of the limit")
    for i, ((requests, items), reported, shown, size) in enumerate(stats_pages, 1):
        print(f"  GET /channel-stats page {i} (20 channels, 30 days): {shown} channels, {items:,} items read "
              f"({reported:,} counters + channel page) in {requests} queries, {size / 1024:.0f} KiB")
    print(f"  GET /channel-stats?channel_id=: {one[1]} items read in {one[0]} queries")


if __name__ == "__main__":
    main()
