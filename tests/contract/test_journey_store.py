"""One contract, both journey stores (base.JourneyStore): tenancy inside, copies out, enrolment once per
(journey, person), the step lease, outcomes and figures written together, exits once, paging."""

from __future__ import annotations

import pytest

from scrm.errors import Forbidden
from scrm.stores.journeys import DuplicateJourney
from scrm.tenancy import Scope
from tests.contract.stores import IMPLEMENTATIONS, make_store

NOW = 1_796_000_000.0


@pytest.fixture(params=IMPLEMENTATIONS)
def store(request):
    return make_store(request, "journeys", "JourneyStore")


def journey(journey_id="j1", account_id="acct", **fields):
    return {"account_id": account_id, "journey_id": journey_id, "name": "新关注", "status": "draft",
            "trigger": {"kind": "followed"}, "steps": [{"type": "custom", "text": "你好"}], "created_at": NOW,
            "updated_at": NOW, **fields}


def entrant(person="o1", journey_id="j1", account_id="acct", **fields):
    return {"account_id": account_id, "journey_id": journey_id, "person": person, "step": 0, "state": "ready",
            "next_run_at": NOW, "due": "1", "entered_at": NOW, "updated_at": NOW, **fields}


def test_a_journey_reads_back_and_updates_are_conditional(store):
    store.create_journey(journey())
    got = store.get_journey("acct", "j1")
    assert got["steps"] == [{"type": "custom", "text": "你好"}] and got["name"] == "新关注"
    got["steps"].clear()
    assert store.get_journey("acct", "j1")["steps"]
    with pytest.raises(DuplicateJourney):
        store.create_journey(journey())
    assert not store.update_journey("acct", "j1", {"status": "paused"}, expect_status=("active",))
    assert store.update_journey("acct", "j1", {"status": "active", "goal_tag_id": "t1"}, expect_status=("draft",))
    assert [j["journey_id"] for j in store.active_journeys("acct")] == ["j1"]
    assert store.update_journey("acct", "j1", {"goal_tag_id": None})
    assert "goal_tag_id" not in store.get_journey("acct", "j1")
    assert store.get_journey("acct", "nope") is None and not store.update_journey("acct", "nope", {"name": "x"})


def test_journeys_page_newest_first_and_cursors_stay_in_their_account(store):
    for i in range(3):
        store.create_journey(journey(f"j{i}"))
    first, cursor = store.page_journeys("acct", limit=2)
    assert [j["journey_id"] for j in first] == ["j2", "j1"] and cursor
    rest, end = store.page_journeys("acct", limit=2, start=cursor)
    assert [j["journey_id"] for j in rest] == ["j0"] and end is None
    with pytest.raises(ValueError):
        store.page_journeys("other", start=cursor)


def test_a_person_enters_a_journey_once_and_is_counted_once(store):
    assert store.enrol(entrant())
    assert not store.enrol(entrant())
    assert store.figures("acct", "j1")[0]["entered"] == 1
    assert store.get_entrant("acct", "j1", "o1")["state"] == "ready"


def test_one_lease_per_step_and_only_the_holder_records_the_outcome(store):
    store.enrol(entrant())
    store.enrol(entrant("o2", next_run_at=NOW + 100))
    assert store.due(NOW) == [("acct", "j1", "o1")]
    assert store.claim("acct", "j1", "o2", step=0, state="ready", owner="a", now=NOW, lease_until=NOW + 60) is None
    got = store.claim("acct", "j1", "o1", step=0, state="ready", owner="a", now=NOW, lease_until=NOW + 60)
    assert got["state"] == "running" and got["lease_owner"] == "a"
    assert store.claim("acct", "j1", "o1", step=0, state="running", owner="b", now=NOW + 1,
                       lease_until=NOW + 61) is None
    assert store.due(NOW + 30) == []  # an abandoned claim comes due when its lease runs out
    assert store.due(NOW + 60) == [("acct", "j1", "o1")]
    assert not store.finish_step("acct", "j1", "o1", owner="b", step=0, changes={"step": 1}, figures={0: {"sent": 1}})
    assert store.finish_step("acct", "j1", "o1", owner="a", step=0,
                             changes={"step": 1, "state": "ready", "outcomes": [{"step": 0, "outcome": "sent"}]},
                             figures={0: {"done": 1, "sent": 1}, 1: {"entered": 1}})
    e = store.get_entrant("acct", "j1", "o1")
    assert e["step"] == 1 and e["state"] == "ready" and "lease_owner" not in e and e["outcomes"][0]["outcome"] == "sent"
    assert not store.finish_step("acct", "j1", "o1", owner="a", step=0, changes={"step": 1}, figures={0: {"sent": 1}})
    figures = store.figures("acct", "j1")
    assert figures[0]["sent"] == 1 and figures[0]["done"] == 1 and figures[1]["entered"] == 1


def test_a_lease_that_ran_out_is_claimed_again_by_another_runner(store):
    store.enrol(entrant())
    store.claim("acct", "j1", "o1", step=0, state="ready", owner="a", now=NOW, lease_until=NOW + 60)
    assert store.claim("acct", "j1", "o1", step=0, state="ready", owner="b", now=NOW + 61,
                       lease_until=NOW + 121) is None  # not in the state the caller read
    again = store.claim("acct", "j1", "o1", step=0, state="running", owner="b", now=NOW + 61, lease_until=NOW + 121)
    assert again["lease_owner"] == "b"


def test_an_exit_happens_once_and_is_counted_at_the_step_the_person_was_at(store):
    store.enrol(entrant())
    assert store.exit("acct", "j1", "o1", "unfollowed", NOW) == 0
    assert store.exit("acct", "j1", "o1", "unfollowed", NOW) is None
    assert store.exit("acct", "j1", "nobody", "unfollowed", NOW) is None
    e = store.get_entrant("acct", "j1", "o1")
    assert e["state"] == "exited" and e["exit_reason"] == "unfollowed" and "due" not in e
    assert store.figures("acct", "j1")[0]["exited"] == 1
    assert store.due(NOW + 1000) == []


def test_entrants_page_in_person_order_filtered_by_step(store):
    for p in ("o1", "o2", "o3"):
        store.enrol(entrant(p))
    store.claim("acct", "j1", "o2", step=0, state="ready", owner="a", now=NOW, lease_until=NOW + 60)
    store.finish_step("acct", "j1", "o2", owner="a", step=0, changes={"step": 1, "state": "ready"}, figures={})
    page, cursor = store.page_entrants("acct", "j1", limit=2)
    assert [e["person"] for e in page] == ["o1", "o2"] and cursor
    rest, end = store.page_entrants("acct", "j1", limit=2, start=cursor)
    assert [e["person"] for e in rest] == ["o3"] and end is None
    at_one, _ = store.page_entrants("acct", "j1", step=1)
    assert [e["person"] for e in at_one] == ["o2"]
    with pytest.raises(ValueError):
        store.page_entrants("acct", "j2", start=cursor)


def test_tenancy_is_checked_inside_the_store(store):
    store.create_journey(journey())
    store.enrol(entrant())
    other = store.scoped(Scope.system("other"))
    for call in (lambda: other.get_journey("acct", "j1"), lambda: other.enrol(entrant("o9")),
                 lambda: other.get_entrant("acct", "j1", "o1"), lambda: other.figures("acct", "j1"),
                 lambda: other.exit("acct", "j1", "o1", "x", NOW), lambda: other.active_journeys("acct"),
                 lambda: other.claim("acct", "j1", "o1", step=0, state="ready", owner="x", now=NOW,
                                     lease_until=NOW + 1)):
        with pytest.raises(Forbidden):
            call()
    assert other.due(NOW) == []
