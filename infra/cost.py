"""The AWS bill per month, from the counts bench/ measures, at on-demand list prices: `python -m infra.cost`.

    python -m infra.cost                 # markdown tables (infra/COST.md is this output plus its reading)
    python -m infra.cost --prices my.json   # another region's or date's prices: same keys as PRICES

Counts per unit of work come from bench/README.md (round trips, items written, API calls); Lambda time is
billed duration = handler CPU measured in bench/ + an assumed in-region round-trip time per AWS call + the
WeChat API time per call (assumptions named in ASSUMPTIONS, change them with --set name=value).
"""

from __future__ import annotations

import argparse
import json
import sys

from infra.template import INTERFACE_ENDPOINTS

# On-demand list prices, USD, for the deploy region ap-east-1 (Asia Pacific (Hong Kong)) where the stored sources
# carry that region's figure, else the US East figure, marked as such in SOURCES (and in COST.md's price table):
# AWS's pricing pages render their regional tables in the browser, so most regional figures are not in the text
# that could be read. A US East figure understates Hong Kong's bill (its list prices are higher); pass
# `--prices` with the figures of the AWS Pricing Calculator for ap-east-1 before quoting a bill.
REGION, PRICE_DATE = "ap-east-1", "2026-12-04"
PRICES = {
    "lambda_gb_s": 0.00002292, "lambda_request": 0.20e-6,
    "apigw_rest_request": 3.50e-6,
    "ddb_write_request": 0.625e-6, "ddb_read_request": 0.125e-6, "ddb_gb_month": 0.25, "ddb_pitr_gb_month": 0.20,
    "sqs_request": 0.40e-6,
    "logs_ingest_gb": 0.50, "logs_store_gb_month": 0.03, "alarm_month": 0.10, "xray_trace": 5.0e-6,
    "ssm_standard_param": 0.0,  # standard parameters and standard throughput: no charge
    "kms_key_month": 1.0, "kms_request": 0.03 / 10_000,
    "nat_hour": 0.045, "nat_gb": 0.045, "public_ipv4_hour": 0.005,
    "interface_endpoint_hour_az": 0.01, "interface_endpoint_gb": 0.01,
    "ec2_m6i_xlarge_hour": 0.192,  # 4 vCPU / 16 GiB: LinkWeChat's documented minimum
    "ec2_t3_large_hour": 0.0832,  # 2 vCPU / 8 GiB: a MoChat PHP host
    "rds_mysql_t3_medium_hour": 0.068, "rds_gb_month": 0.115, "elasticache_t3_small_hour": 0.034,
    "ebs_gp3_gb_month": 0.08,
}
HK, NONE = "ap-east-1", "no region stated"
USE1, USE2 = "us-east-1 (ap-east-1 not found)", "us-east-2 (ap-east-1 not found)"
# Where each figure comes from: (region the figure is for, source, when it was read). "not found" means the
# stored sources had no figure for the deploy region: the US East list price is used (the only one available),
# knowing that Hong Kong's is higher.
SEEN = "2026-12-04"
KEPT_TEXT = "no figure in the stored page text: the us-east-1 list price this model used before (read 2024-12)"
SOURCES = {
    "lambda_gb_s": (HK, "https://app.unpkg.com/artillery@2.0.28/files/lib/platform/aws-lambda/prices.js (x86_64, "
                        "ap-east-1, transcribed from https://aws.amazon.com/lambda/pricing/; a 2023 gist "
                        "https://gist.github.com/thiagozs/019a25fbcbd987209ef1d25e10d0dde9 lists 0.00002333)"),
    "lambda_request": (HK, "https://gist.github.com/thiagozs/019a25fbcbd987209ef1d25e10d0dde9 (ap-east-1: $0.20 per "
                           "1M); https://docs.aws.amazon.com/whitepapers/latest/how-aws-pricing-works/lambda.html"),
    "apigw_rest_request": (NONE, "https://docs.aws.amazon.com/whitepapers/latest/best-practices-api-gateway-private-"
                                 "apis-integration/cost-optimization.html (REST: first 333M at $3.50 per 1M)"),
    "ddb_write_request": (USE1, "https://aws.amazon.com/dynamodb/pricing/on-demand/ (" + KEPT_TEXT + ")"),
    "ddb_read_request": (USE1, "https://aws.amazon.com/dynamodb/pricing/on-demand/ (" + KEPT_TEXT + ")"),
    "ddb_gb_month": (USE1, "https://aws.amazon.com/dynamodb/pricing/on-demand/ (" + KEPT_TEXT + ")"),
    "ddb_pitr_gb_month": (USE1, "https://aws.amazon.com/dynamodb/pricing/on-demand/ (" + KEPT_TEXT + ")"),
    "sqs_request": (USE1, "https://unanswered.io/guide/aws-sqs-pricing-and-cost-optimization, "
                          "https://cloudburn.io/blog/amazon-sqs-pricing (US East, $0.40 per 1M standard)"),
    "logs_ingest_gb": (USE1, "https://cloudburn.io/blog/amazon-cloudwatch-pricing (US East, $0.50 per GB)"),
    "logs_store_gb_month": (USE1, "https://aws.amazon.com/cloudwatch/pricing/ (" + KEPT_TEXT + ")"),
    "alarm_month": (USE1, "https://aws.amazon.com/cloudwatch/pricing/ (" + KEPT_TEXT + ")"),
    "xray_trace": (NONE, "https://aws.amazon.com/de/xray/pricing/ ($5 per 1M traces recorded)"),
    "ssm_standard_param": (NONE, "https://aws.amazon.com/systems-manager/pricing/ (not in the stored sources: "
                                 "standard parameters and standard throughput are free, as the model had it)"),
    "kms_key_month": (NONE, "https://aws.amazon.com/kms/pricing/ ($1 per key-month; each automatic rotation's "
                            "backing key another $1 per month)"),
    "kms_request": (NONE, "https://aws.amazon.com/kms/pricing/, https://www.wring.co/blog/aws-kms-pricing-guide "
                          "($0.03 per 10,000 symmetric requests, 20,000 free a month)"),
    "nat_hour": (USE2, "https://raw.githubusercontent.com/api-evangelist/amazon-vpc/refs/heads/main/plans/amazon-vpc-"
                       "plans-pricing.yml (the example of https://aws.amazon.com/vpc/pricing/, US East (Ohio))"),
    "nat_gb": (USE2, "https://aws.amazon.com/vpc/pricing/ via the file of nat_hour ($0.045 per GB processed, "
                     "the same US East (Ohio) example)"),
    "public_ipv4_hour": (USE1, "https://aws.amazon.com/vpc/pricing/ (" + KEPT_TEXT + ")"),
    "interface_endpoint_hour_az": (USE1, "https://aws.amazon.com/privatelink/pricing/ (hourly: " + KEPT_TEXT + ")"),
    "interface_endpoint_gb": (NONE, "https://aws.amazon.com/privatelink/pricing/ as mirrored at "
                                    "https://968880.n0h2l.group/privatelink/pricing (first 1 PB a month: $0.01 per "
                                    "GB, all interface endpoints of a region)"),
    "ec2_m6i_xlarge_hour": (USE1, "https://aws.amazon.com/ec2/pricing/on-demand/ (" + KEPT_TEXT + ")"),
    "ec2_t3_large_hour": (USE1, "https://aws.amazon.com/ec2/pricing/on-demand/ (" + KEPT_TEXT + ")"),
    "rds_mysql_t3_medium_hour": (USE1, "https://aws.amazon.com/rds/mysql/pricing/ (" + KEPT_TEXT + ")"),
    "rds_gb_month": (USE1, "https://aws.amazon.com/rds/mysql/pricing/ (" + KEPT_TEXT + ")"),
    "elasticache_t3_small_hour": (USE1, "https://aws.amazon.com/elasticache/pricing/ (" + KEPT_TEXT + ")"),
    "ebs_gp3_gb_month": (USE1, "https://aws.amazon.com/ebs/pricing/ (" + KEPT_TEXT + ")"),
}
HOURS = 730

ASSUMPTIONS = {
    "aws_call_ms": 6.0,  # one DynamoDB / SQS / SSM round trip from Lambda in-region
    "wechat_call_ms": 120.0,  # one WeChat API call from the region (Hong Kong to api.weixin.qq.com)
    "handler_cpu_ms": 0.25,  # bench/callbacks.py: ours 0.15-0.24 ms per encrypted event
    "log_bytes_per_invocation": 600,
    "alarms": 144,  # what the prod template creates (14 functions x 3, 4 queues x 2, 46 tables x 2, the API x 2)
    # KMS: each (role, table) and (role, queue) pair in use re-decrypts its key about every 5 minutes (DynamoDB
    # caches a table key per caller for 5 minutes; SQS reuses a data key 300 s by default): 12 requests an hour.
    # Schedules keep about 20 pairs warm when idle; 1M callbacks a month (0.4/s, never idle) another 30.
    "kms_pairs_idle": 20, "kms_pairs_busy": 30,
    "tables_gb": 1.0,
    # schedules: 3 every minute (content_push, channel_tagging, inbox_sweeper), 2 every 5 minutes
    # (campaign_draw, channel_upkeep), 1 every 30 minutes, 1 every 6 hours
    "idle_invocations_month": 3 * 60 * 24 * 30 + 2 * 12 * 24 * 30 + 2 * 24 * 30 + 4 * 30,
}

# Work per unit, from bench/README.md (reads are counted where bench/ counts them; otherwise estimated).
WORK = {
    # a WeChat callback: API request, callback function (2 DynamoDB round trips, 1 SQS send), worker share
    # (batch of 10: one invocation per 10 events), 6.71 DynamoDB item writes per delivery in the worker
    # (idempotency 1.95, contact 1.90, stats 0.95, tagging 0.95, interactions 0.95), SQS receive + delete,
    # 1 in 50 followers causes a batchtagging call (20 per 1,000 followers) on the tagging schedule.
    "callback": {"api": 1, "invocations": 1.1, "ddb_writes": 2 + 6.71, "ddb_reads": 2.0, "sqs": 3,
                 "aws_calls": 2 + 1 + 9, "wechat_calls": 0.02, "mem_gb": 1.0},
    # push to 1M followers by openid list: 100 mass/send calls, 101 user/get pages, 501 plan writes and
    # 1,000,300 send-time item writes (per-recipient quota ledger), in content_push (1 GB)
    "push_1m": {"api": 0, "invocations": 60, "ddb_writes": 501 + 1_000_300, "ddb_reads": 1_000,
                "sqs": 0, "aws_calls": 1_000_300 / 25 + 501, "wechat_calls": 201, "mem_gb": 1.0},
    # 10,000 customers reassigned: 105 transfer calls + 106 transfer_result pages; 10,000 items + 105 batches
    # stored, 10,000 results written, ledger per customer; follow-up polling every 30 min for a day
    "reassign_10k": {"api": 0, "invocations": 48 + 200, "ddb_writes": 10_000 + 105 + 10_000 + 10_000,
                     "ddb_reads": 20_000, "sqs": 200 * 3, "aws_calls": 30_105 / 25 + 2_000, "wechat_calls": 211,
                     "mem_gb": 0.5},
}


def lambda_cost(p: dict, invocations: float, seconds: float, mem_gb: float) -> float:
    return invocations * p["lambda_request"] + seconds * mem_gb * p["lambda_gb_s"]


def kms_refreshes(a: dict, pairs_key: str) -> float:
    return a[pairs_key] * 12 * HOURS


def work_cost(p: dict, a: dict, w: dict, units: float = 1) -> dict:
    seconds = units * (w["aws_calls"] * a["aws_call_ms"] + w["wechat_calls"] * a["wechat_call_ms"]
                       + w["invocations"] * a["handler_cpu_ms"]) / 1000
    logs_gb = units * w["invocations"] * a["log_bytes_per_invocation"] / 1e9
    return {
        "Lambda": lambda_cost(p, units * w["invocations"], seconds, w["mem_gb"]),
        "API Gateway": units * w["api"] * p["apigw_rest_request"],
        "DynamoDB": units * (w["ddb_writes"] * p["ddb_write_request"] + w["ddb_reads"] * p["ddb_read_request"]),
        "SQS": units * w["sqs"] * p["sqs_request"],
        "Logs, traces": logs_gb * p["logs_ingest_gb"] + units * w["api"] * p["xray_trace"] * 0.05,  # 5 % sampled
    }


def idle(p: dict, a: dict, vpc: bool) -> dict:
    schedules = a["idle_invocations_month"]
    out = {
        "Lambda (schedules)": lambda_cost(p, schedules, schedules * (3 * a["aws_call_ms"]) / 1000, 0.5),
        "DynamoDB storage + PITR": a["tables_gb"] * (p["ddb_gb_month"] + p["ddb_pitr_gb_month"]),
        "SQS (idle polling of 3 queues)": 3 * 4 * 3 * 60 * 24 * 30 * p["sqs_request"] / 20,  # long polls, 20 s
        "CloudWatch alarms": a["alarms"] * p["alarm_month"],
        "KMS data key (1 key; +$1/month per yearly rotation)": p["kms_key_month"],
        "KMS requests (table and queue keys re-decrypted by the schedules)":
            kms_refreshes(a, "kms_pairs_idle") * p["kms_request"],
    }
    if vpc:
        out["NAT gateway + Elastic IP"] = HOURS * (p["nat_hour"] + p["public_ipv4_hour"])
        out[f"Interface endpoints ({', '.join(INTERFACE_ENDPOINTS).upper()}; 2 AZ each)"] = (
            HOURS * 2 * len(INTERFACE_ENDPOINTS) * p["interface_endpoint_hour_az"])
    return out


def peers(p: dict) -> dict:
    return {
        "LinkWeChat minimum (4 vCPU/16 GiB + MySQL + Redis; Nacos on the host)": HOURS * (
            p["ec2_m6i_xlarge_hour"] + p["rds_mysql_t3_medium_hour"] + p["elasticache_t3_small_hour"])
        + 100 * (p["ebs_gp3_gb_month"] + p["rds_gb_month"]),
        "MoChat (PHP host 2 vCPU/8 GiB + MySQL + Redis)": HOURS * (
            p["ec2_t3_large_hour"] + p["rds_mysql_t3_medium_hour"] + p["elasticache_t3_small_hour"])
        + 100 * (p["ebs_gp3_gb_month"] + p["rds_gb_month"]),
    }


def table(rows: dict) -> list[str]:
    lines = ["| item | USD / month |", "|---|---:|"]
    lines += [f"| {k} | {v:,.2f} |" if v >= 1 or v == 0 else f"| {k} | {v:.4f} |" for k, v in rows.items()]
    lines.append(f"| **total** | **{sum(rows.values()):,.2f}** |")
    return lines


def price_table(p: dict) -> list[str]:
    lines = ["| price | USD | figure for | source (read " + SEEN + ") |", "|---|---:|---|---|"]
    def shown(v: float) -> str:
        return f"{v * 1e6:.4g} per 1M" if 0 < v < 0.001 else f"{v:.4g}"

    return lines + [f"| `{k}` | {shown(v)} | {SOURCES.get(k, ('given with --prices', ''))[0]} | "
                    f"{SOURCES.get(k, ('', '--prices'))[1]} |" for k, v in p.items()]


def report(p: dict, a: dict) -> str:
    out = [f"Prices: on-demand list for {REGION} where found, else US East (see the price table), read "
           f"{PRICE_DATE}. Free tiers ignored.", ""]
    for vpc in (False, True):
        out += [f"### (a) idle deployment{' with the VPC (NAT, EIP, SSM and SQS endpoints)' if vpc else ''}", ""]
        out += table(idle(p, a, vpc)) + [""]
    cb = work_cost(p, a, WORK["callback"], 1_000_000)
    cb["KMS requests (keys of the busy roles kept warm)"] = kms_refreshes(a, "kms_pairs_busy") * p["kms_request"]
    cb["Interface endpoint data (VPC on; ~2 KB of SQS and SSM traffic per callback)"] = (
        1_000_000 * 2e3 / 1e9 * p["interface_endpoint_gb"])
    out += ["### (b) 1,000,000 callbacks a month (on top of idle)", ""] + table(cb) + [""]
    push = work_cost(p, a, WORK["push_1m"])
    push["NAT data (VPC on; 201 WeChat calls, ~25 MB of openid lists)"] = 0.025 * p["nat_gb"]
    out += ["### (c) one push to 1,000,000 followers", ""] + table(push) + [""]
    re = work_cost(p, a, WORK["reassign_10k"])
    out += ["### (d) 10,000 customers reassigned", ""] + table(re) + [""]
    out += ["### The peers' smallest documented servers, same prices", ""] + table(peers(p))[:-1] + [""]
    out += ["### Prices used", ""] + price_table(p) + [""]
    return "\n".join(out)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.cost", description=__doc__.splitlines()[0])
    parser.add_argument("--prices", help="JSON file overriding PRICES (another region or date)")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="override an assumption")
    args = parser.parse_args(argv)
    prices = {**PRICES, **(json.load(open(args.prices)) if args.prices else {})}
    assumptions = dict(ASSUMPTIONS)
    for item in args.set:
        name, _, value = item.partition("=")
        if name not in assumptions:
            parser.error(f"unknown assumption {name!r}; known: {sorted(assumptions)}")
        assumptions[name] = float(value)
    print(report(prices, assumptions))
    return 0


if __name__ == "__main__":
    sys.exit(main())
