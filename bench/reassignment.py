"""Reassignment benchmark: 10,000 customers of one departed staff member over 7 takeovers, in the sandbox.

    PYTHONPATH=layers/common/python:. .venv/bin/python bench/reassignment.py [--customers 10000] [--takeovers 7]

moto in-process (atomic DynamoDB) and the WeChat sandbox in-process, over HTTP through the real gateway.
The departure arrives as the delete_user handler; the plan is made, then advanced (every batch sent);
the sandbox clock is advanced 24 h; the plan is advanced again (transfer_result polled to the end).
Prints: transfer API calls (floor ceil(n/100) per takeover), transfer_result calls, balance across
takeovers (max - min), seconds to plan and to submit (moto in-process is far slower than DynamoDB per
item: an upper bound), and how many customers ended in each state (all must be final).
"""

from __future__ import annotations

import argparse
import math
import os
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--takeovers", type=int, default=7)
    args = parser.parse_args()

    from moto import mock_aws

    from local.moto_atomic import install
    from local.sandbox import SandboxClient, SandboxServer
    from local.seed import demo_secrets

    install()
    server = SandboxServer(port=0).start()
    os.environ["WECOM_BASE_URL"] = f"{server.url}/wecom"
    with mock_aws():
        from scrm import accounts
        from scrm.data.registry import ensure_tables
        from scrm.queues import ensure_queues
        from scrm.services import reassignment as svc
        from scrm.services.events import handlers_for

        ensure_tables()
        ensure_queues()
        s = demo_secrets()
        account = accounts.register("bench-wecom", "wecom", "ww00000000bench001", "Bench corp", **s)
        sb = SandboxClient(server.url)
        sb.register_wecom(account.app_id, s["app_secret"], s["token"], s["aes_key"])
        takeovers = [f"taker{i}" for i in range(args.takeovers)]
        for t in takeovers:
            sb.wecom_staff(account.app_id, t)
        left = args.customers
        while left:
            n = min(left, 2000)
            sb.wecom_customers(account.app_id, "leaver", count=n)
            left -= n
        sb.wecom_event(account.app_id, "delete_user", userid="leaver")
        sb.clear_calls()

        t0 = time.perf_counter()
        payload = {"account_id": "bench-wecom", "platform": "wecom", "kind": "wecom.change_contact.delete_user",
                   "dedupe_key": "bench", "event": {"UserID": "leaver"}}
        for handler in handlers_for(payload["kind"]):
            handler(payload)
        t_plan = time.perf_counter() - t0
        plan = svc.staff_history(svc.Scope.system("bench-wecom"), "bench-wecom", "leaver")[0]
        t1 = time.perf_counter()
        first = svc.advance("bench-wecom", plan["plan_id"], poll=False)
        t_submit = time.perf_counter() - t1
        counts = sb.call_counts(platform="wecom")
        transfer_calls = counts.get("wecom:externalcontact/resigned/transfer_customer", 0)

        sb.advance(24 * 3600 + 60)
        t2 = time.perf_counter()
        last = svc.advance("bench-wecom", plan["plan_id"])
        t_follow = time.perf_counter() - t2
        counts = sb.call_counts(platform="wecom")

        from scrm.data.transfers import TransferItem

        items = list(TransferItem.query(f"bench-wecom#{plan['plan_id']}"))
        states = Counter(i.state for i in items)
        per_takeover = Counter(i.takeover_userid for i in items)
        accepted = Counter()
        for call in sb.calls(path_contains="transfer_customer"):
            for row in (call["response"] or {}).get("customer") or []:
                if row["errcode"] == 0:
                    accepted[row["external_userid"]] += 1
        floor = sum(math.ceil(n / 100) for n in per_takeover.values())
        print(f"customers: {args.customers}, takeovers: {args.takeovers}")
        print(f"transfer_customer calls: {transfer_calls} (floor {floor}; largest batch "
              f"{max(len(c['body']['external_userid']) for c in sb.calls(path_contains='transfer_customer'))})")
        print(f"transfer_result calls (24 h follow-up, page size 100): "
              f"{counts.get('wecom:externalcontact/resigned/transfer_result', 0)}")
        print(f"other WeCom calls: { {k: v for k, v in counts.items() if 'transfer' not in k} }")
        print(f"balance per takeover: {dict(sorted(per_takeover.items()))} -> max - min = "
              f"{max(per_takeover.values()) - min(per_takeover.values())}")
        print(f"customers accepted more than once: {sum(1 for v in accepted.values() if v > 1)}; "
              f"accepted once: {sum(1 for v in accepted.values() if v == 1)}")
        print(f"time to plan (callback handler: list, assign, store items+batches): {t_plan:.1f} s")
        print(f"time to submit (all batches sent, results stored): {t_submit:.1f} s; after submit: "
              f"{first['counts']['waiting']} waiting")
        print(f"time to follow up after the clock moved 24 h: {t_follow:.1f} s; plan status {last['status']}")
        print(f"final states: {dict(states)}; customers not final: "
              f"{sum(v for k, v in states.items() if k not in ('done', 'refused', 'limit_exceeded', 'failed'))}")
    server.stop()


if __name__ == "__main__":
    main()
