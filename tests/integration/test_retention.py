"""Retention (TTL) on moto: the stores write the expiry attribute that the template's TimeToLiveSpecification
names, on every item of the tables that only grow (tests/packaging/test_retention.py: which tables, and why)."""

from __future__ import annotations

import time

from tests.contract.test_reassignment_store import NOW, batch, item, plan

A = "acct-a"
DAY = 86400


def raw_items(table: str) -> list[dict]:
    from scrm.aws import client
    from scrm.config import settings

    return client("dynamodb").scan(TableName=settings().table_name(table), ConsistentRead=True)["Items"]


def test_every_push_batch_item_expires_90_days_after_it_was_written(aws):
    from scrm.stores.pushes.dynamo import DynamoPushStore

    store = DynamoPushStore()
    before = int(time.time())
    store.put_batches(A, "p1", 1, [{"no": 1, "recipients": [f"o{i}" for i in range(3000)], "kind": "mass"}])
    store.put_plan(A, "p1", 1, {"state": "planned", "batches": 1})
    store.put_msg_index(A, [("1000001", {"push_id": "p1", "run_no": 1, "no": 1})])
    assert store.mark_once(A, "p1", 1, "o1")
    after = int(time.time())
    items = raw_items("push_batches")
    assert sorted(i["sk"]["S"] for i in items) == ["b000001", "b000001#r000", "b000001#r001", "m#o1", "msg", "plan"]
    for i in items:
        assert before + 90 * DAY <= int(i["ttl"]["N"]) <= after + 90 * DAY, i
    # an update of an item (a batch's results) leaves its expiry as it was
    expiry = {i["sk"]["S"]: i["ttl"]["N"] for i in items if i["sk"]["S"] == "b000001"}
    assert store.update_batch(A, "p1", 1, 1, {"state": "sent", "sent": 3000})
    assert {i["sk"]["S"]: i["ttl"]["N"] for i in raw_items("push_batches") if i["sk"]["S"] == "b000001"} == expiry


def test_a_plans_items_batches_and_notices_expire_a_year_after_they_were_written(aws):
    from scrm.stores.reassignment.dynamo import DynamoReassignmentStore

    store = DynamoReassignmentStore()
    store.create_plan(plan(), [item("wm1", updated_at=NOW + 5)], [batch()])
    assert store.batches_of_plan(A, "p1")[0].get("expires") is None
    assert store.add_notice(A, "p1", {"notice_key": "t1#final", "takeover_userid": "t1", "customers": 1,
                                      "chats": 0, "sample": ["wm1"], "text": "你收到 1 位客户",
                                      "delivery": "recorded", "created_at": NOW + 9})
    assert [int(i["expires"]["N"]) for i in raw_items("transfers")] == [NOW + 5 + 365 * DAY]
    assert [int(i["expires"]["N"]) for i in raw_items("transfer_batches")] == [NOW + 365 * DAY]
    assert [int(i["expires"]["N"]) for i in raw_items("transfer_notices")] == [NOW + 9 + 365 * DAY]
    assert "expires" not in (raw_items("transfer_plans")[0])  # the staff's history stays
    # each change of an item moves its expiry: a year after the customer's last result
    changed = {**store.items_of_plan(A, "p1")[0], "state": "done", "updated_at": NOW + 86400}
    assert store.save_item_if(A, changed, {"state": "planned"})
    assert [int(i["expires"]["N"]) for i in raw_items("transfers")] == [NOW + 86400 + 365 * DAY]
    # what the store answers is what it was given: the expiry is DynamoDB's business
    assert "expires" not in store.items_of_plan(A, "p1")[0]
    assert "expires" not in store.notices_of_plan(A, "p1")[0]
