"""Attribution benchmark: a burst of scan events on one channel through the event worker.

    .venv/bin/python bench/attribution.py [--events 10000] [--duplicates 500]

moto in-process (atomic DynamoDB) and the WeChat sandbox in-process. Drives
`scrm.services.events.process_batch` with SQS-shaped batches of 10 (one worker, one thread), counts every
DynamoDB item write with a botocore `before-parameter-build` hook, then flushes the channel's taggings and counts
batchtagging calls at the sandbox. Prints:
- exactness: scans / new follows counted vs distinct events sent (duplicates redelivered on top);
- DynamoDB item writes per event (by operation), and the largest share of all writes one item took;
- that share at the design's claimed peak (writes/s on the hottest item), and the hottest item's
  observed writes in any wall-clock second of this run;
- events per second per worker (moto in-process is slower than DynamoDB; a lower bound);
- OA tagging API calls per 1,000 attributed followers.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "layers/common/python"), str(ROOT)]
os.environ.update({"AWS_DEFAULT_REGION": "ap-east-1", "AWS_REGION": "ap-east-1", "AWS_ACCESS_KEY_ID": "bench",
                   "AWS_SECRET_ACCESS_KEY": "bench", "SCRM_STAGE": "bench", "WECHAT_RETRY_BACKOFF": "0.01",
                   "POWERTOOLS_LOG_LEVEL": "ERROR", "POWERTOOLS_METRICS_NAMESPACE": "WeChatSCRM"})
os.environ.pop("AWS_ENDPOINT_URL", None)

import warnings  # noqa: E402

warnings.filterwarnings("ignore", message="Couldn't determine the remaining time left")

WRITE_OPS = {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"}


class WriteCounter:
    """botocore before-parameter-build hook: one count per item written, keyed by (table, key) and wall second."""

    def __init__(self):
        self.ops = Counter()
        self.tables = Counter()
        self.items = Counter()
        self.per_second = Counter()
        self.on = False

    @staticmethod
    def _key(table, key_or_item):
        from scrm.data.registry import all_models

        for model in all_models():
            if model.Meta.table_name == table:
                names = [a.attr_name for a in model.get_attributes().values() if a.is_hash_key or a.is_range_key]
                return table, tuple(json.dumps(key_or_item.get(n), sort_keys=True) for n in names)
        return table, json.dumps(key_or_item, sort_keys=True)

    def hook(self, model, params, **_):
        if not self.on or model.name not in WRITE_OPS:
            return
        second = int(time.time())
        writes = []
        if model.name in ("PutItem",):
            writes.append(self._key(params["TableName"], params["Item"]))
        elif model.name in ("UpdateItem", "DeleteItem"):
            writes.append(self._key(params["TableName"], params["Key"]))
        elif model.name == "TransactWriteItems":
            for entry in params["TransactItems"]:
                for kind in ("Put", "Update", "Delete"):
                    if kind in entry:
                        e = entry[kind]
                        writes.append(self._key(e["TableName"], e.get("Item") or e.get("Key")))
        else:
            for table, reqs in params["RequestItems"].items():
                for r in reqs:
                    body = r.get("PutRequest", {}).get("Item") or r.get("DeleteRequest", {}).get("Key")
                    writes.append(self._key(table, body))
        self.ops[model.name] += len(writes)
        for w in writes:
            self.tables[w[0]] += 1
        for w in writes:
            self.items[w] += 1
            self.per_second[(w, second)] += 1

    def install(self):
        import botocore.session

        original = botocore.session.Session.__init__
        counter = self

        def init(session, *a, **kw):
            original(session, *a, **kw)
            session.register("before-parameter-build.dynamodb", counter.hook)

        botocore.session.Session.__init__ = init


def _cheap_moto_transactions() -> None:
    """moto's transact_write_items deep-copies every table a transaction touches, to roll back on a
    failed condition: O(table size) per transaction, so a 10,000-event run would take hours. Here one
    worker thread runs the burst, so no transaction is ever cancelled by a concurrent writer; skipping
    that snapshot changes nothing but moto's speed (exactness is still checked on the counters)."""
    import copy

    import moto.dynamodb.models as models
    from moto.dynamodb.models.table import Table

    class _Copy:
        @staticmethod
        def deepcopy(value, *a):
            return value if isinstance(value, Table) else copy.deepcopy(value, *a)

    models.copy = _Copy


def sqs_event(payloads):
    return {"Records": [{
        "messageId": f"m{i}", "receiptHandle": f"r{i}", "body": json.dumps(p), "attributes": {},
        "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:ap-east-1:123456789012:scrm-bench-events", "awsRegion": "ap-east-1"}
        for i, p in enumerate(payloads)]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10000)
    parser.add_argument("--duplicates", type=int, default=500, help="redeliveries mixed into the burst")
    args = parser.parse_args()

    counter = WriteCounter()
    counter.install()  # before any botocore session exists
    from moto import mock_aws

    from local.moto_atomic import install

    install()
    _cheap_moto_transactions()
    from local.sandbox import SandboxClient, SandboxServer

    sandbox = SandboxServer(port=0).start()
    os.environ["WECHAT_OA_BASE_URL"] = f"{sandbox.url}/oa"
    os.environ["WECOM_BASE_URL"] = f"{sandbox.url}/wecom"
    with mock_aws():
        from scrm import accounts
        from scrm.data.registry import ensure_tables
        from scrm.queues import ensure_queues
        from scrm.services import attribution, channel_stats, channels, events
        from scrm.tenancy import Scope

        ensure_tables()
        ensure_queues()
        from local.seed import demo_secrets

        s = demo_secrets()
        account = accounts.register("bench-oa", "oa", "wx0000000000bench1", "Bench OA", original_id="gh_bench0000001",
                                    **s)
        sb = SandboxClient(sandbox.url)
        sb.register_oa(account.app_id, s["app_secret"], s["token"], s["aes_key"], original_id="gh_bench0000001")
        from scrm.gateway import gateway_for

        tag_id = gateway_for(account).client.tag.create("poster-burst")["id"]
        scope = Scope.system(account.account_id)
        ch = channels.create_channel(scope, account.account_id, {
            "kind": "oa_qr", "name": "Stadium poster", "group": "posters", "tags": [tag_id]})
        openids = [f"o-bench-{i:06d}" for i in range(args.events)]
        sb.oa_followers(account.app_id, openids=openids)  # the people scanning, as WeChat knows them

        now = int(time.time())
        payloads = [{"account_id": account.account_id, "platform": "oa", "kind": "oa.subscribe",
                     "dedupe_key": f"{o}|{now}|subscribe|qrscene_{ch['scene']}",
                     "event": {"ToUserName": "gh_bench0000001", "FromUserName": o, "CreateTime": now,
                               "MsgType": "event", "Event": "subscribe", "EventKey": f"qrscene_{ch['scene']}",
                               "Ticket": ch["ticket"], "received_at": now}} for o in openids]
        rng = random.Random(7)
        burst = payloads + [rng.choice(payloads) for _ in range(args.duplicates)]
        rng.shuffle(burst)

        counter.on = True
        failures = 0
        started = time.perf_counter()
        for i in range(0, len(burst), 10):
            failures += len(events.process_batch(sqs_event(burst[i:i + 10]))["batchItemFailures"])
        elapsed = time.perf_counter() - started
        counter.on = False

        if failures:
            import traceback

            from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
            proc = BatchProcessor(event_type=EventType.SQS)
            try:
                events.apply(json.loads(sqs_event(burst[:1])["Records"][0]["body"]))
            except Exception:
                traceback.print_exc()
            del proc
        report = channel_stats.report(scope, account.account_id, {}, time.time())
        [row] = [c for c in report["channels"] if c["channel_id"] == ch["channel_id"]]

        sb.clear_calls()
        flushed = attribution.flush_taggings(force=True)
        tag_calls = sum(sb.call_counts("batchtagging").values())
        tagged = sum(1 for o in openids[:200] if tag_id in sb.oa_follower(account.app_id, o)["tagid_list"])
        sandbox.stop()

    deliveries = len(burst)
    total_writes = sum(counter.ops.values())
    hottest, hottest_writes = counter.items.most_common(1)[0]
    share = hottest_writes / args.events
    peak = channel_stats.CLAIMED_PEAK_EVENTS_PER_SECOND
    observed_max = max(counter.per_second.values())
    print(f"events: {args.events} distinct + {args.duplicates} redelivered = {deliveries} deliveries, "
          f"{failures} batch item failures")
    print(f"counted: scans={row['scans']} new_follows={row['new_follows']} refollows={row['refollows']} "
          f"(exactly once: {row['scans'] == args.events and row['new_follows'] == args.events})")
    print(f"dynamodb item writes: {total_writes} = {total_writes / deliveries:.2f} per delivery, "
          f"{total_writes / args.events:.2f} per distinct event; by operation {dict(counter.ops)}")
    print("  by table: " + ", ".join(f"{t.split('-', 2)[-1]} {n / deliveries:.2f}" for t, n in
                                     counter.tables.most_common()) + " (per delivery)")
    print(f"hottest item: {hottest[0]} {hottest[1]} took {hottest_writes} writes = {share:.4f} of events "
          f"(stats shards: {channel_stats.SHARDS})")
    print(f"at the claimed peak of {peak} events/s on one channel: {share * peak:.0f} writes/s on the hottest item "
          f"(limit 1,000)")
    print(f"hottest item in any wall-clock second of this run: {observed_max} writes")
    print(f"throughput: {deliveries / elapsed:.0f} deliveries/s per worker ({elapsed:.1f} s, moto in-process)")
    print(f"OA tagging: {tag_calls} batchtagging calls for {flushed['applied']} followers = "
          f"{tag_calls / (flushed['applied'] / 1000):.1f} per 1,000 (floor 20); sample tagged {tagged}/200")


if __name__ == "__main__":
    main()
