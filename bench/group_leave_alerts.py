"""VIP group leaves, group code pools and auto-created rooms under redelivery: alerts per leave, update_join_way
calls per pool edit, pool additions per auto-created room, when every event is delivered 4 times.

    PYTHONPATH=layers/common/python:. .venv/bin/python bench/group_leave_alerts.py [--customers 100]

moto in-process (atomic DynamoDB) and the WeChat sandbox in-process (its join ways, groups and message/send with
the duplicate check). A VIP group code (`vip`) over 2 groups with auto_create_room, the sandbox's group limit
lowered so that groups fill: `--customers` scan the code (WeCom fills the groups, then makes rooms), then every one
of them leaves; each callback (join and leave) is handed to `scrm.services.events.process_batch` 4 times, shuffled.
Then pool edits: each adds or removes a group, or changes only the cap.
Prints app messages per leave, rooms WeCom made vs. rooms added to the pool (and how often each is in it),
update_join_way calls per edit that changes the code's groups and per edit that does not.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
from collections import Counter
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent)]
from loss_alerts import DELIVERIES, sqs_event  # noqa: E402  (sets the environment as that bench does)

ROOM_LIMIT = 11  # the owner and 10 customers fill a group in the sandbox (WeCom's is 200)


def payload_of(account, out: dict) -> dict:
    from scrm.domain import callbacks as rules

    ev = rules.parse(out["xml"])
    return {"account_id": account.account_id, "platform": "wecom", "kind": rules.kind_of("wecom", ev),
            "dedupe_key": rules.dedupe_key("wecom", ev), "event": ev}


def deliver_all(events, payloads: list[dict]) -> int:
    deliveries = [p for p in payloads for _ in range(DELIVERIES)]
    random.Random(7).shuffle(deliveries)
    return sum(len(events.process_batch(sqs_event(p))["batchItemFailures"]) for p in deliveries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100)
    args = parser.parse_args()
    from moto import mock_aws

    from local.moto_atomic import install

    install()
    from local.sandbox import SandboxClient, SandboxServer, wecom_groups

    wecom_groups.GROUP_LIMIT = ROOM_LIMIT
    sandbox = SandboxServer(port=0).start()
    os.environ["WECOM_BASE_URL"] = f"{sandbox.url}/wecom"
    with mock_aws():
        from local.seed import demo_secrets
        from scrm import accounts
        from scrm.data.registry import ensure_tables
        from scrm.queues import ensure_queues
        from scrm.services import channels, events
        from scrm.services.groups.pool import change_pool
        from scrm.services.staff import alerts
        from scrm.tenancy import Scope

        ensure_tables()
        ensure_queues()
        s = demo_secrets()
        alerts_app = {"1000002": "bench-alerts-app-secret"}  # the app the alerts go out as (its own token)
        account = accounts.register("bench-wecom", "wecom", "ww0000000000bench2", "Bench corp", **s,
                                    agent_secrets=alerts_app)
        a, corpid, scope = account.account_id, account.app_id, Scope.system(account.account_id)
        sb = SandboxClient(sandbox.url)
        sb.register_wecom(corpid, s["app_secret"], s["token"], s["aes_key"], apps=alerts_app)
        sb.wecom_staff(corpid, "owner")
        chats = sb.wecom_groupchats(corpid, "owner", count=6)["chat_ids"]
        alerts.put_settings(scope, a, {"enabled": True, "agentid": 1000002, "events": ["vip_group_leave"]})
        code = channels.create_channel(scope, a, {"kind": "wecom_group", "name": "VIP 群码", "chat_ids": chats[:2],
                                                  "vip": True, "auto_create_room": True, "group_cap": ROOM_LIMIT})
        joined, failures = [], 0
        for i in range(args.customers):  # one at a time: WeCom's next scan sees the groups as they are
            out = sb.wecom_group_action(corpid, "scan", config_id=code["config_id"], external_userid=f"wm-b{i:05d}")
            joined.append((out["chat_id"], f"wm-b{i:05d}"))
            failures += deliver_all(events, [payload_of(account, out)])
        rooms = sorted({c for c, _ in joined} - set(chats))
        pool = channels.get_channel(scope, a, code["channel_id"])["chat_ids"]
        in_pool = Counter(pool)
        leaves = [payload_of(account, sb.wecom_group_action(corpid, "leave", chat_id=c, userid=u)) for c, u in joined]
        failures += deliver_all(events, leaves)
        messages = len(sb.wecom_app_messages(corpid)["messages"])
        # pool edits on a second code (2 open groups): an add and a removal change its groups, a cap does not
        other = channels.create_channel(scope, a, {"kind": "wecom_group", "name": "普通群码", "chat_ids": chats[2:4]})
        calls = {}
        for name, body in (("add", {"add": [chats[4]]}), ("cap only", {"group_cap": 50}),
                           ("remove", {"remove": [chats[4]]}), ("cap only again", {"group_cap": 60})):
            sb.clear_calls()
            change_pool(scope, a, other["channel_id"], body, 0)
            calls[name] = sb.call_counts("update_join_way").get("wecom:externalcontact/groupchat/update_join_way", 0)
    sandbox.stop()
    n = len(joined)
    print(f"{n} customers x {DELIVERIES} deliveries of their join and their leave (batch failures {failures})")
    print(f"  app messages per VIP leave: {messages / n:.3f} ({messages} for {n})")
    print(f"  rooms WeCom auto-created: {len(rooms)}; added to the pool: {sum(1 for r in rooms if in_pool[r])}; "
          f"times each is in the pool: {sorted({in_pool[r] for r in rooms})}")
    print(f"  update_join_way calls per pool edit: {calls}")


if __name__ == "__main__":
    main()
