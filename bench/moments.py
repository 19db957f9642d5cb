"""Customer moments: WeChat API calls per moment (the floor), on the in-memory twin with a counting fake WeCom.

A moment to S senders with C customer pairs, P of whom publish: visible range ceil(S/100) x ceil(pairs/100)
batch/get_by_user pages (once, when the counts are reserved), 1 add_moment_task, 1 get_moment_task_result once the
job settled (more while it settles), then per figures pull ceil(S/1000) get_moment_task pages + P get_moment_comments.
Quota-ledger round trips: ceil(distinct customers / 100) transactions.

    PYTHONPATH=layers/common/python:. .venv/bin/python bench/moments.py
"""

from __future__ import annotations

import math
from collections import Counter
from types import SimpleNamespace

from scrm.services.moments import MomentService
from scrm.stores.moments import MemoryMomentStore
from scrm.tenancy import Scope

NOW = 1_796_176_800.0  # 2026-12-02T10:00:00+08:00


class CountingWeCom:
    def __init__(self, senders: int, per_sender: int, publish: int):
        self.customers = {f"s{i:04d}": [f"c{i:04d}-{j:04d}" for j in range(per_sender)] for i in range(senders)}
        self.publish = set(sorted(self.customers)[:publish])
        self.counts: Counter = Counter()

    def post(self, endpoint, body):
        self.counts[endpoint.split("/")[-1]] += 1
        pairs = [(u, c) for u in body["userid_list"] for c in self.customers.get(u, [])]
        start = int(body["cursor"] or 0)
        chunk = pairs[start:start + body["limit"]]
        return {"external_contact_list": [{"external_contact": {"external_userid": c}, "follow_info": {"userid": u}}
                                          for u, c in chunk],
                "next_cursor": str(start + body["limit"]) if start + body["limit"] < len(pairs) else ""}

    def add_moment_task(self, *args):
        self.counts["add_moment_task"] += 1
        return {"jobid": "job1"}

    def moment_task_result(self, jobid):
        self.counts["get_moment_task_result"] += 1
        return {"status": 3, "result": {"errcode": 0, "moment_id": "mom1"}}

    def moment_task(self, moment_id, cursor=""):
        self.counts["get_moment_task"] += 1
        users = sorted(self.customers)
        start = int(cursor or 0)
        page = users[start:start + 1000]
        return {"task_list": [{"userid": u, "publish_status": int(u in self.publish)} for u in page],
                "next_cursor": str(start + 1000) if start + 1000 < len(users) else ""}

    def moment_comments(self, moment_id, userid):
        self.counts["get_moment_comments"] += 1
        return {"comment_list": [], "like_list": []}


def run(senders: int, per_sender: int, publish: int) -> dict:
    wecom = CountingWeCom(senders, per_sender, publish)
    account = SimpleNamespace(account_id="corp", kind="wecom", account_type="", options={})
    store = MemoryMomentStore()
    svc = MomentService(store, account_for=lambda _a: account, gateway_for=lambda _a: wecom, clock=lambda: NOW)
    svc.create(Scope.system("corp"), "corp", {"text": "新品", "senders": sorted(wecom.customers),
                                              "send_at": "2026-12-02T10:00:00+08:00"})
    svc.run_due()  # counts, task, job (settled at once here), first figures pull
    pairs = senders * per_sender
    floor = (math.ceil(senders / 100) * math.ceil(min(senders, 100) * per_sender / 100) + 2
             + math.ceil(senders / 1000) + publish)
    return {"senders": senders, "customers": pairs, "published": publish, "calls": sum(wecom.counts.values()),
            "floor": floor, "by_endpoint": dict(wecom.counts), "ledger_round_trips": store.round_trips}


if __name__ == "__main__":
    print("| senders | customers | published | WeChat calls (create + first figures pull) | floor "
          "| ledger round trips |")
    print("|---:|---:|---:|---:|---:|---:|")
    for s, c, p in ((1, 100, 1), (10, 200, 5), (50, 200, 50), (200, 50, 100)):
        r = run(s, c, p)
        print(f"| {r['senders']} | {r['customers']} | {r['published']} | {r['calls']} | {r['floor']} | "
              f"{r['ledger_round_trips']} |")
