"""Follower sync benchmark: a sync of --followers (default 1,000,000) followers against an in-memory fake OA that
counts calls (tests/unit/fake_oa_followers.py: user/get pages of 10,000, user/info/batchget of at most 100),
through the real use cases (scrm.services.followers: start, the worker's steps, the sweep) on the contact store's
in-memory twin (its conditions are the DynamoDB ones: tests/contract/test_follower_store.py).

    .venv/bin/python bench/followers.py [--followers 1000000] [--crash-at 37] [--unfollow 1000]

Prints the WeChat calls of a first sync against the floor (user/info/batchget = ceil(n/100), user/get =
ceil(n/10,000)), the store's transactions, and that the counters equal a recount of the profiles. Then --unfollow
followers leave and a second sync marks them, with the store failing during step --crash-at (after some of its
transactions were written; -1: no crash) and the step redelivered: the calls grow by one page's worth, the
counters not at all.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "layers/common/python"), str(ROOT)]

from scrm import bootstrap  # noqa: E402
from scrm.domain import followers as rules  # noqa: E402
from scrm.services import followers  # noqa: E402
from scrm.services.followers import common, sync  # noqa: E402
from scrm.stores.contacts import MemoryContactStore  # noqa: E402
from scrm.tenancy import Scope  # noqa: E402
from tests.unit.fake_oa_followers import FakeFollowers  # noqa: E402

A = "bench-oa"
T0 = 1_780_000_000


class CountingStore(MemoryContactStore):
    def __init__(self):
        super().__init__()
        self.transactions = 0

    def save_follower_profiles(self, *args, **kw):
        self.transactions += 1
        return super().save_follower_profiles(*args, **kw)


def recount(store) -> dict:
    counts: Counter = Counter()
    for p in store.profiles.values():
        for k in rules.counter_keys(p):
            counts[k] += 1
    return dict(counts)


def run_sync(queue, store, crash_at=None) -> None:
    followers.start_sync(Scope.system(A), A)
    while queue:
        msg = queue.pop(0)
        if crash_at is not None and msg["event"]["step"] == crash_at:
            store.fail_next_save, crash_at = 1, None
            try:
                sync.on_sync_step(msg)
            except ConnectionError:
                queue.insert(0, msg)  # the queue redelivers the step
                continue
        sync.on_sync_step(msg)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--followers", type=int, default=1_000_000)
    ap.add_argument("--crash-at", type=int, default=37)
    ap.add_argument("--unfollow", type=int, default=1000)
    args = ap.parse_args()
    n = args.followers
    queue: list = []
    store = CountingStore()
    now = [T0]
    bootstrap.reset(clock=lambda: now[0], contact_store=store, follower_queue=queue.append)
    fake = FakeFollowers(n)
    common.oa_account = lambda account_id: SimpleNamespace(account_id=account_id, kind="oa")
    common.gateway_of = lambda account: fake

    started = time.perf_counter()
    run_sync(queue, store)
    took = time.perf_counter() - started
    counts = store.follower_counts(A)
    print(f"followers {n:,}: user/info/batchget {fake.calls['user/info/batchget']:,} "
          f"(floor {math.ceil(n / 100):,}), user/get {fake.calls['user/get']:,} (floor {math.ceil(n / 10000):,}), "
          f"tags/get {fake.calls['tags/get']}")
    print(f"store transactions {store.transactions:,} ({n / max(store.transactions, 1):.1f} profiles each), "
          f"total counted {counts.get('total', 0):,}, counters == recount: {counts == recount(store)}, "
          f"{took:.0f} s")

    fake.calls.clear()
    fake.gone.update(fake.order[:args.unfollow])
    now[0] += 86400
    run_sync(queue, store, crash_at=args.crash_at if args.crash_at >= 0 else None)
    counts = store.follower_counts(A)
    marked = followers.sync_status(Scope.system(A), A)["unfollowed"]
    print(f"second sync after {args.unfollow:,} unfollowed, the store failing mid-page {args.crash_at} (the step "
          f"redelivered: one page's calls again): batchget {fake.calls['user/info/batchget']:,}, "
          f"user/get {fake.calls['user/get']:,}, marked unfollowed {marked:,}, "
          f"total {counts.get('total', 0):,}, counters == recount: {counts == recount(store)}")


if __name__ == "__main__":
    main()
