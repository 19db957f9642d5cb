"""Menu click benchmark: a burst of CLICK events on one menu entry, counted exactly once, and the writes per shard.

    .venv/bin/python bench/menus.py [--clicks 100000] [--users 20000] [--duplicates 5000] [--moto 2000]

Part 1, the in-memory twin (the store's conditions, tests/contract/test_menu_store.py): `--clicks` distinct CLICK
events on one entry by `--users` followers in one China day, through the worker's handler
(`scrm.services.menus.clicks.count_event`), with `--duplicates` redeliveries of events already counted mixed in.
Prints clicks and unique users counted against what was sent, the writes each counter item took (the twin
counts them per item), the hottest item's share, and that share at the claimed peak (writes/s on the hottest
item, against DynamoDB's 1,000 writes/s per partition), next to the bound computed from the shard count.

Part 2, moto in-process (`--moto N`, 0 to skip): N events (same shape, with redeliveries) through
`scrm.services.events.process_batch` (the queue's path: Powertools idempotency, then the counting transaction),
counting every item a TransactWriteItems writes with a botocore hook: exactness on DynamoDB's semantics and the
hottest counter item's share there.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "layers/common/python"), str(ROOT)]
os.environ.update({"AWS_DEFAULT_REGION": "ap-east-1", "AWS_REGION": "ap-east-1", "AWS_ACCESS_KEY_ID": "bench",
                   "AWS_SECRET_ACCESS_KEY": "bench", "SCRM_STAGE": "bench", "POWERTOOLS_LOG_LEVEL": "ERROR",
                   "POWERTOOLS_METRICS_NAMESPACE": "WeChatSCRM"})
os.environ.pop("AWS_ENDPOINT_URL", None)

import warnings  # noqa: E402

warnings.filterwarnings("ignore", message="Couldn't determine the remaining time left")

ACCOUNT = "bench-oa"
T0 = 1_780_000_000  # 2026-05-29 04:26:40 +08:00: every click falls on that China day
DAY = "2026-05-29"
KEY = "V1001_COUPON"


def payloads(clicks: int, users: int, duplicates: int, seed: int = 1) -> tuple[list[dict], int]:
    """The burst, shuffled with redeliveries; and how many distinct users clicked."""
    rng = random.Random(seed)
    out, who = [], set()
    for i in range(clicks):
        openid = f"o-bench-{rng.randrange(users):06d}"
        who.add(openid)
        at = T0 + i * 40000 // clicks  # spread over ~11 hours of the same day
        out.append({"account_id": ACCOUNT, "platform": "oa", "kind": "oa.click",
                    "dedupe_key": f"evt:{openid}|{at}|CLICK|{KEY}|{i}",
                    "event": {"FromUserName": openid, "CreateTime": str(at), "MsgType": "event", "Event": "CLICK",
                              "EventKey": KEY}})
    redelivered = [rng.choice(out) for _ in range(duplicates)]
    mixed = out + redelivered
    rng.shuffle(mixed)
    return mixed, len(who)


def hottest(writes: Counter, peak: int) -> tuple[int, float, float]:
    total = sum(writes.values())
    top = max(writes.values())
    return top, top / total, peak * top / total


def twin(args) -> None:
    from scrm import bootstrap
    from scrm.services.menus import clicks
    from scrm.stores.menus import MemoryMenuStore
    from scrm.stores.menus.base import SHARDS
    from scrm.tenancy import Scope

    store = MemoryMenuStore()
    bootstrap.reset(menu_store=store)
    burst, distinct_users = payloads(args.clicks, args.users, args.duplicates)
    outcomes = Counter(clicks.count_event(p)["counted"] for p in burst)
    counts, _ = store.read_counts(Scope.system(ACCOUNT), ACCOUNT, DAY, DAY)
    row = counts[(f"click:{KEY}", DAY)]
    top, share, at_peak = hottest(Counter(store.writes_per_item), clicks.CLAIMED_PEAK_CLICKS_PER_SECOND)
    print("== part 1: in-memory twin")
    print(f"events delivered: {len(burst)} ({args.clicks} distinct + {args.duplicates} redeliveries)")
    print(f"outcomes: {dict(outcomes)}")
    print(f"clicks counted: {row['clicks']} of {args.clicks} ({'exact' if row['clicks'] == args.clicks else 'WRONG'})")
    print(f"unique users counted: {row['users']} of {distinct_users} "
          f"({'exact' if row['users'] == distinct_users else 'WRONG'})")
    print(f"counter items written: {len(store.writes_per_item)} (shards {SHARDS})")
    print(f"hottest counter item: {top} of {row['clicks']} writes = {share:.2%}")
    print(f"at the claimed peak of {clicks.CLAIMED_PEAK_CLICKS_PER_SECOND} clicks/s on one entry: hottest item "
          f"{at_peak:.0f} writes/s (from the shard count: {clicks.CLAIMED_PEAK_CLICKS_PER_SECOND / SHARDS:.1f}/s; "
          f"limit 1,000/s per partition)")


class TransactItems:
    """botocore hooks: every item a committed TransactWriteItems wrote, by (table, pk, sk), and the transactions
    sent and cancelled (one thread sends, so the pending call is the one that answers next)."""

    def __init__(self):
        self.items = Counter()
        self.transactions = 0
        self.cancelled = 0
        self.pending: list = []

    def before(self, params, model, **_):
        if model.name != "TransactWriteItems":
            return
        self.transactions += 1
        self.pending = []
        for entry in params.get("TransactItems", []):
            for op in ("Put", "Update"):
                if op in entry:
                    body = entry[op]
                    key = body.get("Key") or body.get("Item")
                    self.pending.append((body["TableName"], json.dumps(key.get("pk")), json.dumps(key.get("sk"))))

    def after(self, http_response, model, **_):
        if model.name != "TransactWriteItems":
            return
        if http_response.status_code == 200:
            self.items.update(self.pending)
        else:
            self.cancelled += 1
        self.pending = []

    def install(self):
        import botocore.session

        original = botocore.session.Session.__init__
        counter = self

        def init(session, *a, **kw):
            original(session, *a, **kw)
            session.register("before-parameter-build.dynamodb", counter.before)
            session.register("after-call.dynamodb", counter.after)

        botocore.session.Session.__init__ = init


def moto(args) -> None:
    counter = TransactItems()
    counter.install()
    from moto import mock_aws

    from local.moto_atomic import install

    install()
    with mock_aws():
        from scrm import bootstrap
        from scrm.data.registry import ensure_tables
        from scrm.queues import ensure_queues
        from scrm.services import events
        from scrm.services.menus import clicks
        from scrm.tenancy import Scope

        ensure_tables()
        ensure_queues()
        bootstrap.reset()
        burst, distinct_users = payloads(args.moto, max(args.moto // 5, 1), args.moto // 20, seed=2)
        for start in range(0, len(burst), 10):
            records = [{"messageId": f"m{i}", "receiptHandle": f"r{i}", "body": json.dumps(p), "attributes": {},
                        "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
                        "eventSourceARN": "arn:aws:sqs:ap-east-1:123456789012:events", "awsRegion": "ap-east-1"}
                       for i, p in enumerate(burst[start:start + 10])]
            assert events.process_batch({"Records": records}) == {"batchItemFailures": []}
        counts, reads = bootstrap.menu_store().read_counts(Scope.system(ACCOUNT), ACCOUNT, DAY, DAY)
        row = counts[(f"click:{KEY}", DAY)]
        counters = Counter({k: n for k, n in counter.items.items() if not k[1].startswith('{"S": "e#')
                            and not k[1].startswith('{"S": "u#')})
        top, share, at_peak = hottest(counters, clicks.CLAIMED_PEAK_CLICKS_PER_SECOND)
        print("== part 2: moto, through the event worker")
        print(f"events delivered: {len(burst)} ({args.moto} distinct + {args.moto // 20} redeliveries)")
        print(f"clicks counted: {row['clicks']} of {args.moto} ({'exact' if row['clicks'] == args.moto else 'WRONG'});"
              f" unique users {row['users']} of {distinct_users}")
        print(f"counting transactions: {counter.transactions} sent, {counter.cancelled} cancelled (a redelivery the "
              f"idempotency record catches costs none; one it misses is cancelled on the event's marker)")
        print(f"counter items: {len(counters)}, hottest {top} of {sum(counters.values())} writes = {share:.2%} "
              f"-> {at_peak:.0f} writes/s at the claimed peak; report read {reads} items")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clicks", type=int, default=100000)
    parser.add_argument("--users", type=int, default=20000)
    parser.add_argument("--duplicates", type=int, default=5000)
    parser.add_argument("--moto", type=int, default=2000, help="events through moto (0: skip)")
    args = parser.parse_args()
    twin(args)
    if args.moto:
        moto(args)


if __name__ == "__main__":
    main()
