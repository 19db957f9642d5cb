"""Tokens are shared through DynamoDB: one fetch however many cold workers start at once."""

import threading

from scrm.gateway.tokens import TokenCache, forget_memory
from tests.timing import Clock


def test_fifty_cold_workers_fetch_once(aws):
    fetches = []
    gate = threading.Barrier(50)

    def fetch():
        fetches.append(1)
        return "TOKEN-1", 7200

    results = []
    # a clock that does not move: on a loaded machine the first worker's lock must not "expire" while 49
    # others poll, which would be a second fetch caused by the machine's speed, not by the code
    clock = Clock()

    def worker():
        cache = TokenCache(lock_seconds=5, clock=clock)  # each worker: its own container, empty memory
        gate.wait()
        results.append(cache.get("oa:wx1", fetch))

    threads = [threading.Thread(target=worker) for _ in range(50)]
    forget_memory()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(fetches) == 1
    assert results == ["TOKEN-1"] * 50


def test_expired_token_is_refetched_and_invalidate_only_drops_the_bad_one(aws):
    now = [1_000_000.0]
    cache = TokenCache(lock_seconds=5, clock=lambda: now[0])
    tokens = iter(["A", "B", "C"])

    def fetch():
        return next(tokens), 7200

    assert cache.get("k", fetch) == "A"
    now[0] += 7200  # past expiry minus the early-refresh margin
    forget_memory()
    assert cache.get("k", fetch) == "B"
    cache.invalidate("k", "A")  # a stale complaint about an old token changes nothing
    assert cache.get("k", fetch) == "B"
    cache.invalidate("k", "B")
    assert cache.get("k", fetch) == "C"


def test_failed_fetch_releases_the_lock(aws):
    cache = TokenCache(lock_seconds=30)

    def broken():
        raise RuntimeError("wechat down")

    try:
        cache.get("k2", broken)
    except RuntimeError:
        pass
    assert cache.get("k2", lambda: ("OK", 7200)) == "OK"
