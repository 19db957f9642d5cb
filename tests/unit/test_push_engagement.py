"""Push engagement in the segment facts beyond template deliveries: a customer-service push counts once for each
person WeChat accepted it for (not those outside the 48-hour window, not those it refused), however often the
hand-off is delivered; a second run of a recurring push counts again; the segment rule on push deliveries finds
them. (WeCom group messages: tests/integration/test_pushes.py, from get_groupmsg_send_result.)"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from scrm import accounts, bootstrap
from scrm.errors import WeChatError
from scrm.services.segments import admin, facts, hand_off
from scrm.stores.contacts import MemoryContactStore
from scrm.stores.segments import MemorySegmentStore
from scrm.tenancy import Scope
from tests.unit.test_push_service import T0, body, make, run_until_done

A = "acct"


@pytest.fixture
def world(monkeypatch):
    w = SimpleNamespace(segments=MemorySegmentStore(), contacts=MemoryContactStore(), queued=[])
    bootstrap.reset(clock=lambda: T0, segment_store=w.segments, contact_store=w.contacts,
                    segment_events=w.queued.append)
    monkeypatch.setattr(accounts, "get", lambda a, **_: SimpleNamespace(account_id=a, kind="oa", options={}))
    return w


def applied_twice(world) -> None:
    """The event worker's part, each message delivered twice (SQS is at least once)."""
    for m in world.queued:
        assert m["kind"] == "push.delivered"
        facts.on_push_delivered(m)
        facts.on_push_delivered(m)
    world.queued.clear()


def deliveries(world, openid: str) -> int:
    key = f"oa:{A}:{openid}"
    found = world.segments.facts(Scope.system(A), A, A, [key]).get(key) or {"counts": {}}
    return found["counts"].get("push_deliveries", 0)


def test_a_customer_service_push_counts_once_for_each_person_it_reached(world):
    svc, _store, gw, clock = make(followers=["a", "b", "c", "d"])
    for openid in ("a", "b", "c"):
        svc.on_interaction(A, "oa.text", {"FromUserName": openid, "received_at": T0 - 3600})
    real_post = gw.post

    def refusing_c(endpoint, payload):
        if payload["touser"] == "c":
            raise WeChatError(45015, "response out of time limit or subscription is canceled")
        return real_post(endpoint, payload)

    gw.post = refusing_c
    svc.create(Scope.system(), A, body(content={"type": "text", "text": "hi", "delivery": "custom"}))
    run_until_done(svc, clock, 1)
    assert gw.deliveries == {"a": 1, "b": 1}
    assert sorted(i for m in world.queued for i in m["event"]["identities"]) == ["a", "b"]
    again = list(world.queued)
    applied_twice(world)
    world.queued.extend(again)  # the same hand-off once more (a re-run queued it again)
    applied_twice(world)
    assert [deliveries(world, o) for o in "abcd"] == [1, 1, 0, 0]
    found = admin.preview(Scope.system(A), A, {"rule": {"field": "push_deliveries", "op": "gte", "value": 1}})
    assert found["count"] == 2


def test_each_run_of_a_push_counts_and_a_chunk_names_at_most_a_hundred(world):
    people = [f"o{i:03d}" for i in range(230)]
    hand_off.push_delivered(A, "oa", "p1", 1, people, int(T0))
    assert [len(m["event"]["identities"]) for m in world.queued] == [100, 100, 30]
    assert len({m["dedupe_key"] for m in world.queued}) == 3
    applied_twice(world)
    hand_off.push_delivered(A, "oa", "p1", 2, people[:1], int(T0))  # the next run of a recurring push
    applied_twice(world)
    assert deliveries(world, "o000") == 2 and deliveries(world, "o001") == 1
