"""Draws under contention: N concurrent draws against stock S of one coupon prize, on moto server.

    .venv/bin/python bench/draws.py                 # service directly, moto server (atomic) over HTTP
    .venv/bin/python bench/draws.py --http          # user draw endpoint over HTTP (chalice local) too

Prints: draws, wins, oversold, codes handed out twice, stock left, refused as busy, draws/s, and the
design ceiling for one prize. Every draw is a distinct user with a fresh request id; the prize has
probability 1, so every draw tries to win and exactly S must.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "layers/common/python"), str(ROOT)]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--draws", type=int, default=2000)
    ap.add_argument("--stock", type=int, default=100)
    ap.add_argument("--shards", type=int, default=4)
    ap.add_argument("--threads", type=int, default=64)
    ap.add_argument("--http", action="store_true", help="go through the user draw endpoint (chalice local)")
    args = ap.parse_args()

    from local.stack import backing_services

    os.environ["POWERTOOLS_LOG_LEVEL"] = "ERROR"
    with backing_services("bench", sandbox=False):
        run(args)


def run(args) -> None:
    import requests

    from scrm import accounts
    from scrm.data.registry import ensure_tables
    from scrm.services import campaigns as svc
    from scrm.tenancy import Scope

    ensure_tables()
    account = "bench-oa"
    accounts.register(account, "oa", "wx00000000bench001", "Bench OA", app_secret="s" * 32, token="tok12345",
                      aes_key="A" * 43)
    scope = Scope.system(account)
    now = time.time()
    cid = "b" + uuid.uuid4().hex[:10]
    svc.create_campaign(scope, account, {
        "campaign_id": cid, "name": "Bench", "starts_at": int(now - 60), "ends_at": int(now + 86400),
        "status": "active", "eligibility": {"must_follow": False}, "limits": {"draws_per_day": 5},
        "prizes": [{"prize_id": "hot", "name": "Hot coupon", "kind": "coupon", "probability": 1.0,
                    "shards": args.shards}]})
    svc.upload_codes(scope, account, cid, "hot", [f"HOT-{i:06d}" for i in range(args.stock)])

    if args.http:
        import threading

        from chalice.config import Config
        from chalice.local import create_local_server

        from app import app
        from local.stack import free_port

        api_port = free_port()
        server = create_local_server(app, Config.create(chalice_stage="local", app_name="wechat-scrm"),
                                     "127.0.0.1", api_port)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        tokens = [svc.issue_user_token(account, f"user{i:05d}", ttl=3600)["token"] for i in range(args.draws)]
        session_local = threading.local()

        def one(i):
            s = getattr(session_local, "s", None) or requests.Session()
            session_local.s = s
            r = s.post(f"http://127.0.0.1:{api_port}/u/{account}/campaigns/{cid}/draws",
                       json={"request_id": f"req-{i:08d}"}, headers={"Authorization": f"Bearer {tokens[i]}"},
                       timeout=120)
            return r.json() if r.status_code == 200 else {"outcome": f"http {r.status_code}"}
    else:
        def one(i):
            try:
                return svc.draw(account, cid, f"user{i:05d}", f"req-{i:08d}")
            except Exception as exc:
                return {"outcome": type(exc).__name__}

    start = time.perf_counter()
    with ThreadPoolExecutor(args.threads) as pool:
        results = list(pool.map(one, range(args.draws)))
    elapsed = time.perf_counter() - start

    outcomes = Counter(r["outcome"] for r in results)
    codes = [r["prize"]["code"] for r in results if r["outcome"] == "win"]
    report = svc.report(scope, account, cid)
    prize = report["prizes"][0]
    busy = sum(v for k, v in outcomes.items() if k not in ("win", "thanks"))
    print(f"mode: {'HTTP user endpoint (chalice local)' if args.http else 'service directly'} -> moto server "
          f"(atomic DynamoDB), {args.threads} threads, {args.shards} stock shards")
    print(f"draws: {args.draws}  wins: {outcomes['win']}  thanks: {outcomes['thanks']}  other: {busy} "
          f"{dict((k, v) for k, v in outcomes.items() if k not in ('win', 'thanks'))}")
    print(f"stock: {args.stock}  issued: {prize['issued']}  stock_left: {prize['stock_left']}  "
          f"oversold: {max(0, outcomes['win'] - args.stock)}  codes handed out twice: {len(codes) - len(set(codes))}")
    print(f"draws recorded (report): {report['draws']}  wins recorded: {report['wins']}")
    print(f"elapsed: {elapsed:.1f}s  draws/s: {args.draws / elapsed:.0f}")
    per_shard = 500
    print(f"design ceiling for one prize: {args.shards} shard items x ~{per_shard} winning draws/s "
          f"(1,000 WCU/s per item, 2 WCU per transactional write) = ~{args.shards * per_shard} winning draws/s; "
          f"transaction conflicts on a shard item lower it, losing draws never touch the shards")
    ok = outcomes["win"] == args.stock and len(codes) == len(set(codes)) and prize["stock_left"] == 0
    print("EXACT" if ok else "NOT EXACT")
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
