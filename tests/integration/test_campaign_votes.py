"""Vote campaigns against moto (atomic per transaction, like DynamoDB): concurrent votes with the same request id
count once, two requests racing the last vote of the day: exactly one wins, counters sharded and summed exactly,
the DynamoDB store and the in-memory twin agree."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from scrm.tenancy import Scope

ACCT = "acme"


@pytest.fixture
def acct(aws):
    from tests.integration.admin_helpers import register

    register(ACCT)
    return Scope.system(ACCT)


def poll(scope, cid="poll", now=None, **voting):
    from scrm.services import campaigns as svc

    now = now or time.time()
    body = {"campaign_id": cid, "name": "投票", "starts_at": int(now - 60), "ends_at": int(now + 3600),
            "status": "active", "kind": "vote", "eligibility": {"must_follow": False},
            "options": [{"option_id": "red", "title": "红色"}, {"option_id": "blue", "title": "蓝色"}],
            "voting": {"votes_per_day": 1, **voting}}
    return svc.create_campaign(scope, ACCT, body)


def test_concurrent_votes_with_the_same_request_id_count_once(acct):
    from scrm.services import campaigns as svc

    poll(acct, votes_per_day=5)
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: svc.vote(ACCT, "poll", "u1", "red", "same-request-1"), range(16)))
    assert {a["vote_id"] for a in answers} == {"same-request-1"}
    assert sum(not a["replayed"] for a in answers) <= 1  # the one that wrote (or a racer answered from its ballot)
    results = svc.vote_results(acct, ACCT, "poll")
    assert results["votes"] == 1 and results["voters"] == 1 and results["options"][0]["votes"] == 1


def test_two_requests_racing_the_last_vote_of_the_day_exactly_one_wins(acct):
    from scrm.services import campaigns as svc

    poll(acct, votes_per_day=2)
    for r in range(5):  # several races, each on a fresh user with one vote left of two
        who = f"u{r}"
        svc.vote(ACCT, "poll", who, "red", "request-first")
        with ThreadPoolExecutor(2) as pool:
            outcomes = list(pool.map(lambda i, w=who: _cast_as(svc, w, i), range(2)))
        wins = [o for o in outcomes if isinstance(o, dict)]
        assert len(wins) == 1 and not wins[0]["replayed"] and wins[0]["votes_left"] == 0
        assert [o for o in outcomes if not isinstance(o, dict)] == ["daily_vote_limit"]
    results = svc.vote_results(acct, ACCT, "poll")
    assert results["votes"] == 10 and results["voters"] == 5


def _cast_as(svc, who, i):
    try:
        return svc.vote(ACCT, "poll", who, ("red", "blue")[i % 2], f"request-{i:04d}")
    except svc.DrawRefused as why:
        return why.reason


def test_many_voters_on_one_option_are_counted_exactly_over_the_shards(acct):
    from scrm.data.campaigns import campaign_key
    from scrm.data.votes import VoteRecord
    from scrm.services import campaigns as svc

    poll(acct, votes_per_day=3, shards=4)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: svc.vote(ACCT, "poll", f"user{i % 20}", "red", f"request-{i:04d}"), range(60)))
    results = svc.vote_results(acct, ACCT, "poll")
    assert results["options"][0]["votes"] == 60 and results["voters"] == 20
    assert results["days"][0]["votes"] == 60 and results["days"][0]["new_voters"] == 20
    shards = list(VoteRecord.query(campaign_key(ACCT, "poll"), VoteRecord.sk.startswith("c#red#")))
    assert len(shards) > 1 and sum(int(s.votes) for s in shards) == 60
    assert svc.public_results(ACCT, "poll")["options"][0]["votes"] == 60


def test_one_vote_per_option_is_exact_under_a_race(acct):
    from scrm.services import campaigns as svc

    poll(acct, votes_per_day=5, one_per_option=True)

    def cast(i):
        try:
            return svc.vote(ACCT, "poll", "u1", "red", f"request-{i:04d}")["option_id"]
        except svc.DrawRefused as why:
            return why.reason

    with ThreadPoolExecutor(4) as pool:
        outcomes = list(pool.map(cast, range(4)))
    assert sorted(outcomes) == ["option_vote_limit"] * 3 + ["red"]


def test_the_dynamo_store_and_the_twin_agree(acct):
    from scrm import bootstrap
    from scrm.stores.campaigns import LimitReached, MemoryCampaignStore, VotePlan, vote_id

    dynamo = bootstrap.campaign_store()
    now = time.time()
    results = []
    for db in (dynamo, MemoryCampaignStore()):
        seen = []
        for i, (who, option, day) in enumerate([("u1", "red", "2026-01-01"), ("u1", "red", "2026-01-01"),
                                                ("u1", "blue", "2026-01-01"), ("u2", "red", "2026-01-02"),
                                                ("u1", "red", "2026-01-02")]):
            plan = VotePlan(ACCT, "twin", vote_id(who, f"request-{i:04d}"), who, option, day, now, daily_cap=2,
                            one_per_option=True, shards=3)
            try:
                seen.append(db.commit_vote(plan).option_id)
            except LimitReached as why:
                seen.append(why.reason)
        tally = db.vote_tally(ACCT, "twin")
        results.append((seen, tally.options, tally.voters, tally.days, tally.new_voters,
                        db.votes_on(ACCT, "twin", "u1", "2026-01-01")))
    assert results[0] == results[1]
    assert results[0][0] == ["red", "option_vote_limit", "blue", "red", "red"]


def test_a_voters_items_are_exported_and_pseudonymised_and_the_counts_stay(acct):
    from scrm.data.campaigns import campaign_key
    from scrm.data.votes import VoteRecord
    from scrm.services import campaigns as svc
    from scrm.services.privacy import requests as privacy

    poll(acct, votes_per_day=2, one_per_option=True)
    svc.vote(ACCT, "poll", "o-erase-me", "red", "request-0001")
    svc.vote(ACCT, "poll", "o-someone", "blue", "request-0002")
    exported = privacy.export(acct, ACCT, {"openid": "o-erase-me"})
    assert {r["sk"].split("#")[0] for r in exported["tables"]["votes"]} == {"b", "d", "o", "u"}
    privacy.erase(acct, ACCT, {"openid": "o-erase-me"})
    items = list(VoteRecord.query(campaign_key(ACCT, "poll")))
    assert not any("o-erase-me" in (r.sk + (r.openid or "")) for r in items)
    results = svc.vote_results(acct, ACCT, "poll")
    assert results["votes"] == 2 and results["voters"] == 2
