"""The campaign store's privacy part (scrm.stores.campaigns.privacy), for the in-memory twin and DynamoDB (moto)
alike: each table's finder returns the person's items, an erasure pseudonymises exactly those (their counters
and the campaign's figures keep adding up, others' items untouched), and another account's scope is refused."""

from __future__ import annotations

import pytest

from scrm.domain.campaigns import Prize
from scrm.domain.persons import Person
from scrm.errors import Forbidden
from scrm.stores.campaigns import (
    CampaignRow,
    DrawPlan,
    MemoryCampaignStore,
    ShardChange,
    ShareLink,
    VotePlan,
    instant_id,
    vote_id,
)
from scrm.tenancy import Scope

A, B, CID, NOW, DAY = "acct-a", "acct-b", "spring", 1_750_000_000.0, "2025-06-15"
MUG = Prize(prize_id="mug", name="Mug", kind="physical", weight=1, stock=5, shards=1)
C10 = Prize(prize_id="c10", name="10 off", kind="coupon", weight=1, shards=1)
FINDERS = ("person_campaigns", "person_coupon_codes", "person_draws", "person_participants", "person_shares",
           "person_votes")


@pytest.fixture(params=["memory", "dynamo"])
def store(request):
    if request.param == "memory":
        return MemoryCampaignStore()
    request.getfixturevalue("aws")
    from scrm.stores.campaigns.dynamo import DynamoCampaignStore

    return DynamoCampaignStore()


def seed(store, account_id: str) -> None:
    """u1 and u2 in one campaign of the account: draws (u1 wins a coupon), votes, u1's share link viewed by u2,
    and a lottery result naming u1."""
    store.create_campaign(CampaignRow(account_id, CID, {"name": "Spring"}, "active", NOW - 60, NOW + 3600),
                          [ShardChange("mug", 0, "physical", add=5)])
    assert store.claim_code(account_id, CID, "c10", f"CODE-{account_id}", {})
    store.put_code(account_id, CID, "c10", 0, 0, f"CODE-{account_id}")
    store.change_campaign(account_id, CID, 1, {}, [ShardChange("c10", 0, "coupon", seen=0, to=1)])
    for openid, prize in (("u1", C10), ("u2", MUG)):
        store.commit_draw(DrawPlan(account_id, CID, instant_id(openid, "r1"), openid, "instant", NOW, prize, day=DAY,
                                   daily_cap=5, total_cap=5))
        store.commit_vote(VotePlan(account_id, CID, vote_id(openid, "r1"), openid, "opt-1", DAY, NOW, daily_cap=3))
    store.create_share_link(account_id, CID, ShareLink("share-u1", "u1", created_at=int(NOW)))
    assert store.first_mark(account_id, CID, "view", "share-u1", "u2", NOW)
    assert store.first_mark(account_id, CID, "view", "share-u2", "u1", NOW)
    store.set_lottery(account_id, CID, "drawn", {"winners": [{"openid": "u1"}]})


def person(account_id: str = A) -> Person:
    return Person(account_id=account_id, openids={"u1"}, pseudonym="erased-1", renames={"share-u1": "share-new"})


def test_each_finder_returns_the_persons_items_and_an_erasure_pseudonymises_only_those(store):
    seed(store, A)
    seed(store, B)
    tally = store.vote_tally(A, CID)
    scope, p = Scope.system(A), person()
    shown = {name: getattr(store, name)(scope, p, False) for name in FINDERS}
    assert all(shown.values()), shown
    assert all("u2" not in str(item) for name in ("person_draws", "person_votes") for item in shown[name])
    erased = {name: getattr(store, name)(scope, p, True) for name in FINDERS}
    assert {n: len(v) for n, v in erased.items()} == {n: len(v) for n, v in shown.items()}
    assert {name: getattr(store, name)(scope, p, False) for name in FINDERS} == dict.fromkeys(FINDERS, [])
    # the person is gone under their openid, their counts stay under the pseudonym
    assert store.participant(A, CID, "u1") is None and store.participant(A, CID, "erased-1").draws == 1
    assert store.draws_on(A, CID, "erased-1", DAY) == 1 and store.get_draw(A, CID, instant_id("u1", "r1")) is None
    assert store.get_draw(A, CID, instant_id("erased-1", "r1")).code == f"CODE-{A}"
    assert store.vote_tally(A, CID) == tally and store.get_vote(A, CID, vote_id("erased-1", "r1")) is not None
    assert store.get_campaign(A, CID).lottery_result == {"winners": [{"openid": "erased-1"}]}
    assert store.share_link(A, CID, "share-u1") is None and store.share_link(A, CID, "share-new").owner == "erased-1"
    # others untouched: u2 in the account, and u1 in another account
    assert store.participant(A, CID, "u2").draws == 1 and store.get_draw(A, CID, instant_id("u2", "r1")).openid == "u2"
    assert store.participant(B, CID, "u1").draws == 1 and store.share_link(B, CID, "share-u1").owner == "u1"
    assert store.get_campaign(B, CID).lottery_result == {"winners": [{"openid": "u1"}]}
    assert all(getattr(store, name)(Scope.system(B), person(B), False) for name in FINDERS)


def test_another_accounts_scope_is_refused(store):
    seed(store, A)
    other = Scope(account_id=B, key_id="acct-b.k1", role="admin")
    for name in (*FINDERS, "campaign_ids_of"):
        with pytest.raises(Forbidden):
            if name == "campaign_ids_of":
                store.campaign_ids_of(other, A)
            else:
                getattr(store, name)(other, person(), True)
    assert store.participant(A, CID, "u1").draws == 1 and store.campaign_ids_of(Scope.system(A), A) == [CID]
