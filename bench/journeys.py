"""Journeys: 3 message steps over N entrants (default 100,000) on the in-memory twins with a counting fake OA.

Steps: a customer-service text (only inside the 48-hour window), a template message (under the account's daily
template cap, the pushes' ledger), a second customer-service text. Every follow event is delivered twice; two
runners take turns on the due entrants; a few runs crash between the WeChat call and the outcome (the step is then
recorded `unknown` by the next runner, never resent).

Checks: messages sent (the figures) = entrants x steps - quota skips - refusals - unknown, and each of them reached
the fake gateway; delivered twice = 0; an `unknown` (a crash after the claim) was delivered at most once.

    PYTHONPATH=layers/common/python:. .venv/bin/python bench/journeys.py [entrants]
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from types import SimpleNamespace

from scrm.services.journeys import JourneyService, Runner
from scrm.stores.journeys import MemoryJourneyStore
from scrm.stores.pushes import MemoryPushStore
from scrm.tenancy import Scope

NOW = 1_796_176_800.0  # 2026-12-02T10:00:00+08:00
OUTSIDE_WINDOW_EVERY = 20  # 5% followed long ago and never wrote: customer-service steps skip them
CRASH_EVERY = 10_000  # a crash after the call, before the outcome, once in this many sends
TEMPLATE_CAP_SHARE = 0.95  # the day's template cap leaves 5% of the entrants out


class Crash(Exception):
    pass


class CountingOA:
    def __init__(self):
        self.delivered: Counter = Counter()  # (openid, what) -> times
        self.calls = 0

    def post(self, endpoint, body):
        self.calls += 1
        self.delivered[(body["touser"], body["text"]["content"])] += 1
        return {"errcode": 0}

    def send_template(self, openid, template_id, data, client_msg_id, url=None):
        self.calls += 1
        self.delivered[(openid, template_id)] += 1
        return {"msgid": self.calls}


def main(n: int) -> dict:
    oa = CountingOA()
    cap = int(n * TEMPLATE_CAP_SHARE)
    account = SimpleNamespace(account_id="acct", kind="oa", account_type="service", options={
        "push_quotas": {"oa:*:template": [{"scope": "account", "limit": cap, "period": "day", "unit": "message"}]}})
    pushes, store = MemoryPushStore(), MemoryJourneyStore()
    svc = JourneyService(store, pushes, account_for=lambda _a: account, gateway_for=lambda _a: oa, clock=lambda: NOW)
    admin = Scope.system()
    j = svc.admin.create(admin, "acct", {"name": "bench", "trigger": {"kind": "followed"}, "steps": [
        {"type": "custom", "text": "welcome"}, {"type": "template", "template_id": "T1", "data": {"k": {"value": "v"}}},
        {"type": "custom", "text": "follow-up"}]})
    svc.admin.move(admin, "acct", j["journey_id"], "activate")
    t0 = time.perf_counter()
    for i in range(n):
        openid = f"o{i:07d}"
        # the window is opened by the follower's text message (a follow alone opens only a minute's)
        pushes.touch("acct", openid, NOW - (3 * 86400 if i % OUTSIDE_WINDOW_EVERY == 0 else 10), "oa.text")
        event = {"account_id": "acct", "event": {"FromUserName": openid, "Event": "subscribe"}}
        svc.triggers.on_oa(event)
        svc.triggers.on_oa(event)  # redelivered
    enrol_s = time.perf_counter() - t0

    runners = [Runner(svc.deps, due_page=5000), Runner(svc.deps, due_page=5000)]
    real_finish, sends = store.finish_step, Counter()

    def finish(*a, **k):
        sends["finish"] += 1
        if sends["finish"] % CRASH_EVERY == 0:
            raise Crash()
        return real_finish(*a, **k)

    store.finish_step = finish
    clock = SimpleNamespace(now=NOW)
    svc.deps.clock = lambda: clock.now
    t1 = time.perf_counter()
    rounds = crashes = 0
    while store.due(clock.now, 1) or store.due(clock.now + 10_000, 1):
        for runner in runners:
            try:
                runner.run_due()
            except Crash:
                crashes += 1
        rounds += 1
        clock.now += 200  # leases (120 s) of crashed runs run out
    run_s = time.perf_counter() - t1
    store.finish_step = real_finish

    f = svc.admin.figures(admin, "acct", j["journey_id"])
    steps = len(f["steps"])
    skips = sum(s["skipped_quota"] for s in f["steps"])
    refused = sum(s["refused"] for s in f["steps"])
    delivered = sum(oa.delivered.values())
    twice = sum(1 for v in oa.delivered.values() if v > 1)
    sent = sum(s["sent"] for s in f["steps"])
    unknown = sum(s["unknown"] for s in f["steps"])
    out = {"entrants": f["entrants"], "steps": steps, "figures_sent": sent,
           "expected_sent": f["entrants"] * steps - skips - refused - unknown, "delivered": delivered,
           "skipped_quota": skips, "refused": refused, "unknown_after_crash": unknown, "crashes": crashes,
           "delivered_twice": twice, "completed": f["completed"],
           "wechat_calls_per_message": round(oa.calls / max(1, delivered), 3), "runner_rounds": rounds,
           "enrol_s": round(enrol_s, 1), "run_s": round(run_s, 1), "per_step": f["steps"]}
    out["unknown_that_had_gone_out"] = delivered - sent  # the crash came after the call
    # every step of every entrant has exactly one outcome; nothing went out twice; what the figures count as sent
    # went out, and an `unknown` went out at most once (a crash after a quota skip is also recorded unknown)
    assert out["entrants"] == n and sent + skips + refused + out["unknown_after_crash"] == n * steps
    assert twice == 0 and 0 <= delivered - sent <= out["unknown_after_crash"] and out["completed"] == n
    return out


if __name__ == "__main__":
    result = main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
    for key, value in result.items():
        if key != "per_step":
            print(f"{key}: {value}")
    for s in result["per_step"]:
        print({k: s[k] for k in ("step", "type", "entered", "sent", "skipped_quota", "refused", "unknown", "exited")})
