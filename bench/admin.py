"""Admin API cost per request: AWS calls (DynamoDB/SSM) each kind of admin request makes, counted by patching
botocore, with the app driven by chalice.test.Client against in-process moto. Plus the in-process median latency
(moto, noisy, for orientation only).

    PYTHONPATH=layers/common/python:. .venv/bin/python bench/admin.py
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "layers/common/python"), str(ROOT)]
os.environ.update({"AWS_DEFAULT_REGION": "ap-east-1", "AWS_REGION": "ap-east-1", "AWS_ACCESS_KEY_ID": "testing",
                   "AWS_SECRET_ACCESS_KEY": "testing", "SCRM_STAGE": "bench", "POWERTOOLS_LOG_LEVEL": "ERROR"})
os.environ.pop("AWS_ENDPOINT_URL", None)

CALLS: Counter = Counter()


def count_calls():
    from botocore.client import BaseClient

    original = BaseClient._make_api_call

    def counted(self, operation_name, api_params):
        CALLS[f"{self.meta.service_model.service_name}:{operation_name}"] += 1
        return original(self, operation_name, api_params)

    BaseClient._make_api_call = counted


def main() -> None:
    from moto import mock_aws

    with mock_aws():
        from chalice.test import Client

        from app import app
        from scrm.data.registry import ensure_tables
        from tests.integration.admin_helpers import make_api

        ensure_tables()
        with Client(app) as client:
            api = make_api(client, ("acct-a", "acct-b"))
            count_calls()
            key = api.key("acct-a")
            cases = [
                ("GET /accounts/{id} (account key)", lambda: api.call("GET", "/accounts/acct-a", key=key)),
                ("GET /accounts/{id}/keys", lambda: api.call("GET", "/accounts/acct-a/keys", key=key)),
                ("POST /accounts/{id}/keys (audited)",
                 lambda: api.call("POST", "/accounts/acct-a/keys", key=key, body={"role": "read-only"})),
                ("POST keys + Idempotency-Key, replay",
                 lambda: api.call("POST", "/accounts/acct-a/keys", key=key, body={"role": "read-only"},
                                  headers={"Idempotency-Key": "bench-1"})),
                ("GET /accounts/{id}/audit", lambda: api.call("GET", "/accounts/acct-a/audit?limit=20", key=key)),
                ("any route, no key (401)", lambda: api.call("GET", "/accounts/acct-a")),
                ("any route, other account's key (403)",
                 lambda: api.call("GET", "/accounts/acct-a", key=api.key("acct-b"))),
                ("GET /health (no auth, baseline)", lambda: api.call("GET", "/health")),
            ]
            api.call("POST", "/accounts/acct-a/keys", key=key, body={"role": "read-only"},
                     headers={"Idempotency-Key": "bench-1"})  # first use, so the case measures replays
            print(f"{'request':<42} {'AWS calls':>9}  {'breakdown':<60} {'median ms':>9}")
            for name, call in cases:
                CALLS.clear()
                r = call()
                assert r.status_code < 500, (name, r.body)
                calls = dict(CALLS)
                times = []
                for _ in range(30):
                    t0 = time.perf_counter()
                    call()
                    times.append((time.perf_counter() - t0) * 1000)
                breakdown = ", ".join(f"{k.split(':')[1]} {v}" for k, v in sorted(calls.items()))
                print(f"{name:<42} {sum(calls.values()):>9}  {breakdown:<60} {statistics.median(times):>9.1f}")


if __name__ == "__main__":
    main()
