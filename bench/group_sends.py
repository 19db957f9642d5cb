"""Pushes to customer groups (群发到客户群): WeChat calls for a send to many groups across many owners.

    .venv/bin/python -m bench.group_sends [--groups 1000] [--owners 50]

The real audience (from the groups store), planner, quota ledger and sender (scrm.services.pushes) and the real
gateway against the WeChat sandbox over HTTP, in this process. The groups live in the sandbox (what WeCom holds) and
in the in-memory group store (what change_external_chat callbacks would have written); pushes and the ledger in
the in-memory push store. The floor is one add_msg_template (chat_type group) per owner: an owner's groups, up to
chat_id_list's 2,000, are one task.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "layers/common/python"), str(ROOT)]
os.environ.setdefault("AWS_DEFAULT_REGION", "ap-east-1")
os.environ["AWS_REGION"] = os.environ["AWS_DEFAULT_REGION"]
os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", SCRM_STAGE="bench",
                  POWERTOOLS_LOG_LEVEL="ERROR", SCRM_PUSH_RATE="0")
os.environ.pop("AWS_ENDPOINT_URL", None)

from bench.pushes import iso, setup  # noqa: E402


def seed(sb, corpid: str, groups_store, n_groups: int, n_owners: int) -> list[str]:
    from scrm.tenancy import Scope

    owners = [f"owner{i:03d}" for i in range(n_owners)]
    now = time.time()
    for i, owner in enumerate(owners):
        count = n_groups // n_owners + (1 if i < n_groups % n_owners else 0)
        for chat_id in sb.wecom_groupchats(corpid, owner, count=count)["chat_ids"]:
            groups_store.commit_change(Scope.system("bench-groups"), "bench-groups", marker=f"c-{chat_id}", group={
                "chat_id": chat_id, "name": chat_id, "owner": owner, "status": "active", "size": 10, "version": 0,
                "created_at": now, "updated_at": now}, expect_version=None, members=[], day=None, now=now)
    return owners


def group_send(sb, n_groups: int, n_owners: int) -> dict:
    from local.seed import demo_secrets
    from scrm import accounts
    from scrm.services.pushes import PushService
    from scrm.stores.groups.memory import MemoryGroupStore
    from scrm.stores.pushes import MemoryPushStore
    from scrm.tenancy import Scope

    s = demo_secrets()
    acct = accounts.register("bench-groups", "wecom", "ww00000000bench0g1", "Bench corp", **s)
    sb.register_wecom(acct.app_id, s["app_secret"], s["token"], s["aes_key"])
    groups = MemoryGroupStore()
    owners = seed(sb, acct.app_id, groups, n_groups, n_owners)
    svc = PushService(MemoryPushStore(), groups=groups)
    body = {"content": {"type": "wecom", "text": "本周团购"}, "audience": {"type": "groups", "owners": owners},
            "send_at": iso(time.time() - 5)}
    sb.clear_calls()
    push = svc.create(Scope.system(), "bench-groups", body)
    preview = svc.preview_push(Scope.system(), "bench-groups", push["push_id"])
    svc.confirm(Scope.system(), "bench-groups", push["push_id"])
    t = time.perf_counter()
    svc.run_due()
    send_s = time.perf_counter() - t
    calls = sb.call_counts()
    sends = [c for c in sb.calls(path_contains="add_msg_template") if c["errcode"] == 0]
    run = svc.get(Scope.system(), "bench-groups", push["push_id"])["runs"][0]
    # the same groups again the same day: each is skipped by the once-a-day rule, no call
    sb.clear_calls()
    again = svc.create(Scope.system(), "bench-groups", {**body, "content": {"type": "wecom", "text": "再来"},
                                                        "confirm": True})
    svc.run_due()
    again_run = svc.get(Scope.system(), "bench-groups", again["push_id"])["runs"][0]
    return {"groups": n_groups, "owners": n_owners, "preview": preview, "calls": calls, "sends": len(sends),
            "largest_task": max(len(c["body"]["chat_id_list"]) for c in sends), "run": run, "send_s": send_s,
            "again_calls": sb.call_counts(), "again_run": again_run}


def owner_lookup(n_groups: int, n_owners: int) -> dict:
    """DynamoDB round trips and groups read to find the groups of 1 owner and of every owner, on the DynamoDB store
    (in-process moto, calls counted with a botocore hook): the owner index against the pass over the account's
    groups it replaced (page_groups, pages of 1,000, keeping the owners' groups)."""
    import botocore.client

    from scrm.stores.groups.dynamo import DynamoGroupStore
    from scrm.tenancy import Scope

    store, scope, account = DynamoGroupStore(), Scope.system("bench-owners"), "bench-owners"
    owners = [f"owner{i:03d}" for i in range(n_owners)]
    now = time.time()
    for i in range(n_groups):
        store.commit_change(scope, account, marker=f"o-{i}", group={
            "chat_id": f"wr{i:05d}", "name": f"群{i}", "owner": owners[i % n_owners], "status": "active", "size": 10,
            "created_at": now, "updated_at": now}, expect_version=None, members=[], day=None, now=now)
    calls: list[str] = []
    original = botocore.client.BaseClient._make_api_call

    def counting(self, operation, params):
        if self.meta.service_model.service_name == "dynamodb":
            calls.append(operation)
        return original(self, operation, params)

    def scan_pass(wanted: set) -> tuple[int, int]:
        read, start, found = 0, None, 0
        while True:
            page, start = store.page_groups(scope, account, limit=1000, start=start)
            read += len(page)
            found += sum(1 for g in page if g.get("owner") in wanted)
            if not start:
                return read, found

    out = {}
    botocore.client.BaseClient._make_api_call = counting
    try:
        for label, wanted in (("1 owner", owners[:1]), (f"{n_owners} owners", owners)):
            calls.clear()
            read, found = scan_pass(set(wanted))
            before = {"round_trips": len(calls), "groups_read": read, "found": found}
            calls.clear()
            got = store.groups_of_owners(scope, account, wanted)
            after = {"round_trips": len(calls), "groups_read": len(got), "found": len(got)}
            out[label] = {"scan": before, "index": after}
    finally:
        botocore.client.BaseClient._make_api_call = original
    return out


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--groups", type=int, default=1000)
    ap.add_argument("--owners", type=int, default=50)
    args = ap.parse_args(argv)
    from moto import mock_aws

    from local.sandbox import SandboxClient, SandboxServer

    with mock_aws(), SandboxServer(port=0) as server:
        sb = SandboxClient(server.url, timeout=600)
        setup(server.url)
        r = group_send(sb, args.groups, args.owners)
        lookup = owner_lookup(args.groups, args.owners)

    def n(counts, key):
        return sum(v for k, v in counts.items() if key in k)

    p = r["preview"]
    print(f"Group send to {r['groups']:,} customer groups across {r['owners']} owners:")
    print(f"  preview: {p['groups']} groups, {p['owners']} owners, {p['api_calls']} API calls planned, "
          f"{p['sent_today']} sent today, left out {p['left_out']}")
    print(f"  add_msg_template calls: {r['sends']} (floor {r['owners']}: one task per owner), chat_type group, "
          f"largest chat_id_list {r['largest_task']}; {r['run']['sent']:,} groups sent, "
          f"{sum(r['calls'].values())} WeChat calls in all (token included), {r['send_s']:.2f} s")
    print(f"  the same groups again today: {n(r['again_calls'], 'add_msg_template')} add_msg_template calls, "
          f"{r['again_run']['over_quota']:,} groups skipped by the once-a-day rule")

    print(f"  finding the owners' groups on DynamoDB ({r['groups']:,} groups of {r['owners']} owners):")
    for label, row in lookup.items():
        b, a = row["scan"], row["index"]
        print(f"    {label}: pass over the account {b['round_trips']} round trips, {b['groups_read']:,} groups read; "
              f"owner index {a['round_trips']} round trips, {a['groups_read']:,} groups read ({a['found']:,} found)")


if __name__ == "__main__":
    main()
