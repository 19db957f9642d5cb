"""Content push figures: API calls and planning time for big audiences.

    .venv/bin/python -m bench.pushes [--followers 1000000] [--customers 10000] [--staff 20]

Runs the real planner + sender and the real WeChat gateway against the WeChat sandbox (in this process,
over HTTP). Pushes, batches and the quota ledger live in the in-memory store (MemoryPushStore, the same
interface and conditional semantics as the DynamoDB store): 1,000,000 conditional ledger writes through
moto would measure moto, not us. Accounts and the token cache use in-process moto. The store's write count
is printed so the DynamoDB cost can be read off.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "layers/common/python"), str(ROOT)]
os.environ.setdefault("AWS_DEFAULT_REGION", "ap-east-1")
os.environ["AWS_REGION"] = os.environ["AWS_DEFAULT_REGION"]
os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", SCRM_STAGE="bench",
                  POWERTOOLS_LOG_LEVEL="ERROR", SCRM_PUSH_RATE="0")
os.environ.pop("AWS_ENDPOINT_URL", None)


def iso(t):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return datetime.fromtimestamp(t, ZoneInfo("Asia/Shanghai")).isoformat()


def setup(sandbox_url):
    os.environ["WECHAT_OA_BASE_URL"] = f"{sandbox_url}/oa"
    os.environ["WECOM_BASE_URL"] = f"{sandbox_url}/wecom"
    from scrm.config import reset_settings

    reset_settings()
    from scrm.data.registry import ensure_tables

    ensure_tables()


def oa_bench(sb, followers: int) -> dict:
    from local.seed import demo_secrets
    from scrm import accounts
    from scrm.services.pushes import PushService
    from scrm.stores.pushes import MemoryPushStore
    from scrm.tenancy import Scope

    s = demo_secrets()
    acct = accounts.register("bench-oa", "oa", "wx00000000bench001", "Bench OA", original_id="gh_bench0000001",
                             account_type="service", **s)
    sb.register_oa(acct.app_id, s["app_secret"], s["token"], s["aes_key"], original_id="gh_bench0000001")
    t = time.perf_counter()
    sb.oa_followers(acct.app_id, count=followers)
    seed_s = time.perf_counter() - t
    store = MemoryPushStore()
    svc = PushService(store)
    push = svc.create(Scope.system(), "bench-oa", {"content": {"type": "text", "text": "May news"},
                                                   "audience": {"type": "all"}, "send_at": iso(time.time() - 5)})
    sb.clear_calls()
    t = time.perf_counter()
    # confirmed without a preview (a preview resolves the audience too: another 100 user/get calls)
    store.update_push("bench-oa", push["push_id"], {"status": "scheduled", "due": "1"})
    claimed = store.claim("bench-oa", push["push_id"], "bench", time.time(), time.time() + 900)
    account = accounts.get("bench-oa")
    plan = svc._plan(claimed, account, "bench")
    plan_s = time.perf_counter() - t
    plan_calls = sb.call_counts()
    sb.clear_calls()
    writes_before = store.writes
    trips_before = store.round_trips
    t = time.perf_counter()
    done = svc.process_run(store.get_push("bench-oa", push["push_id"]), "bench")
    send_s = time.perf_counter() - t
    send_calls = sb.call_counts()
    view = svc.get(Scope.system(), "bench-oa", push["push_id"])
    run = view["runs"][0]
    return {"followers": followers, "seed_s": seed_s, "plan_s": plan_s, "send_s": send_s, "done": done,
            "batches": plan["batches"], "plan_calls": plan_calls, "send_calls": send_calls,
            "sent": run["sent"], "store_writes_plan": writes_before, "store_writes_send": store.writes - writes_before,
            "ledger_round_trips": store.round_trips - trips_before}


def dynamo_ledger_bench(n: int) -> dict:
    """The same reservations through the DynamoDB store on moto: TransactWriteItems counted with a botocore
    hook, for n recipients none at quota, then again with 1 in 100 already at quota (limit 1)."""
    import botocore.client

    from scrm.stores.pushes.dynamo import DynamoPushStore
    from scrm.tenancy import Scope

    calls: list[str] = []
    original = botocore.client.BaseClient._make_api_call

    def counting(self, operation, params):
        if self.meta.service_model.service_name == "dynamodb":
            calls.append(operation)
        return original(self, operation, params)

    store = DynamoPushStore(Scope.system())
    keys = [f"bench#mass#recipient#m202605#o{i:07d}" for i in range(n)]
    botocore.client.BaseClient._make_api_call = counting
    try:
        store.reserve_many("bench", keys, 4, "run#1", int(time.time()) + 86400)
        clean = len(calls)
        fresh = [k.replace("#m202605#", "#m202606#") for k in keys]
        store.reserve_many("bench", fresh[::100], 1, "other#1", int(time.time()) + 86400)
        calls.clear()
        granted = store.reserve_many("bench", fresh, 1, "run#2", int(time.time()) + 86400)
        at_quota = len(calls)
    finally:
        botocore.client.BaseClient._make_api_call = original
    return {"n": n, "clean": clean, "at_quota": at_quota, "refused": granted.count(False),
            "kinds": sorted(set(calls))}


def wecom_bench(sb, customers: int, staff: int) -> dict:
    from local.seed import demo_secrets
    from scrm import accounts
    from scrm.services.pushes import PushService
    from scrm.stores.pushes import MemoryPushStore
    from scrm.tenancy import Scope

    s = demo_secrets()
    acct = accounts.register("bench-wecom", "wecom", "ww00000000bench001", "Bench corp", **s)
    sb.register_wecom(acct.app_id, s["app_secret"], s["token"], s["aes_key"])
    per = customers // staff
    for i in range(staff):
        sb.wecom_customers(acct.app_id, f"staff{i:02d}", count=per)
    store = MemoryPushStore()
    svc = PushService(store)
    sb.clear_calls()
    t = time.perf_counter()
    push = svc.create(Scope.system(), "bench-wecom", {"content": {"type": "wecom", "text": "新品上市"},
                                                      "audience": {"type": "all"}, "send_at": iso(time.time() - 5),
                                                      "confirm": True})
    preview_calls = sb.call_counts()
    sb.clear_calls()
    svc.run_due()
    total_s = time.perf_counter() - t
    calls = sb.call_counts()
    run = svc.get(Scope.system(), "bench-wecom", push["push_id"])["runs"][0]
    return {"customers": per * staff, "staff": staff, "preview_calls": preview_calls, "run_calls": calls,
            "sent": run["sent"], "batches": run["batches"], "total_s": total_s}


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--followers", type=int, default=1_000_000)
    ap.add_argument("--customers", type=int, default=10_000)
    ap.add_argument("--staff", type=int, default=20)
    ap.add_argument("--ledger-recipients", type=int, default=10_000)
    args = ap.parse_args(argv)
    from moto import mock_aws

    from local.sandbox import SandboxClient, SandboxServer

    with mock_aws(), SandboxServer(port=0) as server:
        sb = SandboxClient(server.url, timeout=600)
        setup(server.url)
        oa = oa_bench(sb, args.followers)
        wc = wecom_bench(sb, args.customers, args.staff)
        from local.moto_atomic import install

        install()
        ledger = dynamo_ledger_bench(args.ledger_recipients)

    def n(counts, key):
        return sum(v for k, v in counts.items() if key in k)

    print(f"OA push to {oa['followers']:,} followers by openid list ({oa['batches']} batches of <= 10,000):")
    print(f"  planning: {oa['plan_s']:.1f} s, {n(oa['plan_calls'], 'user/get')} user/get calls "
          f"(audience snapshot), {oa['store_writes_plan']:,} store item writes")
    print(f"  sending:  {n(oa['send_calls'], 'mass/send')} mass/send calls (floor {-(-oa['followers'] // 10000)}), "
          f"{oa['send_s']:.1f} s, {oa['sent']:,} sent, {oa['store_writes_send']:,} store writes "
          f"(quota ledger reservations + batch states)")
    print(f"  quota ledger: {oa['ledger_round_trips']:,} DynamoDB round trips (transactions of <= 100 conditional "
          f"writes; ceil(n/100) = {-(-oa['followers'] // 100):,}), beside {n(oa['send_calls'], 'mass/send')} "
          f"mass/send calls")
    print(f"  total WeChat calls: {sum(oa['plan_calls'].values()) + sum(oa['send_calls'].values())} "
          f"(sandbox seeding {oa['seed_s']:.1f} s not counted)")
    print(f"WeCom push to {wc['customers']:,} customers across {wc['staff']} staff:")
    print(f"  add_msg_template calls: {n(wc['run_calls'], 'add_msg_template')} (floor {wc['staff']}); "
          f"audience listing: {n(wc['run_calls'], 'externalcontact/list') + n(wc['run_calls'], 'follow_user')} "
          f"calls at run + {sum(wc['preview_calls'].values())} at preview; {wc['sent']:,} sent in "
          f"{wc['batches']} batches, {wc['total_s']:.1f} s")
    print(f"Quota ledger on moto (DynamoDB store), {ledger['n']:,} recipients: {ledger['clean']} round trips "
          f"(ceil(n/100) = {-(-ledger['n'] // 100)}); with 1 in 100 at quota: {ledger['at_quota']} round trips, "
          f"{ledger['refused']} left out ({', '.join(ledger['kinds'])})")


if __name__ == "__main__":
    main()
