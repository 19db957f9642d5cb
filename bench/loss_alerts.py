"""Loss alerts under redelivery: app messages received per lost customer when every event is delivered 4 times.

    PYTHONPATH=layers/common/python:. .venv/bin/python bench/loss_alerts.py [--events 200] [--crashes 50]

moto in-process (atomic DynamoDB) and the WeChat sandbox in-process, WeCom's `message/send` duplicate check
honoured by the sandbox. `--events` customers, each added through a contact way, then deleting the staff member
(`del_follow_user`); every deletion is handed to `scrm.services.events.process_batch` 4 times (the same SQS record,
as a queue redelivers it). Two rounds:
- plain: 4 deliveries of each event, in shuffled order;
- crashes: for `--crashes` of the events the worker dies on the first delivery after WeCom took the message
  (before the alert's record is finished), then the 3 further deliveries come.
Prints messages received per event (sandbox: what members got), message/send calls per event, suppressed repeats,
alerts counted per day, and DynamoDB calls per delivery.
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

DELIVERIES = 4


class CallCounter:
    """botocore before-call hook: DynamoDB calls by operation while `on`."""

    def __init__(self):
        self.ops, self.on = Counter(), False

    def hook(self, model, **_):
        if self.on:
            self.ops[model.name] += 1

    def install(self):
        import botocore.session

        original, counter = botocore.session.Session.__init__, self

        def init(session, *a, **kw):
            original(session, *a, **kw)
            session.register("before-call.dynamodb", counter.hook)

        botocore.session.Session.__init__ = init


def sqs_event(payload: dict) -> dict:
    return {"Records": [{"messageId": "m0", "receiptHandle": "r0", "body": json.dumps(payload), "attributes": {},
                         "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
                         "eventSourceARN": "arn:aws:sqs:ap-east-1:123456789012:scrm-bench-events",
                         "awsRegion": "ap-east-1"}]}


def event(account_id: str, change: str, ext: str, t: int, state: str | None = None) -> dict:
    ev = {"ToUserName": "ww", "FromUserName": "sys", "CreateTime": t, "MsgType": "event",
          "Event": "change_external_contact", "ChangeType": change, "UserID": "bench_staff", "ExternalUserID": ext,
          "received_at": t, **({"State": state} if state else {})}
    return {"account_id": account_id, "platform": "wecom", "kind": f"wecom.change_external_contact.{change}",
            "dedupe_key": f"wecom:change_external_contact|{change}|bench_staff|{ext}|{t}", "event": ev}


def run_round(events, sb, corpid, payloads, crash_keys, counter) -> dict:
    from scrm.stores.staff.dynamo import DynamoStaffStore

    real = DynamoStaffStore.finish_alert
    crashed: set[str] = set()

    def finish(self, scope, account_id, key, *a, **kw):
        if key in crash_keys and key not in crashed:
            crashed.add(key)
            raise RuntimeError("the worker died after WeCom took the message")
        return real(self, scope, account_id, key, *a, **kw)

    DynamoStaffStore.finish_alert = finish
    before = sb.wecom_app_messages(corpid)
    sends_before = len(sb.calls(path_contains="message/send"))
    deliveries = [p for p in payloads for _ in range(DELIVERIES)]
    random.Random(11).shuffle(deliveries)
    failures, counter.ops = 0, Counter()
    counter.on = True
    started = time.perf_counter()
    for p in deliveries:
        failures += len(events.process_batch(sqs_event(p))["batchItemFailures"])
    elapsed = time.perf_counter() - started
    counter.on = False
    DynamoStaffStore.finish_alert = real
    after = sb.wecom_app_messages(corpid)
    return {"events": len(payloads), "deliveries": len(deliveries), "batch_failures": failures,
            "messages": len(after["messages"]) - len(before["messages"]),
            "send_calls": len(sb.calls(path_contains="message/send")) - sends_before,
            "suppressed": after["repeats_suppressed"] - before["repeats_suppressed"],
            "dynamodb_calls": sum(counter.ops.values()), "dynamodb_by_op": dict(counter.ops), "seconds": elapsed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--crashes", type=int, default=50)
    args = parser.parse_args()

    counter = CallCounter()
    counter.install()
    from moto import mock_aws

    from local.moto_atomic import install

    install()
    from local.sandbox import SandboxClient, SandboxServer

    sandbox = SandboxServer(port=0).start()
    os.environ["WECOM_BASE_URL"] = f"{sandbox.url}/wecom"
    with mock_aws():
        from local.seed import demo_secrets
        from scrm import accounts
        from scrm.data.registry import ensure_tables
        from scrm.queues import ensure_queues
        from scrm.services import channels, events
        from scrm.services.staff import alerts
        from scrm.tenancy import Scope

        ensure_tables()
        ensure_queues()
        s = demo_secrets()
        alerts_app = {"1000002": "bench-alerts-app-secret"}  # the app the alerts go out as (its own token)
        account = accounts.register("bench-wecom", "wecom", "ww0000000000bench1", "Bench corp", **s,
                                    agent_secrets=alerts_app)
        a, corpid = account.account_id, account.app_id
        sb = SandboxClient(sandbox.url)
        sb.register_wecom(corpid, s["app_secret"], s["token"], s["aes_key"], apps=alerts_app)
        sb.wecom_staff(corpid, "bench_staff")
        way = channels.create_channel(Scope.system(a), a, {"kind": "wecom_contact_way", "name": "门店海报",
                                                           "staff": ["bench_staff"]})
        alerts.put_settings(Scope.system(a), a, {"enabled": True, "agentid": 1000002})
        now = int(time.time())
        half = args.events // 2
        rounds = {}
        for name, ids, crashes in (("plain", range(0, half), 0), ("crashes", range(half, args.events),
                                                                  args.crashes)):
            exts = [f"wm-bench-{i:05d}" for i in ids]
            sb.wecom_customers(corpid, "bench_staff", external_userids=exts)
            for ext in exts:
                events.process_batch(sqs_event(event(a, "add_external_contact", ext, now, way["state"])))
            payloads = [event(a, "del_follow_user", ext, now + 60) for ext in exts]
            crash_keys = {alerts.alert_key(a, p["dedupe_key"]) for p in payloads[:crashes]}
            rounds[name] = run_round(events, sb, corpid, payloads, crash_keys, counter)
        from scrm import bootstrap
        from scrm.domain.channels import day_of

        counted = bootstrap.staff_store().alert_counts(Scope.system(a), a, day_of(now), day_of(now + 60))
    sandbox.stop()
    for name, r in rounds.items():
        n = r["events"]
        print(f"[{name}] {n} events x {DELIVERIES} deliveries = {r['deliveries']} "
              f"(batch failures {r['batch_failures']})")
        print(f"  app messages received per event: {r['messages'] / n:.3f} ({r['messages']} for {n})")
        print(f"  message/send calls per event: {r['send_calls'] / n:.3f}; repeats WeCom's duplicate check held: "
              f"{r['suppressed']}")
        print(f"  DynamoDB calls per delivery: {r['dynamodb_calls'] / r['deliveries']:.2f} {r['dynamodb_by_op']}")
        print(f"  {r['deliveries'] / r['seconds']:.0f} deliveries/s, moto in-process")
    print(f"alerts counted per day: {counted}")


if __name__ == "__main__":
    main()
