"""The end-of-campaign lottery's promises: the published seed commitment never changes, and nobody wins more
than the campaign's `wins_total` allows, whatever they won on the wheel before."""

from __future__ import annotations

import time

import pytest

from scrm.tenancy import Scope

ACCT = "acme"


@pytest.fixture
def acct(aws):
    from tests.integration.admin_helpers import register

    register(ACCT)
    return Scope.system(ACCT)


def lottery_campaign(scope, now, **over):
    from scrm.services import campaigns as svc

    body = {"campaign_id": "draw", "name": "Draw", "starts_at": int(now - 60), "ends_at": int(now + 600),
            "status": "active", "eligibility": {"must_follow": False},
            "prizes": [{"prize_id": "tv", "name": "TV", "kind": "physical", "weight": 0, "stock": 5}],
            "lottery": {"prize_id": "tv", "winners": 5}}
    body.update(over)
    return svc.create_campaign(scope, ACCT, body)


def stored_seed(campaign_id):
    from scrm.services import campaigns as svc

    return svc._read_seed(ACCT, campaign_id)


def test_creating_an_existing_campaign_id_never_changes_the_committed_seed(acct):
    from scrm.domain import lottery
    from scrm.errors import Conflict
    from scrm.services import campaigns as svc

    now = time.time()
    published = lottery_campaign(acct, now)["lottery"]["commitment"]
    seed = stored_seed("draw")
    for _ in range(3):  # an attacker (or a retrying script) re-creates the id
        with pytest.raises(Conflict):
            lottery_campaign(acct, now, name="Again")
    assert stored_seed("draw") == seed and lottery.commitment(seed) == published
    svc.enter(ACCT, "draw", "u1", now=now)
    result = svc.run_lottery(ACCT, "draw", now=now + 700)
    assert result["seed"] == seed and lottery.verify(result["seed"], published, ["u1"], 5, result["winners"])


def test_adding_a_lottery_later_commits_once(acct):
    """A seed left at the path (e.g. by a creation that crashed before its record was saved) is claimed, not
    replaced: the commitment published is the one of the seed that will be revealed."""
    from scrm.domain import lottery
    from scrm.services import campaigns as svc

    now = time.time()
    body = {"campaign_id": "later", "name": "Later", "starts_at": int(now - 60), "ends_at": int(now + 600),
            "status": "active", "eligibility": {"must_follow": False},
            "prizes": [{"prize_id": "tv", "name": "TV", "kind": "physical", "weight": 0, "stock": 2}]}
    svc.create_campaign(acct, ACCT, body)
    updated = svc.update_campaign(acct, ACCT, "later", {**body, "lottery": {"prize_id": "tv", "winners": 1}})
    assert lottery.commitment(stored_seed("later")) == updated["lottery"]["commitment"]


def test_a_seed_that_does_not_match_its_commitment_is_never_used(acct):
    from scrm.aws import client
    from scrm.errors import ConfigError
    from scrm.services import campaigns as svc

    now = time.time()
    lottery_campaign(acct, now)
    svc.enter(ACCT, "draw", "u1", now=now)
    client("ssm").put_parameter(Name=svc._seed_path(ACCT, "draw"), Value="ab" * 32, Type="SecureString",
                                Overwrite=True)  # tampered with outside the product
    with pytest.raises(ConfigError):
        svc.run_lottery(ACCT, "draw", now=now + 700)
    assert svc.get_lottery(acct, ACCT, "draw")["state"] == "pending"


def test_the_lottery_respects_wins_total(acct):
    from scrm.domain import lottery
    from scrm.services import campaigns as svc

    now = time.time()
    lottery_campaign(acct, now, limits={"wins_total": 1},
                     prizes=[{"prize_id": "mug", "name": "Mug", "kind": "physical", "weight": 1, "stock": 10},
                             {"prize_id": "tv", "name": "TV", "kind": "physical", "weight": 0, "stock": 5}])
    assert svc.draw(ACCT, "draw", "lucky", "request-001", now=now)["outcome"] == "win"  # the wheel: 1 of 1
    for who in ("lucky", "u1", "u2"):
        svc.enter(ACCT, "draw", who, now=now)
    result = svc.run_lottery(ACCT, "draw", now=now + 700)
    assert "lucky" not in result["winners"] and sorted(result["winners"]) == ["u1", "u2"]
    assert result["participants"] == ["u1", "u2"]  # the published list is the list drawn from: re-runnable
    assert lottery.verify(result["seed"], result["commitment"], result["participants"], 5, result["winners"])
    report = svc.report(acct, ACCT, "draw")
    assert report["wins_by_source"] == {"instant": 1, "lottery": 2, "share": 0}


def test_a_lottery_award_rechecks_the_win_limit(acct):
    """Selection leaves out people at the limit; the award itself is also conditional on it (in the draw's
    transaction), so a win that lands between selection and award cannot make a second."""
    from scrm.data import draw_ledger
    from scrm.data.campaigns import campaign_key
    from scrm.data.participants import ParticipantRecord, user_sk
    from scrm.services import campaigns as svc

    now = time.time()
    lottery_campaign(acct, now, limits={"wins_total": 1})
    svc.enter(ACCT, "draw", "u1", now=now)
    real = draw_ledger.commit_draw

    def win_first(plan, **kw):  # u1 wins something just before the lottery award is written
        ParticipantRecord(campaign_key(ACCT, "draw"), user_sk(plan.openid)).update(
            actions=[ParticipantRecord.wins.add(1)])
        return real(plan, **kw)

    draw_ledger.commit_draw = win_first
    try:
        result = svc.run_lottery(ACCT, "draw", now=now + 700)
    finally:
        draw_ledger.commit_draw = real
    assert result["winners"] == ["u1"] and result["awarded"] == 0 and result["unfulfilled"] == 1
