"""OA insight back-fill: datacube calls per API for a first run (30 days), against each API's floor ceil(30/span).

    PYTHONPATH=layers/common/python:. .venv/bin/python bench/oa_insight.py [--accounts 3]

moto in-process and the WeChat sandbox in-process; `--accounts` OAs registered in both, each with followers who
followed and unfollowed over the last 30 days (sandbox events), so getusersummary / getusercumulate are derived
from real events. The schedule's handler (functions/oa_insight.py) runs three times: the first run back-fills 30
days, the second (same day) must ask nothing, the third (the next day) one call per API. Then a round where one API
is refused (48001) for every account: the others still run, the refused one is asked once per account.
Prints calls per API per account, the floor, days stored, and DynamoDB writes per stored day.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
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

DAY = 86400


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


TOKEN_EXPIRED = (40001, 42001)  # the sandbox's clock moved a day: a cached token expired, refreshed, call repeated


def datacube_calls(sb) -> Counter:
    """datacube calls per API, a token-expired attempt (repeated at once by the gateway) left out."""
    return Counter(c["path"].split("/", 1)[1] for c in sb.calls(path_contains="datacube/")
                   if c.get("errcode") not in TOKEN_EXPIRED)


def run(handler, sb, counter) -> tuple[dict, Counter, Counter]:
    from tests.packaging.recorded import SCHEDULED, LambdaContext

    sb.clear_calls()
    counter.ops = Counter()
    counter.on = True
    out = handler(SCHEDULED, LambdaContext("OaInsight"))
    counter.on = False
    return out, datacube_calls(sb), Counter(counter.ops)


def main() -> None:  # noqa: C901 (one linear scenario)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=3)
    args = parser.parse_args()

    counter = CallCounter()
    counter.install()
    from moto import mock_aws

    from local.moto_atomic import install

    install()
    from local.sandbox import SandboxClient, SandboxServer

    sandbox = SandboxServer(port=0).start()
    os.environ["WECHAT_OA_BASE_URL"] = f"{sandbox.url}/oa"
    sb = SandboxClient(sandbox.url)
    with mock_aws():
        from local.seed import demo_secrets
        from scrm import accounts, bootstrap
        from scrm.config import reset_settings
        from scrm.data.registry import ensure_tables
        from scrm.domain.insight import APIS, MAX_SPAN

        reset_settings()
        ensure_tables()
        s = demo_secrets()
        start = sb.now()
        for n in range(args.accounts):
            appid = f"wx0000000000bench{n}"
            accounts.register(f"bench-oa-{n}", "oa", appid, f"Bench OA {n}", account_type="service",
                              **{**s, "token": f"benchtoken{n:04d}"})  # a Token is one account's
            sb.register_oa(appid, s["app_secret"], s["token"], s["aes_key"], account_type="service")
            sb.oa_followers(appid, count=1000)
            for d in range(1, 31):  # followers joining (through a code or search) and leaving, day by day
                t = int(start) - d * DAY
                for k in range(d % 5 + 1):
                    sb.oa_event(appid, "subscribe", openid=f"o_bench_{n}_{d}_{k}", create_time=t + k,
                                **({"scene": "shop"} if k % 2 else {}))
                if d % 3 == 0:
                    sb.oa_event(appid, "unsubscribe", openid=f"o_bench_{n}_{d}_0", create_time=t + 100)
        now = [start]
        bootstrap.container().clock = lambda: now[0]
        from functions.oa_insight import oa_insight

        floor = {api: math.ceil(30 / MAX_SPAN[api]) for api in APIS}
        first, calls1, ops1 = run(oa_insight, sb, counter)
        again, calls2, _ = run(oa_insight, sb, counter)
        now[0] += DAY
        sb.advance(DAY)
        nxt, calls3, _ = run(oa_insight, sb, counter)
        # a refusal round: getarticleread refused for every account on the next day
        now[0] += DAY
        sb.advance(DAY)
        sb.fault("datacube/getarticleread", errcode=48001, platform="oa", times=args.accounts)
        refused, calls4, _ = run(oa_insight, sb, counter)
        report = {
            "accounts": args.accounts,
            "first_run": {"calls_per_account": {api: calls1[api] / args.accounts for api in APIS}, "floor": floor,
                          "at_floor": all(calls1[api] == floor[api] * args.accounts for api in APIS),
                          "days_stored": first["days"],
                          "dynamodb_writes_per_day_stored": round(ops1["PutItem"] / max(1, first["days"]), 3)},
            "same_day_rerun": {"calls": sum(calls2.values()), "days": again["days"]},
            "next_day": {"calls_per_account": {api: calls3[api] / args.accounts for api in APIS},
                         "days": nxt["days"]},
            "one_api_refused": {"refused": refused["refused"], "calls_per_account": {
                api: calls4[api] / args.accounts for api in APIS}, "days": refused["days"]},
        }
        print(json.dumps(report, indent=2, ensure_ascii=False))
    sandbox.stop()


if __name__ == "__main__":
    main()
