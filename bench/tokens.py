"""Access-token fetches when 50 workers start cold at once against the sandbox (target: exactly 1).

Each worker is a separate process (a cold Lambda container: empty memory cache, its own gateway),
released together by a barrier, making one API call. moto server holds the shared token table.
Run: PYTHONPATH=layers/common/python:. .venv/bin/python bench/tokens.py
"""

from __future__ import annotations

import multiprocessing as mp
import os
import subprocess
import sys
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
    from local.stack import REGION, demo_secrets, free_port, wait_http

    moto_port, sandbox_port = free_port(), free_port()
    env = {"AWS_ENDPOINT_URL": f"http://127.0.0.1:{moto_port}", "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x",
           "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION, "SCRM_STAGE": "bench",
           "WECHAT_OA_BASE_URL": f"http://127.0.0.1:{sandbox_port}/oa", "POWERTOOLS_LOG_LEVEL": "WARNING"}
    os.environ.update(env)
    procs = [subprocess.Popen([sys.executable, "-m", "local.moto_atomic", "-p", str(moto_port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
             subprocess.Popen([sys.executable, "-m", "local.sandbox", "--port", str(sandbox_port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        wait_http(f"http://127.0.0.1:{moto_port}/moto-api/")
        wait_http(f"http://127.0.0.1:{sandbox_port}/_sandbox/clock")
        from local.sandbox import SandboxClient
        from scrm import accounts
        from scrm.data.registry import ensure_tables

        ensure_tables()
        s = demo_secrets()
        accounts.register("bench-oa", "oa", "wxbench000000000001", "Bench", **s)
        sb = SandboxClient(f"http://127.0.0.1:{sandbox_port}")
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
    finally:
        for p in procs:
            p.terminate()


if __name__ == "__main__":
    main()
