"""Access-token fetches when 50 workers start cold at once against the sandbox (target: exactly 1).

Each worker is a separate process (a cold Lambda container: empty memory cache, its own gateway),
released together by a barrier, making one API call. moto server holds the shared token table.
Run: PYTHONPATH=layers/common/python:. .venv/bin/python bench/tokens.py
"""

from __future__ import annotations

import multiprocessing as mp
import os
import time

WORKERS = 50


def worker(barrier, results):
    from scrm import accounts
    from scrm.gateway import gateway_for

    account = accounts.get("bench-oa")
    barrier.wait()
    try:
        gateway_for(account).client.tag.get()
        results.put("ok")
    except Exception as exc:  # report, do not hide
        results.put(repr(exc))


def main() -> None:
    from local.seed import demo_secrets
    from local.stack import backing_services

    os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"
    with backing_services("bench") as urls:
        from local.sandbox import SandboxClient
        from scrm import accounts
        from scrm.data.registry import ensure_tables

        ensure_tables()
        s = demo_secrets()
        accounts.register("bench-oa", "oa", "wxbench000000000001", "Bench", **s)
        sb = SandboxClient(urls["sandbox_url"])
        sb.register_oa("wxbench000000000001", s["app_secret"], s["token"], s["aes_key"])
        accounts.forget_cache()

        ctx = mp.get_context("fork")
        barrier, results = ctx.Barrier(WORKERS), ctx.Queue()
        started = time.monotonic()
        workers = [ctx.Process(target=worker, args=(barrier, results)) for _ in range(WORKERS)]
        for w in workers:
            w.start()
        outcomes = [results.get(timeout=120) for _ in workers]
        for w in workers:
            w.join()
        elapsed = time.monotonic() - started
        fetches = sb.stats()["token_fetches"].get("wxbench000000000001", 0)
        api_calls = sb.call_counts(path_contains="tags/get")
        print(f"workers: {WORKERS}  succeeded: {outcomes.count('ok')}  failed: {WORKERS - outcomes.count('ok')}")
        print(f"access-token fetches: {fetches} (target 1)")
        print(f"tags/get calls: {sum(api_calls.values())}  wall time: {elapsed:.1f}s")
        errors = [o for o in outcomes if o != "ok"]
        if errors:
            print("first error:", errors[0])

if __name__ == "__main__":
    main()
