"""Campaign rules, user tokens and the lottery: pure, no AWS."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scrm.domain import campaigns as rules
from scrm.domain import lottery, user_tokens
from scrm.errors import ValidationError

NOW = 1_800_000_000


def body(**over):
    b = {"campaign_id": "spring", "name": "Spring", "starts_at": "2027-01-01T00:00:00+08:00",
         "ends_at": "2027-01-31T00:00:00+08:00", "status": "active",
         "limits": {"draws_per_day": 3, "draws_total": 10, "wins_total": 1},
         "prizes": [{"prize_id": "c10", "name": "10 off", "kind": "coupon", "weight": 1},
                    {"prize_id": "mug", "name": "Mug", "kind": "physical", "weight": 1, "stock": 5},
                    {"prize_id": "ty", "name": "Thanks", "kind": "thanks", "weight": 8}]}
    b.update(over)
    return b


def test_a_valid_campaign_parses_and_round_trips():
    c = rules.parse_campaign("acme", body())
    assert c.campaign_id == "spring" and len(c.prizes) == 3 and c.draws_per_day == 3
    again = rules.parse_campaign("acme", c.to_dict())
    assert again == c


@pytest.mark.parametrize("change, field", [
    ({"prizes": [{"prize_id": f"p{i}", "name": "x", "kind": "thanks", "weight": 1} for i in range(18)]}, "prizes"),
    ({"ends_at": "2026-12-01T00:00:00+08:00"}, "ends_at"),
    ({"starts_at": "2027-01-01T00:00:00"}, "starts_at"),
    ({"prizes": [{"prize_id": "a", "name": "x", "kind": "physical", "weight": 1}]}, "prizes[0].stock"),
    ({"prizes": [{"prize_id": "a", "name": "x", "kind": "bitcoin", "weight": 1}]}, "prizes[0].kind"),
    ({"prizes": [{"prize_id": "a", "name": "x", "kind": "thanks", "weight": 1, "probability": 0.1}]},
     "prizes[0].weight"),
    ({"prizes": [{"prize_id": "a", "name": "x", "kind": "thanks", "probability": 0.7},
                 {"prize_id": "b", "name": "y", "kind": "thanks", "probability": 0.7}]}, "prizes"),
    ({"prizes": [{"prize_id": "a", "name": "x", "kind": "thanks", "probability": 0.1},
                 {"prize_id": "b", "name": "y", "kind": "thanks", "weight": 1}]}, "prizes"),
    ({"limits": {"draws_per_day": 0}}, "limits.draws_per_day"),
    ({"lottery": {"prize_id": "mug", "winners": 6}}, "lottery.winners"),
    ({"lottery": {"prize_id": "ty", "winners": 1}}, "lottery.prize_id"),
    ({"share": {"thresholds": [{"views": 3, "reward": {"prize_id": "nope"}}]}}, "share.thresholds[0].reward.prize_id"),
])
def test_bad_campaigns_are_refused_naming_the_field(change, field):
    with pytest.raises(ValidationError) as err:
        rules.parse_campaign("acme", body(**change))
    assert err.value.field == field


def test_window_and_status():
    c = rules.parse_campaign("acme", body())
    assert rules.window_refusal(c, c.starts_at - 1) == rules.OUTSIDE_WINDOW
    assert rules.window_refusal(c, c.ends_at) == rules.OUTSIDE_WINDOW
    assert rules.window_refusal(c, c.starts_at) is None
    paused = rules.parse_campaign("acme", body(status="paused"))
    assert rules.window_refusal(paused, paused.starts_at + 5) == rules.NOT_ACTIVE


def test_eligibility_rules():
    c = rules.parse_campaign("acme", body(eligibility={"must_follow": True, "channels": ["poster"], "tags": ["100"]}))
    F = rules.ContactFacts
    assert rules.eligibility_refusal(c, F(follows=False, channels=frozenset({"poster"}))) == rules.NOT_FOLLOWING
    assert rules.eligibility_refusal(c, F(follows=True)) == rules.WRONG_CHANNEL
    assert rules.eligibility_refusal(c, F(follows=True, channels=frozenset({"poster"}))) is None
    assert rules.eligibility_refusal(c, F(follows=True, tags=frozenset({"100"}))) is None
    cust = rules.parse_campaign("acme", body(eligibility={"must_follow": False, "must_be_customer": True}))
    assert rules.eligibility_refusal(cust, F()) == rules.NOT_CUSTOMER
    assert rules.eligibility_refusal(cust, F(is_customer=True)) is None


def test_local_day_rolls_over_at_campaign_midnight():
    c = rules.parse_campaign("acme", body())
    # 2027-01-01 15:59:59Z is 23:59:59 in UTC+8; one second later is the next local day
    t = 1798819199
    assert rules.local_day(c, t) == "2027-01-01" and rules.local_day(c, t + 1) == "2027-01-02"


class FixedRng:
    def __init__(self, value):
        self.value = value

    def random(self):
        return self.value


def test_pick_prize_by_weight_and_probability():
    c = rules.parse_campaign("acme", body())
    assert rules.pick_prize(c, FixedRng(0.0)).prize_id == "c10"
    assert rules.pick_prize(c, FixedRng(0.15)).prize_id == "mug"
    assert rules.pick_prize(c, FixedRng(0.99)).prize_id == "ty"
    p = rules.parse_campaign("acme", body(prizes=[{"prize_id": "a", "name": "a", "kind": "points", "points": 5,
                                                   "stock": 9, "probability": 0.25}]))
    assert rules.pick_prize(p, FixedRng(0.2)).prize_id == "a"
    assert rules.pick_prize(p, FixedRng(0.25)) is None  # the remainder lands on nothing


@given(weights=st.lists(st.integers(0, 50), min_size=1, max_size=17), r=st.floats(0, 1, exclude_max=True))
def test_pick_never_lands_on_a_zero_weight_prize(weights, r):
    prizes = [{"prize_id": f"p{i}", "name": "x", "kind": "thanks", "weight": w} for i, w in enumerate(weights)]
    c = rules.parse_campaign("acme", body(prizes=prizes))
    picked = rules.pick_prize(c, FixedRng(r))
    if sum(weights) == 0:
        assert picked is None
    else:
        assert picked is not None and picked.weight > 0


def test_pick_frequencies_follow_the_weights():
    c = rules.parse_campaign("acme", body())
    rng = random.Random(7)
    counts = {"c10": 0, "mug": 0, "ty": 0}
    for _ in range(20000):
        counts[rules.pick_prize(c, rng).prize_id] += 1
    assert 1700 < counts["c10"] < 2300 and 1700 < counts["mug"] < 2300


@given(stock=st.integers(0, 100000), shards=st.integers(1, 64))
def test_split_stock_adds_up_and_is_even(stock, shards):
    parts = rules.split_stock(stock, shards)
    assert sum(parts) == stock and len(parts) == shards and max(parts) - min(parts) <= 1


@given(shards=st.integers(1, 64), r=st.floats(0, 1, exclude_max=True))
def test_shard_order_visits_every_shard_once(shards, r):
    assert sorted(rules.shard_order(shards, FixedRng(r))) == list(range(shards))


def test_share_thresholds_are_reached_once():
    t = (rules.Threshold("t1", views=3, extra_draws=1), rules.Threshold("t2", views=5, shares=1, prize_id="mug"))
    assert [x.threshold_id for x in rules.newly_reached(t, 3, 0, set())] == ["t1"]
    assert rules.newly_reached(t, 4, 0, {"t1"}) == []
    assert [x.threshold_id for x in rules.newly_reached(t, 5, 1, {"t1"})] == ["t2"]


# --- user tokens

KEY = b"k" * 32


def test_token_round_trip_and_refusals():
    tok = user_tokens.issue(KEY, "acme", "o123", now=NOW, ttl=600, kind="link", campaign_id="spring")
    assert user_tokens.verify(KEY, tok, account_id="acme", now=NOW + 10, campaign_id="spring") == "o123"
    cases = [
        (dict(key=b"x" * 32, token=tok), "bad_signature"),
        (dict(token=tok, now=NOW + 600), "token_expired"),
        (dict(token=tok, account_id="other"), "wrong_account"),
        (dict(token=tok, campaign_id="autumn"), "wrong_campaign"),
        (dict(token=None), "missing_token"),
        (dict(token="v1.abc"), "malformed_token"),
    ]
    for over, reason in cases:
        args = {"key": KEY, "token": tok, "account_id": "acme", "now": NOW + 10, "campaign_id": "spring", **over}
        with pytest.raises(user_tokens.TokenRefused) as err:
            user_tokens.verify(args.pop("key"), args.pop("token"), **args)
        assert err.value.reason == reason


@given(pos=st.integers(0, 200), flip=st.integers(1, 255))
def test_any_tampered_byte_is_refused(pos, flip):
    tok = user_tokens.issue(KEY, "acme", "o123", now=NOW, ttl=600)
    raw = bytearray(tok.encode())
    pos %= len(raw)
    raw[pos] ^= flip
    forged = raw.decode("latin-1")
    if forged == tok:
        return
    with pytest.raises(user_tokens.TokenRefused):
        user_tokens.verify(KEY, forged, account_id="acme", now=NOW + 1)


# --- lottery

people_st = st.lists(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_-", min_size=1, max_size=28),
                     max_size=60)


@given(people=people_st, n=st.integers(0, 70))
@settings(max_examples=200)
def test_lottery_is_deterministic_unique_and_order_independent(people, n):
    seed = "ab" * 32
    winners = lottery.select_winners(seed, people, n)
    assert len(winners) == min(n, len(set(people)))
    assert len(set(winners)) == len(winners)
    assert set(winners) <= set(people)
    shuffled = list(people)
    random.Random(1).shuffle(shuffled)
    assert lottery.select_winners(seed, shuffled + people, n) == winners
    assert lottery.verify(seed, lottery.commitment(seed), people, n, winners)


def test_lottery_verification_catches_a_wrong_seed_or_list():
    seed, other = lottery.new_seed(), lottery.new_seed()
    people = [f"o{i}" for i in range(50)]
    winners = lottery.select_winners(seed, people, 5)
    assert lottery.verify(seed, lottery.commitment(seed), people, 5, winners)
    assert not lottery.verify(other, lottery.commitment(seed), people, 5, winners)
    assert not lottery.verify(seed, lottery.commitment(seed), people, 5, list(reversed(winners)))
    assert lottery.select_winners(other, people, 5) != winners


def test_lottery_is_fair_enough():
    people = [f"o{i}" for i in range(10)]
    wins = dict.fromkeys(people, 0)
    for i in range(2000):
        wins[lottery.select_winners(f"{i:064x}", people, 1)[0]] += 1
    assert all(130 < w < 270 for w in wins.values())


def test_shards_default_with_stock_and_grow_only_for_coupons():
    assert rules.default_shards(0) == 1 and rules.default_shards(199) == 1 and rules.default_shards(200) == 8
    c = rules.parse_campaign("acme", body())
    assert c.prize("c10").shards == 1
    grown = body(prizes=[{"prize_id": "c10", "name": "10 off", "kind": "coupon", "weight": 1, "shards": 4},
                         {"prize_id": "mug", "name": "Mug", "kind": "physical", "weight": 1, "stock": 5},
                         {"prize_id": "ty", "name": "Thanks", "kind": "thanks", "weight": 8}])
    assert rules.parse_campaign("acme", grown, existing=c).prize("c10").shards == 4
    for prize_id, shards in (("c10", 2), ("mug", 2)):  # a coupon prize never shrinks, others never change
        changed = body(prizes=[{**p, "shards": shards} if p["prize_id"] == prize_id else p
                               for p in body()["prizes"]])
        with pytest.raises(ValidationError):
            rules.parse_campaign("acme", changed, existing=rules.parse_campaign("acme", grown, existing=c))


def test_share_progress_names_the_next_threshold_until_all_are_granted():
    from scrm.domain.campaigns import Threshold, share_progress

    thresholds = (Threshold("t2", views=10, prize_id="mug"), Threshold("t1", views=5, extra_draws=2))
    first = share_progress(thresholds, 3, 0, ())
    assert (first["views"], first["granted"], first["next"]["threshold_id"]) == (3, 0, "t1")  # "已邀请 3/5 位好友"
    assert first["next"]["views"] == 5 and first["next"]["reward"] == {"extra_draws": 2}
    assert share_progress(thresholds, 6, 0, {"t1"})["next"]["threshold_id"] == "t2"
    done = share_progress(thresholds, 12, 1, {"t1", "t2"})
    assert done["next"] is None and done["granted"] == 2 and done["thresholds"] == 2
    assert share_progress((), 0, 0, ())["next"] is None
