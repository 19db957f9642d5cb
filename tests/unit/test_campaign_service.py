"""Campaign use cases on the in-memory store (no moto, no SSM): configuration and stock, codes, draws and limits,
the lottery, shares, redemptions and reports. The twin honours the DynamoDB store's conditions
(tests/contract/test_campaign_store.py); moto keeps the atomicity and concurrency tests (tests/integration)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scrm import accounts, bootstrap, secrets
from scrm.accounts import Account
from scrm.domain import lottery
from scrm.errors import AccountDisabled, ConfigError, Conflict, Forbidden, NotFound, UnknownAccount, ValidationError
from scrm.services import campaigns as svc
from scrm.stores.campaigns import MemoryCampaignStore
from scrm.tenancy import Scope
from tests.timing import Clock

ACCT = "acme"
START = 1_750_000_000.0
SCOPE = Scope.system(ACCT)


class World:
    """The twin's surroundings: accounts and SSM in memory, a fixed clock."""

    def __init__(self, monkeypatch):
        self.clock = Clock(START)
        self.store = MemoryCampaignStore()
        self.segment_events: list[dict] = []  # draws' and redemptions' facts for segments (scrm.services.segments)
        self.ssm: dict[tuple, str] = {}
        self.disabled: set[str] = set()
        bootstrap.reset(clock=self.clock, campaign_store=self.store, segment_events=self.segment_events.append)
        monkeypatch.setattr(accounts, "get", self.account)
        monkeypatch.setattr(secrets, "claim_campaign_seed", lambda a, c, seed: self.ssm.setdefault((a, c), seed))
        monkeypatch.setattr(secrets, "campaign_seed", lambda a, c: self.ssm[(a, c)])
        monkeypatch.setattr(secrets, "account_secrets", lambda a: {
            n: v for (acct, n), v in self.ssm.items() if acct == a})
        monkeypatch.setattr(secrets, "claim_account_secret", lambda a, n, v: self.ssm.setdefault((a, n), v))

    def account(self, account_id, **_):
        if account_id in self.disabled:
            raise AccountDisabled(account_id)
        if account_id not in (ACCT, "other"):
            raise UnknownAccount(account_id)
        return Account(account_id, "oa", "wx0000000000000001", account_id.title())


@pytest.fixture
def world(monkeypatch):
    return World(monkeypatch)


def body(cid="spring", **over) -> dict:
    b = {"campaign_id": cid, "name": "Spring", "starts_at": int(START - 60), "ends_at": int(START + 3600),
         "status": "active", "eligibility": {"must_follow": False},
         "prizes": [{"prize_id": "mug", "name": "Mug", "kind": "physical", "weight": 1, "stock": 3, "shards": 2},
                    {"prize_id": "c10", "name": "10 off", "kind": "coupon", "weight": 0}]}
    b.update(over)
    return b


def with_prize(b, prize_id, **over):
    return {**b, "prizes": [{**p, **over} if p["prize_id"] == prize_id else p for p in b["prizes"]]}


def stock_left(world, prize_id):
    shards = world.store.shard_stock(ACCT, "spring", prize_id)
    return sum(s.stock - s.issued for s in shards)


# ---- configuration and stock


def test_create_update_with_stock_growth_and_version_conflicts(world):
    created = svc.create_campaign(SCOPE, ACCT, body())
    assert created["version"] == 1 and created["prizes"][0]["stock"] == 3 and stock_left(world, "mug") == 3
    with pytest.raises(Conflict):
        svc.create_campaign(SCOPE, ACCT, with_prize(body(), "mug", stock=99))
    assert stock_left(world, "mug") == 3
    grown = svc.update_campaign(SCOPE, ACCT, "spring", {**with_prize(body(), "mug", stock=10), "version": 1})
    assert grown["version"] == 2 and stock_left(world, "mug") == 10
    assert len(world.store.shard_stock(ACCT, "spring", "mug")) == 2  # the growth is spread too
    with pytest.raises(Conflict):  # computed from version 1
        svc.update_campaign(SCOPE, ACCT, "spring", {**with_prize(body(), "mug", stock=20), "version": 1})
    with pytest.raises(ValidationError):
        svc.update_campaign(SCOPE, ACCT, "spring", with_prize(body(), "mug", stock=4))  # stock only grows
    with pytest.raises(ValidationError):
        svc.update_campaign(SCOPE, ACCT, "spring", with_prize(body(), "mug", kind="points", points=1, stock=10))
    too_many = [{"prize_id": f"p{i}", "name": "P", "kind": "physical", "weight": 1, "stock": 1000, "shards": 64}
                for i in range(2)]
    with pytest.raises(ValidationError) as err:
        svc.update_campaign(SCOPE, ACCT, "spring", {**body(), "prizes": body()["prizes"] + too_many})
    assert err.value.field == "prizes" and stock_left(world, "mug") == 10
    assert svc.get_campaign(SCOPE, ACCT, "spring")["version"] == 2
    with pytest.raises(NotFound):
        svc.get_campaign(SCOPE, ACCT, "nope")
    with pytest.raises(Forbidden):
        svc.get_campaign(Scope(account_id="other", key_id="k1"), ACCT, "spring")


def test_campaigns_are_listed_and_paged(world):
    for i in range(5):
        svc.create_campaign(SCOPE, ACCT, body(cid=f"c{i}"))
    rows, last = svc.query_campaigns(SCOPE, ACCT, limit=3)
    more, end = svc.query_campaigns(SCOPE, ACCT, limit=3, start=last)
    assert [r.campaign_id for r in rows + more] == [f"c{i}" for i in range(5)] and end is None
    assert [c["campaign_id"] for c in svc.list_campaigns(SCOPE, ACCT)] == [f"c{i}" for i in range(5)]
    with pytest.raises(ValidationError):
        svc.query_campaigns(SCOPE, ACCT, limit=3, start={"campaign_id": 7})


# ---- coupon codes


def test_upload_codes_places_each_once_and_shards_follow_the_codes(world):
    svc.create_campaign(SCOPE, ACCT, body())
    first = svc.upload_codes(SCOPE, ACCT, "spring", "c10", ["A1", "A2", "A2"])
    assert (first["added"], first["duplicates"], first["stock"], first["shards"]) == (2, 1, 2, 1)
    again = svc.upload_codes(SCOPE, ACCT, "spring", "c10", ["A1", "B1"])
    assert (again["added"], again["duplicates"], again["stock"]) == (1, 1, 3)
    big = svc.upload_codes(SCOPE, ACCT, "spring", "c10", [f"L{i:04d}" for i in range(2000)])
    assert big["stock"] == 2003 and big["shards"] == svc.rules.default_shards(2003)
    got = svc.get_campaign(SCOPE, ACCT, "spring")
    assert got["prizes"][1]["stock"] == 2003 and got["prizes"][1]["shards"] == big["shards"] and got["version"] == 4
    with pytest.raises(ValidationError):
        svc.upload_codes(SCOPE, ACCT, "spring", "mug", ["X1"])  # not a coupon prize
    with pytest.raises(ValidationError):
        svc.upload_codes(SCOPE, ACCT, "spring", "c10", ["has space"])
    with pytest.raises(NotFound):
        svc.upload_codes(SCOPE, ACCT, "spring", "nope", ["X1"])


def test_an_upload_waits_for_the_one_holding_the_lease(world):
    svc.create_campaign(SCOPE, ACCT, body())
    held = world.store.take_upload_lease(ACCT, "spring", "c10", START, svc.UPLOAD_LEASE_SECONDS)
    with pytest.raises(Conflict):
        svc.upload_codes(SCOPE, ACCT, "spring", "c10", ["A1"])
    world.store.release_upload_lease(held)
    assert svc.upload_codes(SCOPE, ACCT, "spring", "c10", ["A1"])["added"] == 1


# ---- draws


def coupon_campaign(world, codes=5, **over):
    b = body(prizes=[{"prize_id": "c10", "name": "10 off", "kind": "coupon", "probability": 1.0, "shards": 3}],
             **over)
    svc.create_campaign(SCOPE, ACCT, b)
    if codes:
        svc.upload_codes(SCOPE, ACCT, "spring", "c10", [f"CODE-{i:03d}" for i in range(codes)])


def test_draws_until_the_stock_runs_out_hand_each_code_once(world):
    coupon_campaign(world, codes=5)
    results = [svc.draw(ACCT, "spring", f"u{i}", f"request-{i:04d}") for i in range(8)]
    codes = [r["prize"]["code"] for r in results if r["outcome"] == "win"]
    assert sorted(codes) == [f"CODE-{i:03d}" for i in range(5)]
    assert [r.get("fallback") for r in results if r["outcome"] == "thanks"] == ["out_of_stock"] * 3
    assert stock_left(world, "c10") == 0
    replay = svc.draw(ACCT, "spring", "u0", "request-0000")
    assert replay["replayed"] and replay["prize"] == results[0]["prize"]
    report = svc.report(SCOPE, ACCT, "spring")
    assert report["draws"] == 8 and report["prizes"][0]["wins"] == 5 and report["fell_back_to_thanks"] == 3


def test_daily_and_total_limits_refuse_and_status_counts_down(world):
    svc.create_campaign(SCOPE, ACCT, body(limits={"draws_per_day": 2, "draws_total": 3},
                                          ends_at=int(START + 5 * 86400)))
    svc.draw(ACCT, "spring", "u1", "request-0001")
    assert svc.my_status(ACCT, "spring", "u1")["draws_left"] == 1
    svc.draw(ACCT, "spring", "u1", "request-0002")
    with pytest.raises(svc.DrawRefused) as daily:
        svc.draw(ACCT, "spring", "u1", "request-0003")
    assert daily.value.reason == svc.rules.DAILY_LIMIT and daily.value.status == 403
    world.clock.advance(86400)
    svc.draw(ACCT, "spring", "u1", "request-0004")
    with pytest.raises(svc.DrawRefused) as total:
        svc.draw(ACCT, "spring", "u1", "request-0005")
    assert total.value.reason == svc.rules.TOTAL_LIMIT
    status = svc.my_status(ACCT, "spring", "u1")
    assert (status["draws"], status["draws_today"], status["draws_left"]) == (3, 1, 0)
    assert stock_left(world, "mug") == 0  # three wins, then nothing more was taken
    with pytest.raises(svc.DrawRefused) as bad:
        svc.draw(ACCT, "spring", "u1", "short")
    assert bad.value.reason == "bad_request_id"


def test_refusals_name_why_and_write_nothing(world):
    svc.create_campaign(SCOPE, ACCT, body())
    svc.create_campaign(SCOPE, ACCT, body(cid="later", starts_at=int(START + 600)))
    svc.create_campaign(SCOPE, ACCT, body(cid="paused", status="paused"))
    reasons = {}
    for account, cid in ((ACCT, "later"), (ACCT, "paused"), (ACCT, "nope"), ("ghost", "spring")):
        with pytest.raises(svc.DrawRefused) as refused:
            svc.draw(account, cid, "u1", "request-0001")
        reasons[cid if account == ACCT else account] = refused.value.reason
    assert reasons["nope"] == "unknown_campaign" and reasons["ghost"] == "unknown_account"
    assert reasons["later"] != reasons["paused"]
    world.disabled.add(ACCT)
    with pytest.raises(svc.DrawRefused) as disabled:
        svc.draw(ACCT, "spring", "u1", "request-0001")
    assert disabled.value.reason == "account_disabled"
    assert world.store.query_draws(ACCT, "spring") == [] and stock_left(world, "mug") == 3


# ---- the lottery


def lottery_campaign(**over):
    b = body(cid="spring", prizes=[
        {"prize_id": "mug", "name": "Mug", "kind": "physical", "weight": 1, "stock": 10},
        {"prize_id": "tv", "name": "TV", "kind": "physical", "weight": 0, "stock": 5}],
        lottery={"prize_id": "tv", "winners": 5}, ends_at=int(START + 600))
    b.update(over)
    return svc.create_campaign(SCOPE, ACCT, b)


def test_the_lottery_respects_wins_total_and_publishes_what_verifies(world):
    commitment = lottery_campaign(limits={"wins_total": 1})["lottery"]["commitment"]
    assert svc.draw(ACCT, "spring", "lucky", "request-0001")["outcome"] == "win"  # the wheel: 1 of 1
    for who in ("lucky", "u1", "u2"):
        svc.enter(ACCT, "spring", who)
    with pytest.raises(Conflict):
        svc.run_lottery(ACCT, "spring")  # not before the end
    world.clock.advance(700)
    result = svc.run_lottery(ACCT, "spring")
    assert "lucky" not in result["winners"] and sorted(result["winners"]) == ["u1", "u2"]
    assert result["participants"] == ["u1", "u2"] and result["commitment"] == commitment
    assert lottery.verify(result["seed"], commitment, result["participants"], 5, result["winners"])
    assert (result["awarded"], result["unfulfilled"]) == (2, 0)
    assert svc.run_lottery(ACCT, "spring")["winners"] == result["winners"]  # re-run: the same, nothing new
    report = svc.report(SCOPE, ACCT, "spring")
    assert report["wins_by_source"] == {"instant": 1, "lottery": 2, "share": 0} and report["lottery_entries"] == 3
    with pytest.raises(Conflict):
        svc.update_campaign(SCOPE, ACCT, "spring", body())


def test_a_recreated_campaign_keeps_its_committed_seed_and_a_tampered_one_is_refused(world):
    published = lottery_campaign()["lottery"]["commitment"]
    with pytest.raises(Conflict):
        lottery_campaign(name="Again")
    assert lottery.commitment(world.ssm[(ACCT, "spring")]) == published
    svc.enter(ACCT, "spring", "u1")
    world.ssm[(ACCT, "spring")] = "ab" * 32  # changed outside the product
    world.clock.advance(700)
    with pytest.raises(ConfigError):
        svc.run_lottery(ACCT, "spring")
    assert svc.get_lottery(SCOPE, ACCT, "spring")["state"] == "pending"


def test_the_schedule_draws_due_lotteries_and_skips_disabled_accounts(world, monkeypatch):
    lottery_campaign()
    svc.enter(ACCT, "spring", "u1")
    monkeypatch.setattr(svc.lottery, "notify_winners", lambda *a, **k: {"sent": 0, "failed": 0})
    world.disabled.add(ACCT)
    world.clock.advance(700)
    assert svc.run_schedule()["skipped_disabled"] == 1
    world.disabled.clear()
    summary = svc.run_schedule()
    assert summary["lotteries"] == 1 and summary["errors"] == 0
    assert svc.get_lottery(SCOPE, ACCT, "spring")["winners"] == ["u1"]


# ---- shares


def test_share_thresholds_grant_bonus_draws_and_prizes_once(world):
    svc.create_campaign(SCOPE, ACCT, body(
        limits={"draws_total": 1},
        prizes=[{"prize_id": "ty", "name": "Thanks", "kind": "thanks", "weight": 1},
                {"prize_id": "mug", "name": "Mug", "kind": "physical", "weight": 0, "stock": 1}],
        share={"thresholds": [{"threshold_id": "t1", "views": 2, "reward": {"extra_draws": 2}},
                              {"threshold_id": "t2", "views": 3, "shares": 1, "reward": {"prize_id": "mug"}}]}))
    sid = svc.create_share(ACCT, "spring", "owner")["share_id"]

    def spin(n):  # the owner's n-th draw
        return svc.draw(ACCT, "spring", "owner", f"request-{n:04d}")

    def opened_by(viewer):
        return svc.view_share(ACCT, "spring", sid, viewer)

    spin(1)
    with pytest.raises(svc.DrawRefused):
        spin(2)
    assert [opened_by(v)["counted"] for v in ("owner", "v1", "v1")] == [False, True, False]  # others, once each
    assert opened_by("v2")["granted"] == ["t1"]  # two distinct viewers: two more draws
    spin(2), spin(3)
    with pytest.raises(svc.DrawRefused):
        spin(4)
    opened_by("v3")
    onward = [svc.create_share(ACCT, "spring", "v3", parent=sid)["granted"] for _ in range(2)]
    assert onward == [["t2"], []]
    report = svc.report(SCOPE, ACCT, "spring")
    assert report["shares"] == {"links": 2, "distinct_views": 3, "onward_shares": 1}
    with pytest.raises(svc.DrawRefused):
        svc.create_share(ACCT, "spring", "v4", parent="nope")
    assert report["wins_by_source"]["share"] == 1 and stock_left(world, "mug") == 0
    assert [w["prize"]["prize_id"] for w in svc.my_status(ACCT, "spring", "owner")["wins"]] == ["mug"]
    assert svc.public_share(ACCT, "spring", sid)["share_id"] == sid


# ---- redemptions and the admin's view of draws


def test_redeem_by_draw_or_code_once(world):
    coupon_campaign(world, codes=2)
    won = svc.draw(ACCT, "spring", "u1", "request-0001")
    done = svc.redeem(SCOPE, ACCT, "spring", {"code": won["prize"]["code"], "note": "at the desk"})
    assert done["openid"] == "u1" and done["redeemed_at"] == int(START)
    with pytest.raises(Conflict):
        svc.redeem(SCOPE, ACCT, "spring", {"code": won["prize"]["code"]})
    unused = "CODE-001" if won["prize"]["code"] == "CODE-000" else "CODE-000"
    with pytest.raises(Conflict):
        svc.redeem(SCOPE, ACCT, "spring", {"code": unused})  # never handed out
    with pytest.raises(NotFound):
        svc.redeem(SCOPE, ACCT, "spring", {"code": "ZZZ"})
    with pytest.raises(ValidationError):
        svc.redeem(SCOPE, ACCT, "spring", {})
    with pytest.raises(ValidationError) as bad:  # every error at once, each with its field
        svc.redeem(SCOPE, ACCT, "spring", {"draw_id": 5, "note": "x" * 501})
    assert {e["field"] for e in bad.value.details["errors"]} == {"draw_id", "note"}
    second = svc.draw(ACCT, "spring", "u2", "request-0002")
    draw_id = svc.list_draws(SCOPE, ACCT, "spring")["items"][1]["draw_id"]
    with pytest.raises(ValidationError):
        svc.redeem(SCOPE, ACCT, "spring", {"draw_id": draw_id, "note": "x" * 501})
    assert svc.redeem(SCOPE, ACCT, "spring", {"draw_id": draw_id})["prize"]["code"] == second["prize"]["code"]
    assert svc.report(SCOPE, ACCT, "spring")["prizes"][0]["redeemed"] == 2


def test_draws_are_listed_page_by_page(world):
    svc.create_campaign(SCOPE, ACCT, with_prize(body(), "mug", stock=20))
    for i in range(7):
        svc.draw(ACCT, "spring", f"u{i}", f"request-{i:04d}")
    seen, cursor = [], None
    while True:
        page = svc.list_draws(SCOPE, ACCT, "spring", outcome=None, limit=3, cursor=cursor)
        seen += [d["draw_id"] for d in page["items"]]
        cursor = page["cursor"]
        if cursor is None:
            break
    assert seen == sorted(f"i#u{i}#request-{i:04d}" for i in range(7))


# ---- who is asking


def test_tokens_vouch_for_the_user_and_unknown_accounts_are_remembered_per_container(world, monkeypatch):
    svc.create_campaign(SCOPE, ACCT, body())
    token = svc.issue_user_token(ACCT, "u1", ttl=600)["token"]
    assert svc.authenticate(ACCT, "spring", token) == "u1"
    world.clock.advance(601)
    with pytest.raises(svc.DrawRefused) as expired:
        svc.authenticate(ACCT, "spring", token)
    assert expired.value.status == 401
    link = svc.issue_link(SCOPE, ACCT, "spring", "u2")
    assert link["path"].startswith("/u/acme/campaigns/spring#t=")
    lookups = []
    monkeypatch.setattr(accounts, "get", lambda a, **k: lookups.append(a) or world.account(a))
    for _ in range(3):
        with pytest.raises(svc.DrawRefused):
            svc.check_account("ghost1")
    assert lookups == ["ghost1"]  # remembered
    bootstrap.reset(clock=world.clock, campaign_store=world.store)  # a cold container forgets it
    with pytest.raises(svc.DrawRefused):
        svc.check_account("ghost1")
    assert lookups == ["ghost1", "ghost1"]


# ---- a reference model of the rules (mirrors tests/integration/test_campaign_draws.py, more examples)


class ReferenceModel:
    """The rules in a few lines: per-day and total limits refuse; a draw wins while stock lasts and the user is
    under the win limit; otherwise it counts as thanks."""

    def __init__(self, stock, per_day, total, max_wins):
        self.left, self.per_day, self.total, self.max_wins = stock, per_day, total, max_wins
        self.on_day: dict = {}
        self.drawn: dict = {}
        self.won: dict = {}

    def draw(self, user, day) -> str:
        if self.on_day.get((user, day), 0) >= self.per_day or self.drawn.get(user, 0) >= self.total:
            return "refused"
        self.on_day[(user, day)] = self.on_day.get((user, day), 0) + 1
        self.drawn[user] = self.drawn.get(user, 0) + 1
        if self.left == 0 or (self.max_wins is not None and self.won.get(user, 0) >= self.max_wins):
            return "thanks"
        self.left -= 1
        self.won[user] = self.won.get(user, 0) + 1
        return "win"


@given(ops=st.lists(st.tuples(st.integers(0, 2), st.integers(0, 1)), min_size=1, max_size=20),
       stock=st.integers(0, 4), per_day=st.integers(1, 3), total=st.integers(1, 5),
       max_wins=st.one_of(st.none(), st.integers(0, 2)))
@settings(max_examples=150)
def test_stock_and_limits_match_a_simple_model(ops, stock, per_day, total, max_wins):
    store = MemoryCampaignStore()
    bootstrap.reset(campaign_store=store, segment_events=lambda message: None)  # draws' facts: not this test's
    real_get = accounts.get
    accounts.get = lambda a, **k: Account(a, "oa", "wx0000000000000001", "Acme")
    try:
        limits = {"draws_per_day": per_day, "draws_total": total}
        if max_wins is not None:
            limits["wins_total"] = max_wins
        svc.create_campaign(SCOPE, ACCT, body(limits=limits, ends_at=int(START + 5 * 86400), prizes=[
            {"prize_id": "p", "name": "P", "kind": "points", "points": 5, "weight": 1, "stock": stock, "shards": 2}]),
            now=START)
        model = ReferenceModel(stock, per_day, total, max_wins)
        for n, (user, day) in enumerate(ops):
            try:
                got = svc.draw(ACCT, "spring", f"u{user}", f"req-{n:06d}", now=START + day * 86400)["outcome"]
            except svc.DrawRefused:
                got = "refused"
            assert got == model.draw(user, day)
        assert sum(s.stock - s.issued for s in store.shard_stock(ACCT, "spring", "p")) == model.left
    finally:
        accounts.get = real_get
