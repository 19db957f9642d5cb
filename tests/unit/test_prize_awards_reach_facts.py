"""Prizes won without a draw of the wheel reach the event worker: a share link's threshold reward is handed off as
a win (before, only the wheel's draws and the lottery's awards were, so won_prize journeys, goal_prize exits and
the segment facts never saw a share reward), once per reward however often the threshold is looked at again; and
the segment facts count such a win (and a lottery award) as a win without counting a draw."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from scrm import accounts, bootstrap
from scrm.services import campaigns as svc
from scrm.services.segments import facts
from scrm.stores.contacts import MemoryContactStore
from scrm.stores.segments import MemorySegmentStore
from scrm.tenancy import Scope
from tests.unit.test_campaign_service import ACCT, START, World, body


@pytest.fixture
def world(monkeypatch):
    return World(monkeypatch)


def test_a_share_reward_is_handed_off_as_a_win_once(world):
    svc.create_campaign(Scope.system(ACCT), ACCT, body(
        prizes=[{"prize_id": "mug", "name": "Mug", "kind": "physical", "weight": 0, "stock": 1}],
        share={"thresholds": [{"threshold_id": "t1", "views": 1, "reward": {"prize_id": "mug"}}]}))
    sid = svc.create_share(ACCT, "spring", "owner")["share_id"]
    assert svc.view_share(ACCT, "spring", sid, "v1")["granted"] == ["t1"]
    svc.view_share(ACCT, "spring", sid, "v2")  # past the threshold: nothing more
    wins = [m for m in world.segment_events if m["kind"] == "campaign.win"]
    assert len(wins) == 1, world.segment_events
    [won] = wins
    assert won["event"]["FromUserName"] == "owner" and won["event"]["PrizeId"] == "mug"
    assert won["event"]["CampaignId"] == "spring" and won["dedupe_key"].startswith("win:spring:")


def test_a_prize_won_without_a_draw_counts_a_win_and_no_draw(monkeypatch):
    segments, contacts = MemorySegmentStore(), MemoryContactStore()
    bootstrap.reset(clock=lambda: START, segment_store=segments, contact_store=contacts)
    monkeypatch.setattr(accounts, "get", lambda a, **_: SimpleNamespace(account_id=a, kind="oa", options={}))
    award = {"account_id": ACCT, "platform": "oa", "kind": "campaign.win", "dedupe_key": "win:spring:share-1",
             "event": {"FromUserName": "owner", "CreateTime": int(START), "won": True, "CampaignId": "spring",
                       "PrizeId": "mug"}}
    assert [facts.on_prize_awarded(award)["facts"] for _ in range(2)] == ["written", "duplicate"]
    key = f"oa:{ACCT}:owner"
    assert segments.facts(Scope.system(ACCT), ACCT, ACCT, [key])[key]["counts"] == {"wins": 1}
