"""Who still refers to a corp tag when it is to be deleted, on the in-memory twins: besides channels, pushes and
moments, rule segments (each tag condition by its path) and journeys not ended (trigger, tag steps, goal); ended
journeys and other tags are not references."""

from __future__ import annotations

import pytest

from scrm import bootstrap
from scrm.services.tags import references
from scrm.stores.channels import MemoryChannelStore
from scrm.stores.journeys import MemoryJourneyStore
from scrm.stores.moments import MemoryMomentStore
from scrm.stores.pushes import MemoryPushStore
from scrm.stores.segments import MemorySegmentStore
from scrm.tenancy import Scope

A = "corp-1"
SCOPE = Scope.system(A)


@pytest.fixture
def stores():
    made = {"channel_store": MemoryChannelStore(), "push_store": MemoryPushStore(),
            "moment_store": MemoryMomentStore(), "segment_store": MemorySegmentStore(),
            "journey_store": MemoryJourneyStore()}
    bootstrap.reset(**made)
    return made


def journey(journey_id: str, status: str = "active", **fields) -> dict:
    return {"account_id": A, "journey_id": journey_id, "name": f"旅程{journey_id}", "status": status,
            "trigger": {"kind": "tag_added"}, "steps": [{"type": "wait", "seconds": 60}], **fields}


def test_a_rule_segment_refers_to_a_tag_by_the_path_of_each_condition(stores):
    rule = {"all": [{"field": "channel", "op": "is", "value": "c1"},
                    {"any": [{"field": "tag", "op": "has", "value": "t9"},
                             {"field": "tag", "op": "has", "value": "t1"}]}]}
    stores["segment_store"].put_segment(SCOPE, A, {"segment_id": "r000000000001", "name": "金卡会员", "rule": rule})
    stores["segment_store"].put_segment(SCOPE, A, {"segment_id": "r000000000002", "name": "其他",
                                                   "rule": {"field": "tag", "op": "has", "value": "t2"}})
    assert references(SCOPE, A, ["t1"]) == [
        {"kind": "segment_rule", "id": "r000000000001", "name": "金卡会员", "field": "rule.all[1].any[1].value",
         "tag_ids": ["t1"]}]


def test_a_journey_not_ended_refers_to_a_tag_from_its_trigger_steps_or_goal(stores):
    js = stores["journey_store"]
    js.create_journey(journey("j1", trigger={"kind": "tag_added", "tag_id": "t1"}))
    js.create_journey(journey("j2", "paused", steps=[{"type": "wait", "seconds": 60},
                                                     {"type": "tag", "tag_id": "t1", "remove": True}]))
    js.create_journey(journey("j3", goal_tag_id="t1"))
    js.create_journey(journey("j4", "ended", goal_tag_id="t1"))  # ended: nobody moves on it any more
    js.create_journey(journey("j5", goal_tag_id="t2"))
    found = sorted((r["id"], r["field"]) for r in references(SCOPE, A, ["t1"]))
    assert found == [("j1", "trigger.tag_id"), ("j2", "steps[1].tag_id"), ("j3", "goal_tag_id")]
    assert {r["kind"] for r in references(SCOPE, A, ["t1"])} == {"journey"}


def test_nothing_refers_to_a_tag_nobody_names(stores):
    stores["journey_store"].create_journey(journey("j1", goal_tag_id="t2"))
    assert references(SCOPE, A, ["t1"]) == []
