"""One contract, two campaign stores: the in-memory twin must honour every condition the DynamoDB store does (moto),
and refuse with the same errors. The use-case tests (tests/unit/test_campaign_service.py) rely on it."""

from __future__ import annotations

import random

import pytest

from scrm.domain.campaigns import DAILY_LIMIT, TOTAL_LIMIT, Prize
from scrm.errors import Forbidden
from scrm.stores.campaigns import (
    AlreadyRedeemed,
    CampaignRow,
    DrawPlan,
    DuplicateDraw,
    LimitReached,
    MemoryCampaignStore,
    ShardChange,
    ShardMoved,
    ShareLink,
    StaleVersion,
    TooManyItems,
    UploadBusy,
    instant_id,
    lottery_id,
    share_reward_id,
)
from scrm.tenancy import Scope

ACCT, CID, NOW = "acme", "spring", 1_750_000_000.0
MUG = Prize(prize_id="mug", name="Mug", kind="physical", weight=1, stock=2, shards=1)
TV = Prize(prize_id="tv", name="TV", kind="physical", weight=0, stock=5, shards=2)
C10 = Prize(prize_id="c10", name="10 off", kind="coupon", weight=1, shards=1)


@pytest.fixture(params=["memory", "dynamo"])
def make(request):
    """make(scope=None) -> a store of the parametrized kind (the DynamoDB one on moto, tables created)."""
    if request.param == "memory":
        return lambda scope=None: MemoryCampaignStore(scope)
    request.getfixturevalue("aws")
    from scrm.stores.campaigns.dynamo import DynamoCampaignStore

    return lambda scope=None: DynamoCampaignStore(scope)


@pytest.fixture
def store(make):
    s = make()
    s.create_campaign(row(), [ShardChange("mug", 0, "physical", add=2), ShardChange("tv", 0, "physical", add=3),
                              ShardChange("tv", 1, "physical", add=2)])
    return s


def row(**over) -> CampaignRow:
    fields = {"account_id": ACCT, "campaign_id": CID, "config": {"name": "Spring", "prizes": []}, "status": "active",
              "starts_at": NOW - 60, "ends_at": NOW + 3600, "version": 1, "created_at": NOW, "updated_at": NOW}
    fields.update(over)
    return CampaignRow(**fields)


def plan(openid="u1", request="request-0001", prize=MUG, **over) -> DrawPlan:
    fields = {"account_id": ACCT, "campaign_id": CID, "draw_id": instant_id(openid, request), "openid": openid,
              "source": "instant", "now": NOW, "prize": prize, "day": "2025-06-15"}
    fields.update(over)
    return DrawPlan(**fields)


def stock(store, prize_id) -> tuple[int, int]:
    shards = store.shard_stock(ACCT, CID, prize_id)
    return sum(s.stock for s in shards), sum(s.issued for s in shards)


# ---- campaigns and their stock


def test_a_campaign_is_created_once_with_its_stock(store):
    got = store.get_campaign(ACCT, CID)
    assert got.version == 1 and got.config["name"] == "Spring" and got.starts_at == NOW - 60
    with pytest.raises(StaleVersion):
        store.create_campaign(row(config={"name": "Again"}), [ShardChange("mug", 0, "physical", add=99)])
    assert store.get_campaign(ACCT, CID).config["name"] == "Spring" and stock(store, "mug") == (2, 0)
    assert store.get_campaign(ACCT, "nope") is None


def test_a_change_lands_only_at_the_version_it_was_computed_from(store):
    with pytest.raises(StaleVersion):
        store.change_campaign(ACCT, CID, 7, {"status": "paused"}, [ShardChange("mug", 0, "physical", add=5)])
    assert stock(store, "mug") == (2, 0) and store.get_campaign(ACCT, CID).version == 1
    store.change_campaign(ACCT, CID, 1, {"status": "paused", "config": {"name": "Renamed"}, "updated_at": NOW + 5},
                          [ShardChange("mug", 0, "physical", add=5)])
    got = store.get_campaign(ACCT, CID)
    assert (got.version, got.status, got.config["name"], got.updated_at) == (2, "paused", "Renamed", NOW + 5)
    assert stock(store, "mug") == (7, 0)
    with pytest.raises(StaleVersion):  # the same change again: computed from version 1
        store.change_campaign(ACCT, CID, 1, {"status": "active"}, [])


def test_a_change_too_big_for_one_transaction_writes_nothing(store):
    many = [ShardChange(f"p{i}", 0, "physical", add=1) for i in range(100)]
    with pytest.raises(TooManyItems):
        store.change_campaign(ACCT, CID, 1, {"status": "paused"}, many)
    assert store.shard_stock(ACCT, CID, "p0") == [] and store.get_campaign(ACCT, CID).version == 1


def test_rows_handed_out_are_copies(store):
    got = store.get_campaign(ACCT, CID)
    got.config["name"] = "changed outside"
    assert store.get_campaign(ACCT, CID).config["name"] == "Spring"


def test_the_lottery_state_moves_only_from_the_state_expected(store):
    assert not store.set_lottery(ACCT, CID, "drawing", {"winners": []}, expect_state="pending")
    store.change_campaign(ACCT, CID, 1, {"lottery_state": "pending", "lottery_commitment": "c0ffee"}, [])
    assert store.set_lottery(ACCT, CID, "drawing", {"winners": ["u1"]}, expect_state="pending")
    assert not store.set_lottery(ACCT, CID, "drawing", {"winners": ["u2"]}, expect_state="pending")
    assert store.set_lottery(ACCT, CID, "drawn", {"winners": ["u1"], "seed": "s"})
    got = store.get_campaign(ACCT, CID)
    assert got.lottery_state == "drawn" and got.lottery_result["winners"] == ["u1"]
    assert got.lottery_commitment == "c0ffee"


def test_campaigns_are_paged_by_id_and_listed_for_the_schedule(make):
    s = make()
    for i in range(5):
        s.create_campaign(row(campaign_id=f"c{i}"), [])
    seen, after = [], None
    while True:
        rows, after = s.page_campaigns(ACCT, 2, after)
        seen += [r.campaign_id for r in rows]
        if after is None:
            break
    assert seen == [f"c{i}" for i in range(5)]
    assert sorted(r.campaign_id for r in s.all_campaigns()) == seen


def test_tenancy_is_checked_inside_the_store(make):
    s = make(Scope(account_id="other", key_id="k1"))
    for call in (lambda: s.get_campaign(ACCT, CID), lambda: s.create_campaign(row(), []),
                 lambda: s.commit_draw(plan()), lambda: s.participant(ACCT, CID, "u1"),
                 lambda: s.share_link(ACCT, CID, "x"), lambda: s.take_upload_lease(ACCT, CID, "c10", NOW, 300)):
        with pytest.raises(Forbidden):
            call()


# ---- draws


def test_stock_never_goes_below_zero(store):
    outcomes = [store.commit_draw(plan(f"u{i}"), rng=random.Random(i)) for i in range(4)]
    assert [d.outcome for d in outcomes] == ["win", "win", "thanks", "thanks"]
    assert [d.fallback for d in outcomes[2:]] == ["out_of_stock"] * 2
    assert stock(store, "mug") == (2, 2)
    assert store.participant(ACCT, CID, "u3").draws == 1  # a draw that fell back still counts


def test_a_draw_spreads_over_shards_and_empties_every_one(store):
    wins = [store.commit_draw(plan(f"u{i}", prize=TV), rng=random.Random(i)) for i in range(6)]
    assert sum(d.outcome == "win" for d in wins) == 5 and stock(store, "tv") == (5, 5)
    assert {d.shard for d in wins if d.outcome == "win"} == {0, 1}


def test_a_retried_draw_id_draws_once(store):
    first = store.commit_draw(plan())
    with pytest.raises(DuplicateDraw) as dup:
        store.commit_draw(plan())
    assert dup.value.record.draw_id == first.draw_id and dup.value.record.outcome == first.outcome
    assert stock(store, "mug") == (2, 1) and store.participant(ACCT, CID, "u1").draws == 1


def test_daily_and_total_limits_refuse_and_write_nothing(store):
    store.commit_draw(plan(request="request-0001", prize=None, daily_cap=1))
    with pytest.raises(LimitReached) as daily:
        store.commit_draw(plan(request="request-0002", daily_cap=1))
    assert daily.value.reason == DAILY_LIMIT
    assert store.draws_on(ACCT, CID, "u1", "2025-06-15") == 1 and store.draws_on(ACCT, CID, "u1", "2025-06-16") == 0
    store.commit_draw(plan(request="request-0003", prize=None, day="2025-06-16", daily_cap=1, total_cap=2))
    with pytest.raises(LimitReached) as total:
        store.commit_draw(plan(request="request-0004", day="2025-06-17", total_cap=2))
    assert total.value.reason == TOTAL_LIMIT
    assert store.participant(ACCT, CID, "u1").draws == 2 and stock(store, "mug") == (2, 0)
    assert store.get_draw(ACCT, CID, instant_id("u1", "request-0004")) is None


def test_a_user_over_the_win_limit_draws_thanks(store):
    assert store.commit_draw(plan(request="request-0001", wins_cap=1)).outcome == "win"
    again = store.commit_draw(plan(request="request-0002", wins_cap=1))
    assert (again.outcome, again.fallback) == ("thanks", "win_limit")
    user = store.participant(ACCT, CID, "u1")
    assert (user.draws, user.wins) == (2, 1) and stock(store, "mug") == (2, 1)
    zero = store.commit_draw(plan("u2", wins_cap=0))
    assert (zero.outcome, zero.fallback) == ("thanks", "win_limit")


def test_lottery_and_share_draws_do_not_count_as_draws(store):
    won = store.commit_draw(plan(draw_id=lottery_id("u1"), source="lottery", counts_as_draw=False, notify=True,
                                 day=None))
    assert won.outcome == "win" and won.notify_pending
    user = store.participant(ACCT, CID, "u1")
    assert (user.draws, user.wins) == (0, 1)


def test_an_instant_draw_can_enter_the_lottery(store):
    store.commit_draw(plan(prize=None, enter_lottery=True))
    store.enter_lottery(ACCT, CID, "u2", NOW + 10)
    store.enter_lottery(ACCT, CID, "u2", NOW + 99)  # the first entry time is kept
    assert store.participant(ACCT, CID, "u2").entered_at == int(NOW + 10)
    store.commit_draw(plan("u2", request="request-0009", wins_cap=5))
    assert store.lottery_entrants(ACCT, CID) == ["u1", "u2"]
    assert store.lottery_entrants(ACCT, CID, wins_below=1) == ["u1"]
    assert [p.openid for p in store.participants(ACCT, CID)] == ["u1", "u2"]


def test_draws_are_queried_and_paged(store):
    for i in range(5):
        store.commit_draw(plan("u1", request=f"request-000{i}", prize=MUG if i < 2 else None))
    store.commit_draw(plan("u2", draw_id=lottery_id("u2"), source="lottery", prize=TV, counts_as_draw=False))
    store.commit_draw(plan("u1", draw_id=share_reward_id("s1", "t1"), source="share", prize=TV,
                           counts_as_draw=False))
    assert len(store.query_draws(ACCT, CID)) == 7
    assert len(store.query_draws(ACCT, CID, outcome="win")) == 4
    assert [d.draw_id for d in store.user_wins(ACCT, CID, "u1")] == [
        instant_id("u1", "request-0000"), instant_id("u1", "request-0001"), share_reward_id("s1", "t1")]
    seen, after = [], None
    while True:
        rows, after = store.page_draws(ACCT, CID, None, 3, after)
        seen += [d.draw_id for d in rows]
        if after is None:
            break
    assert seen == sorted(d.draw_id for d in store.query_draws(ACCT, CID))


def test_a_win_is_redeemed_once(store):
    won = store.commit_draw(plan())
    done = store.redeem_draw(ACCT, CID, won.draw_id, int(NOW + 5), "key1", "at the desk")
    assert (done.redeemed_at, done.redeemed_by, done.redemption_note) == (int(NOW + 5), "key1", "at the desk")
    with pytest.raises(AlreadyRedeemed) as again:
        store.redeem_draw(ACCT, CID, won.draw_id, int(NOW + 9), "key2")
    assert again.value.record.redeemed_at == int(NOW + 5)


def test_winner_notifications_are_pending_until_sent_or_given_up(store):
    a = store.commit_draw(plan("u1", notify=True))
    b = store.commit_draw(plan("u2", notify=True))
    store.commit_draw(plan("u3", prize=None, notify=True))  # thanks: nothing to tell
    assert [d.draw_id for d in store.pending_notifications(ACCT, CID, 10)] == [a.draw_id, b.draw_id]
    store.mark_notified(ACCT, CID, a.draw_id, int(NOW + 1))
    store.mark_notify_failed(ACCT, CID, b.draw_id, "busy", 1, give_up=False)
    assert [(d.draw_id, d.notify_attempts) for d in store.pending_notifications(ACCT, CID, 10)] == [(b.draw_id, 1)]
    store.mark_notify_failed(ACCT, CID, b.draw_id, "busy", 5, give_up=True)
    assert store.pending_notifications(ACCT, CID, 10) == []
    assert store.get_draw(ACCT, CID, a.draw_id).notified_at == int(NOW + 1)
    assert store.get_draw(ACCT, CID, b.draw_id).notify_error == "busy"


# ---- coupon codes


def upload(store, codes, shard=0):
    seen = {s.shard: s.stock for s in store.shard_stock(ACCT, CID, "c10")}
    fresh = [c for c in codes if store.claim_code(ACCT, CID, "c10", c, seen)]
    start = seen.get(shard, 0)
    for i, code in enumerate(fresh):
        store.put_code(ACCT, CID, "c10", shard, start + i, code)
    return fresh, ShardChange("c10", shard, "coupon", seen=start, to=start + len(fresh))


def test_codes_are_handed_out_once_each_and_found_again(store):
    fresh, change = upload(store, ["A1", "A2"])
    assert fresh == ["A1", "A2"] and stock(store, "c10") == (0, 0)  # beyond the stock: no draw sees them yet
    assert store.commit_draw(plan("early", prize=C10)).fallback == "out_of_stock"
    store.change_campaign(ACCT, CID, 1, {}, [change])
    got = [store.commit_draw(plan(f"u{i}", prize=C10)) for i in range(3)]
    assert sorted(d.code for d in got[:2]) == ["A1", "A2"] and got[2].fallback == "out_of_stock"
    assert store.find_code(ACCT, CID, "c10", got[0].code).draw_id == got[0].draw_id
    assert store.find_code(ACCT, CID, "c10", "ZZ") is None
    assert upload(store, ["A1", "B1"])[0] == ["B1"]  # A1 sits in a slot the stock covers: a duplicate


def test_codes_left_by_a_failed_upload_are_placed_again(store):
    upload(store, ["A1", "A2"])  # never committed: the stock does not cover their slots
    assert store.find_code(ACCT, CID, "c10", "A1").draw_id is None
    fresh, _ = upload(store, ["A1", "A2", "A3"])
    assert fresh == ["A1", "A2", "A3"]


def test_a_coupon_shard_that_moved_refuses_the_upload_whole(store):
    _, change = upload(store, ["A1"])
    store.change_campaign(ACCT, CID, 1, {}, [change])
    with pytest.raises(ShardMoved):  # computed from stock 0, but the shard holds 1 now
        store.change_campaign(ACCT, CID, 2, {"status": "paused"}, [change])
    assert store.get_campaign(ACCT, CID).status == "active" and stock(store, "c10") == (1, 0)


def test_one_upload_per_prize_holds_the_lease(store):
    lease = store.take_upload_lease(ACCT, CID, "c10", NOW, 300)
    with pytest.raises(UploadBusy):
        store.take_upload_lease(ACCT, CID, "c10", NOW + 10, 300)
    other = store.take_upload_lease(ACCT, CID, "mug", NOW, 300)  # another prize: its own lease
    store.release_upload_lease(other)
    late = store.take_upload_lease(ACCT, CID, "c10", NOW + 301, 300)  # a crashed upload's lease expires
    _, change = upload(store, ["A1"])
    with pytest.raises(ShardMoved):  # the first upload lost its lease: its commit is refused
        store.change_campaign(ACCT, CID, 1, {}, [change], lease=lease)
    store.release_upload_lease(lease)  # a no-op: it is not the holder
    with pytest.raises(UploadBusy):
        store.take_upload_lease(ACCT, CID, "c10", NOW + 302, 300)
    store.change_campaign(ACCT, CID, 1, {}, [change], lease=late)
    store.release_upload_lease(late)
    store.release_upload_lease(store.take_upload_lease(ACCT, CID, "c10", NOW + 303, 300))
    assert stock(store, "c10") == (1, 0)


# ---- shares


def test_share_links_markers_and_thresholds_count_once(store):
    assert store.create_share_link(ACCT, CID, ShareLink("s1", "owner", created_at=int(NOW)))
    assert not store.create_share_link(ACCT, CID, ShareLink("s1", "intruder"))
    assert store.share_link(ACCT, CID, "s1").owner == "owner" and store.share_link(ACCT, CID, "s2") is None
    assert store.first_mark(ACCT, CID, "view", "s1", "v1", NOW)
    assert not store.first_mark(ACCT, CID, "view", "s1", "v1", NOW)
    assert store.first_mark(ACCT, CID, "forward", "s1", "v1", NOW)  # viewing and sharing onward count apart
    store.count_share(ACCT, CID, "s1", "views")
    store.count_share(ACCT, CID, "s1", "shares")
    assert store.grant_bonus_draws(ACCT, CID, "s1", "owner", "t1", 2, NOW)
    assert not store.grant_bonus_draws(ACCT, CID, "s1", "owner", "t1", 2, NOW)
    assert not store.grant_bonus_draws(ACCT, CID, "nope", "owner", "t1", 2, NOW)
    store.mark_threshold(ACCT, CID, "s1", "t2")
    link = store.share_link(ACCT, CID, "s1")
    assert (link.views, link.shares, link.granted) == (1, 1, frozenset({"t1", "t2"}))
    assert store.participant(ACCT, CID, "owner").bonus_draws == 2
    assert [s.share_id for s in store.share_links(ACCT, CID)] == ["s1"]
