"""Customer group figures: a group code over 20 groups and 4,000 joins with a cap of 100 (joins over the cap,
update_join_way calls vs rotations), and membership events under 4x redelivery (applied once; DynamoDB round trips
per event).

    PYTHONPATH=layers/common/python:. .venv/bin/python bench/groups.py [--joins 4000] [--skip-moto]

1. Rotation, in process on the in-memory twins (the real membership and rotation code, a WeCom double that fills
   a join way's groups the way WeCom does: the first group of chat_id_list under WeCom's own 200). WeCom's delay
   assumption: the change_external_chat callback of a join reaches the worker after `lag` further joins have
   happened (0: before the next customer scans; 5: five customers scan in the meantime), and update_join_way takes
   effect for the next scan. Customers also leave (after each join, one member of a random pool group leaves with
   probability --churn, default 1.0: about 2,350 leave), so 4,000 joins fit 20 groups of 100; with --churn 0 the
   pool fills after 2,000 joins and every later join is over the cap (reported as "after the pool was full").
2. Redelivery, on in-process moto: 200 membership events, each delivered 4 times through the worker's
   `events.apply` (Powertools idempotency + the store's marker); DynamoDB calls counted with a botocore hook.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
for p in (str(ROOT / "layers/common/python"), str(ROOT)):
    if p not in sys.path:
        sys.path.insert(0, p)
os.environ.setdefault("AWS_DEFAULT_REGION", "ap-east-1")
os.environ.setdefault("AWS_REGION", "ap-east-1")
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("SCRM_STAGE", "bench")
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "ERROR")

CORP = "corp-bench"
NOW = 1_764_576_000.0
WECOM_LIMIT = 200


class WeComDouble:
    """groupchat/get and the join way calls, with WeCom's fill rule."""

    def __init__(self, chats: list[str]):
        self.groups = {c: [{"userid": "owner", "type": 1, "join_time": int(NOW), "join_scene": 1}] for c in chats}
        self.way: dict = {}
        self.calls: Counter = Counter()

    def group_chat(self, chat_id: str) -> dict:
        self.calls["groupchat/get"] += 1
        return {"group_chat": {"chat_id": chat_id, "name": chat_id, "owner": "owner", "create_time": int(NOW),
                               "member_list": list(self.groups[chat_id])}}

    def post(self, path: str, body: dict) -> dict:
        name = path.rsplit("/", 1)[-1]
        self.calls[name] += 1
        if name in ("add_join_way", "update_join_way"):
            self.way = {**self.way, **body, "config_id": "cfg1"}
            return {"config_id": "cfg1"}
        if name == "get_join_way":
            return {"join_way": {**self.way, "qr_code": "https://wework.qpic.cn/q.png"}}
        return {}

    def scan(self, userid: str, t: int) -> str | None:
        target = next((c for c in self.way["chat_id_list"] if len(self.groups[c]) < WECOM_LIMIT), None)
        if target is None:
            return None  # WeCom: the groups of the code are full (no auto_create_room): the customer cannot join
        self.groups[target].append({"userid": userid, "type": 2, "join_time": t, "join_scene": 3,
                                    "state": self.way["state"], "invitor": {"userid": "owner"}})
        return target

    def leave(self, chat_id: str, rng) -> str | None:
        customers = [m for m in self.groups[chat_id] if m["type"] == 2]
        if not customers:
            return None
        gone = rng.choice(customers)
        self.groups[chat_id].remove(gone)
        return gone["userid"]


def chat_event(chat_id: str, detail: str, userid: str, t: int, seq: int) -> dict:
    return {"ToUserName": CORP, "FromUserName": "sys", "CreateTime": str(t), "MsgType": "event",
            "Event": "change_external_chat", "ChatId": chat_id, "ChangeType": "update", "UpdateDetail": detail,
            "JoinScene": "3", "QuitScene": "0", "MemChangeCnt": "1", "MemChangeList": [userid],
            "CurMemVer": f"v{seq}"}


def rotation(joins: int, groups: int, cap: int, lag: int, churn: float, seed: int = 7) -> dict:
    from scrm import bootstrap
    from scrm.domain import callbacks as cb
    from scrm.services.channels import common, create_channel, get_channel
    from scrm.services.groups import codes, membership
    from scrm.stores.channels import MemoryChannelStore
    from scrm.stores.groups import MemoryGroupStore
    from scrm.tenancy import Scope

    rng = random.Random(seed)
    chats = [f"wr{i:02d}" for i in range(groups)]
    wecom = WeComDouble(chats)
    store = MemoryGroupStore()
    bootstrap.reset(group_store=store, channel_store=MemoryChannelStore(), clock=lambda: NOW)
    common.account_of = lambda a, allow_disabled=False: SimpleNamespace(account_id=a, kind="wecom")
    common.gateway_of = lambda account: wecom
    scope = Scope.system(CORP)
    rotated = Counter()
    real_rotate = getattr(codes.rotate, "real", codes.rotate)

    def counted_rotate(*a, **kw):
        done = real_rotate(*a, **kw)
        rotated["n"] += bool(done)
        return done

    counted_rotate.real = real_rotate
    codes.rotate = counted_rotate
    channel = create_channel(scope, CORP, {"kind": "wecom_group", "name": "bench", "chat_ids": chats,
                                           "group_cap": cap}, now=NOW)
    pending: list[dict] = []
    over = after_full = leaves = refused = 0
    seq = 0

    def process(ev):
        membership.apply_chat_event(CORP, ev, cb.dedupe_key("wecom", ev), "wecom.change_external_chat.update")

    for i in range(joins):
        t = int(NOW) + i
        target = wecom.scan(f"wm{i:05d}", t)
        if target is None:
            refused += 1
            continue
        members_before = len(wecom.groups[target]) - 1  # the owner counts too: the cap is on members
        if members_before >= cap:
            open_left = any(len(wecom.groups[c]) < cap for c in chats)
            over += 1
            after_full += not open_left
        seq += 1
        pending.append(chat_event(target, "add_member", f"wm{i:05d}", t, seq))
        if churn and rng.random() < churn:
            chat = rng.choice(chats)
            gone = wecom.leave(chat, rng)
            if gone:
                leaves += 1
                seq += 1
                pending.append(chat_event(chat, "del_member", gone, t, seq))
        while len(pending) > lag:
            process(pending.pop(0))
    while pending:
        process(pending.pop(0))
    final = get_channel(scope, CORP, channel["channel_id"])
    known = store.get_groups(scope, CORP, chats)
    sizes = [g["size"] for g in known.values()]
    truth = sum(len(wecom.groups[c]) for c in known)
    return {"joins": joins, "leaves": leaves, "lag": lag, "over_cap": over, "over_cap_after_pool_full": after_full,
            "refused_by_wecom_full": refused,
            "update_join_way": wecom.calls["update_join_way"], "rotations": rotated["n"],
            "in_code_at_end": len(final["in_code"]),
            "sizes_match_wecom": sum(sizes) == truth, "largest_group": max(sizes)}


def redelivery(events_n: int = 200, times: int = 4) -> dict:
    import botocore.client
    from moto import mock_aws

    from local.moto_atomic import install
    from scrm import bootstrap
    from scrm.domain import callbacks as cb
    from scrm.services import events
    from scrm.services.channels import common

    calls: Counter = Counter()
    original = botocore.client.BaseClient._make_api_call

    def counting(self, operation, params):
        if self.meta.service_model.service_name == "dynamodb":
            calls[operation] += 1
        return original(self, operation, params)

    install()
    with mock_aws():
        bootstrap.reset(clock=lambda: NOW)
        from scrm.data.registry import ensure_tables

        ensure_tables()
        wecom = WeComDouble(["wr00"])
        wecom.way = {"chat_id_list": ["wr00"], "state": "s"}
        common.account_of = lambda a, allow_disabled=False: SimpleNamespace(account_id=a, kind="wecom")
        common.gateway_of = lambda account: wecom
        botocore.client.BaseClient._make_api_call = counting
        first = Counter()
        try:
            for i in range(events_n):
                t = int(NOW) + i
                wecom.scan(f"wm{i:05d}", t)
                ev = chat_event("wr00", "add_member", f"wm{i:05d}", t, i)
                payload = {"account_id": CORP, "platform": "wecom", "kind": "wecom.change_external_chat.update",
                           "dedupe_key": cb.dedupe_key("wecom", ev), "event": ev}
                before = sum(calls.values())
                events.apply(payload)
                first["calls"] += sum(calls.values()) - before
                for _ in range(times - 1):
                    events.apply(payload)
        finally:
            botocore.client.BaseClient._make_api_call = original
        from scrm.tenancy import Scope

        group = bootstrap.group_store().get_groups(Scope.system(CORP), CORP, ["wr00"])["wr00"]
    total = sum(calls.values())
    return {"events": events_n, "deliveries": events_n * times, "size": group["size"],
            "applied_once": group["size"] == events_n + 1,
            "round_trips_first_delivery": round(first["calls"] / events_n, 2),
            "round_trips_per_redelivery": round((total - first["calls"]) / (events_n * (times - 1)), 2),
            "by_operation": dict(sorted(calls.items()))}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--joins", type=int, default=4000)
    parser.add_argument("--groups", type=int, default=20)
    parser.add_argument("--cap", type=int, default=100)
    parser.add_argument("--churn", type=float, default=1.0)
    parser.add_argument("--skip-moto", action="store_true")
    args = parser.parse_args()
    for lag in (0, 1, 5):
        print("rotation", rotation(args.joins, args.groups, args.cap, lag, args.churn))
    print("rotation, no churn", rotation(args.joins, args.groups, args.cap, 0, 0.0))
    if not args.skip_moto:
        print("redelivery", redelivery())


if __name__ == "__main__":
    main()
