"""Segment preview benchmark: how many items a preview reads, against how many people match, as contacts grow.

    .venv/bin/python bench/segments.py [--contacts 1000000] [--small 100000] [--moto 3000]

Part 1, the in-memory twin (the store's conditions, tests/contract/test_segment_store.py): `--small` and then
`--contacts` OA followers are loaded into the twin (facts and their index entries exactly as
scrm.domain.segments.index_entries gives them), with the same people matching in both: 5,000 winners, 10,000
tagged `t-store` (1,000 of them winners), 20,000 from channel `c-poster`; everybody has a first touch in the last
year, one in five a message in the last 180 days. Each rule is previewed through scrm.services.segments.admin
(plan, index entries read, facts fetched 100 at a time, every candidate tested against the whole rule); printed:
matches, items read (index entries + facts records, the store's count), the ratio items read / matches, and the
items read at `--contacts` over those at `--small` (1.0: items read do not grow with contacts that do not match).
A rule nothing can index (`wins eq 0`) is run on the small set only, to show what a scan costs.

Part 2, moto in-process (`--moto N`, 0 to skip): N contacts written through the event worker's handler
(scrm.services.segments.facts: the transaction with the marker), 1 in 50 of them winners by queued draws; previews
through the DynamoDB store, counting the items DynamoDB returned (Query and BatchGetItem answers, a botocore hook).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "layers/common/python"), str(ROOT)]
os.environ.update({"AWS_DEFAULT_REGION": "ap-east-1", "AWS_REGION": "ap-east-1", "AWS_ACCESS_KEY_ID": "bench",
                   "AWS_SECRET_ACCESS_KEY": "bench", "SCRM_STAGE": "bench", "POWERTOOLS_LOG_LEVEL": "ERROR",
                   "POWERTOOLS_METRICS_NAMESPACE": "WeChatSCRM"})
os.environ.pop("AWS_ENDPOINT_URL", None)

ACCOUNT = "bench-oa"
T0 = 1_780_000_000
DAY = 86400
WINNERS, TAGGED, POSTER = 5_000, 10_000, 20_000

RULES = {
    "tag t-store": {"field": "tag", "op": "has", "value": "t-store"},
    "wins >= 1": {"field": "wins", "op": "gte", "value": 1},
    "tag t-store and wins >= 1": {"all": [{"field": "tag", "op": "has", "value": "t-store"},
                                          {"field": "wins", "op": "gte", "value": 1}]},
    "channel c-poster or wins >= 1": {"any": [{"field": "channel", "op": "has", "value": "c-poster"},
                                               {"field": "wins", "op": "gte", "value": 1}]},
    "VIP (R>=4 F>=4 M>=4)": {"all": [{"field": "rfm.r", "op": "gte", "value": 4},
                                      {"field": "rfm.f", "op": "gte", "value": 4},
                                      {"field": "rfm.m", "op": "gte", "value": 4}]},
    "spoke within 7 days": {"field": "last_message", "op": "within_days", "value": 7},
}
SCAN_RULE = {"field": "wins", "op": "eq", "value": 0}


def person(i: int, n: int, rng: random.Random) -> dict:
    """Contact i of n: the same WINNERS / TAGGED / POSTER people whatever n is (the first ones)."""
    from scrm.domain.segments import day_key

    key = f"oa:{ACCOUNT}:o{i:07d}"
    facts = {"key": key, "identities": [key], "first_touch": T0 - rng.randrange(365 * DAY), "counts": {},
             "days": {}, "tags": [], "channels": []}
    if i < POSTER:
        facts["channels"] = ["c-poster"]
    if WINNERS // 5 <= i < WINNERS // 5 + TAGGED:
        facts["tags"] = ["t-store"]
    if i < WINNERS:  # winners: several wins and messages, recently
        wins = 1 + i % 8
        facts["counts"] = {"draws": wins + 2, "wins": wins, "messages": 1 + i % 12}
        when = T0 - (i % 40) * DAY
        facts.update(last_draw=when, last_message=when, last_interaction=when)
        facts["days"] = {day_key(when): wins + 3 + i % 12}
    elif rng.random() < 0.2:
        when = T0 - rng.randrange(180 * DAY)
        facts["counts"] = {"messages": 1}
        facts.update(last_message=when, last_interaction=when)
    return facts


def load(store, n: int) -> None:
    """Put n people into the twin directly (its structures, as write_facts leaves them; no marker needed)."""
    from scrm.domain.segments import index_entries
    from scrm.stores.segments import shard_of

    rng = random.Random(7)
    for i in range(n):
        f = person(i, n, rng)
        key = f["key"]
        store.profiles[(ACCOUNT, key)] = {**f, "version": 1}
        shard = shard_of(key)
        for e in index_entries(f):
            store.index.setdefault((ACCOUNT, e.term, shard), {})[(e.n, key)] = None
    store._sorted.clear()


def preview(rule: dict) -> tuple[dict, float]:
    from scrm.services.segments import admin
    from scrm.tenancy import Scope

    start = time.perf_counter()
    out = admin.preview(Scope.system(ACCOUNT), ACCOUNT, {"rule": rule, "sample": 5})
    return out, time.perf_counter() - start


def twin(args) -> dict:
    from types import SimpleNamespace

    from scrm import accounts, bootstrap
    from scrm.stores.channels import MemoryChannelStore
    from scrm.stores.contacts import MemoryContactStore
    from scrm.stores.segments import MemorySegmentStore

    accounts.get = lambda a, **_: SimpleNamespace(account_id=a, kind="oa", options={})
    results = {}
    print("== part 1: the in-memory twin")
    print(f"{'rule':34} {'contacts':>9} {'matches':>8} {'items read':>11} {'read/match':>10} {'ms':>8}  index")
    for n in (args.small, args.contacts):
        store = MemorySegmentStore()
        bootstrap.reset(clock=lambda: T0, segment_store=store, contact_store=MemoryContactStore(),
                        channel_store=MemoryChannelStore())
        t = time.perf_counter()
        load(store, n)
        print(f"   (loaded {n:,} contacts in {time.perf_counter() - t:.1f} s)")
        preview(RULES["tag t-store"])  # the twin sorts each term's entries on first read, as an index is kept sorted
        for name, rule in list(RULES.items()) + ([("wins == 0 (no index: scan)", SCAN_RULE)] if n == args.small
                                                  else []):
            preview(rule)
            out, seconds = preview(rule)
            results[(name, n)] = out
            ratio = out["items_read"] / out["count"] if out["count"] else float("nan")
            print(f"{name:34} {n:>9,} {out['count']:>8,} {out['items_read']:>11,} {ratio:>10.2f} "
                  f"{seconds * 1000:>8.1f}  {out['plan']['index']}")
    print(f"\nitems read at {args.contacts:,} / at {args.small:,} contacts (same matches):")
    for name in RULES:
        small, big = results[(name, args.small)], results[(name, args.contacts)]
        same = "same matches" if small["count"] == big["count"] else f"matches {small['count']} vs {big['count']}"
        print(f"  {name:34} {big['items_read'] / max(small['items_read'], 1):.3f}  ({same})")
    return results


def moto(args) -> None:
    from moto import mock_aws

    from local.moto_atomic import install

    install()
    read = {"items": 0}

    def after(http_response, parsed, model, **_):
        if model.name == "Query":
            read["items"] += len(parsed.get("Items") or [])
        elif model.name == "BatchGetItem":
            read["items"] += sum(len(v) for v in (parsed.get("Responses") or {}).values())

    import botocore.session

    original = botocore.session.Session.__init__

    def init(session, *a, **kw):
        original(session, *a, **kw)
        session.register("after-call.dynamodb", after)

    botocore.session.Session.__init__ = init
    with mock_aws():
        from types import SimpleNamespace

        from scrm import accounts, bootstrap
        from scrm.data.registry import ensure_tables
        from scrm.services.segments import facts
        from scrm.stores.channels import MemoryChannelStore

        ensure_tables()
        accounts.get = lambda a, **_: SimpleNamespace(account_id=a, kind="oa", options={})
        bootstrap.reset(clock=lambda: T0, channel_store=MemoryChannelStore())
        winners = 0
        for i in range(args.moto):
            openid = f"o{i:07d}"
            ev = {"account_id": ACCOUNT, "platform": "oa", "dedupe_key": f"m{i}",
                  "event": {"FromUserName": openid, "CreateTime": T0 - (i % 300) * DAY}}
            facts.on_message({**ev, "kind": "oa.text"})
            if i % 50 == 0:
                winners += 1
                facts.on_draw({**ev, "kind": "campaign.draw", "dedupe_key": f"d{i}",
                               "event": {**ev["event"], "won": True}})
        print(f"\n== part 2: moto ({args.moto:,} contacts written through the worker's handler, {winners} winners)")
        for name in ("wins >= 1", "spoke within 7 days"):
            read["items"] = 0
            out, _ = preview(RULES[name])
            print(f"{name:34} matches {out['count']:>6,}  items DynamoDB returned {read['items']:>7,}"
                  f"  (store's count {out['items_read']:,})")
        read["items"] = 0
        out, _ = preview(SCAN_RULE)
        print(f"{'wins == 0 (no index: scan)':34} matches {out['count']:>6,}  items DynamoDB returned "
              f"{read['items']:>7,}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=100_000)
    parser.add_argument("--moto", type=int, default=3_000)
    args = parser.parse_args()
    twin(args)
    if args.moto:
        moto(args)


if __name__ == "__main__":
    main()
