"""Votes on one hot option: N votes (distinct users, concurrent) counted exactly, and store round trips per vote.

    .venv/bin/python bench/votes.py                  # 400 votes, 16 threads, 4 counter shards, 3 retries per vote
    .venv/bin/python bench/votes.py --votes 2000 --threads 32 --shards 8

In-process moto made atomic per request (local.moto_atomic, as the integration tests run it). Every vote is the
use case `scrm.services.campaigns.vote` for a distinct user on the same option, then each is sent again `--retries`
times with its request id (a double tap or a client retry): they must count 0 more. Prints the option's count
(must equal N), distinct voters, the counter shards used, and DynamoDB calls per first vote and per retry by
operation (every botocore call counted: PynamoDB goes through it).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "layers/common/python"), str(ROOT)]
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ["POWERTOOLS_LOG_LEVEL"] = "ERROR"


class Calls:
    """DynamoDB calls by operation, counted at botocore's one entry point."""

    def __init__(self):
        import botocore.client

        self.counts: Counter = Counter()
        self.on = False
        original = botocore.client.BaseClient._make_api_call
        calls = self

        def counted(client, operation, params):
            if calls.on and client.meta.service_model.service_name == "dynamodb":
                calls.counts[operation] += 1
            return original(client, operation, params)

        botocore.client.BaseClient._make_api_call = counted

    def measure(self, fn):
        self.counts.clear()
        self.on = True
        try:
            fn()
        finally:
            self.on = False
        return Counter(self.counts)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--votes", type=int, default=400)
    ap.add_argument("--threads", type=int, default=16)
    ap.add_argument("--shards", type=int, default=4)
    ap.add_argument("--retries", type=int, default=3)
    args = ap.parse_args()
    from moto import mock_aws

    from local.moto_atomic import install

    install()
    calls = Calls()
    with mock_aws():
        run(args, calls)


def run(args, calls: Calls) -> None:
    from scrm.data.campaigns import campaign_key
    from scrm.data.registry import ensure_tables
    from scrm.data.votes import VoteRecord
    from scrm.services import campaigns as svc
    from scrm.tenancy import Scope
    from tests.integration.admin_helpers import register

    ensure_tables()
    account = "bench-oa"
    register(account)
    scope = Scope.system(account)
    now = time.time()
    svc.create_campaign(scope, account, {
        "campaign_id": "hot", "name": "Bench", "starts_at": int(now - 60), "ends_at": int(now + 86400),
        "status": "active", "kind": "vote", "eligibility": {"must_follow": False},
        "voting": {"votes_per_day": 1, "shards": args.shards},
        "options": [{"option_id": "hot", "title": "Hot"}, {"option_id": "cold", "title": "Cold"}]})
    svc.public_results(account, "hot")  # warm the account and campaign caches out of the counted calls

    def vote(i):
        return svc.vote(account, "hot", f"user{i:06d}", "hot", f"request-{i:06d}")

    started = time.perf_counter()
    with ThreadPoolExecutor(args.threads) as pool:
        first = calls.measure(lambda: list(pool.map(vote, range(args.votes))))
    seconds = time.perf_counter() - started
    with ThreadPoolExecutor(args.threads) as pool:
        again = calls.measure(lambda: [r for r in pool.map(vote, [i for i in range(args.votes)
                                                                   for _ in range(args.retries)])
                                       if not r["replayed"]])
    results = svc.vote_results(scope, account, "hot")
    shards = [r for r in VoteRecord.query(campaign_key(account, "hot"), VoteRecord.sk.startswith("c#hot#"))]
    hot = next(o for o in results["options"] if o["option_id"] == "hot")
    n = args.votes
    print(f"votes sent: {n} first + {n * args.retries} retries, {args.threads} threads, {args.shards} shards")
    print(f"option count: {hot['votes']} (exact: {hot['votes'] == n}); distinct voters: {results['voters']}; "
          f"day count: {results['days'][0]['votes']}")
    print(f"counter shards used: {len(shards)}, votes each: {sorted(int(s.votes) for s in shards)}")
    print(f"DynamoDB calls per first vote: {sum(first.values()) / n:.2f} "
          + ", ".join(f"{op} {c / n:.2f}" for op, c in sorted(first.items())))
    print(f"DynamoDB calls per retry: {sum(again.values()) / (n * args.retries):.2f} "
          + ", ".join(f"{op} {c / (n * args.retries):.2f}" for op, c in sorted(again.items())))
    print(f"first votes took {seconds:.1f} s in moto ({n / seconds:.0f}/s; moto's lock, not DynamoDB)")


if __name__ == "__main__":
    main()
