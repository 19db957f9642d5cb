"""Campaigns against moto (atomic per request, like DynamoDB) and the WeChat sandbox: exact stock, codes
handed out once, limits, idempotent retries, faults, shares, the lottery, notifications and reports."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scrm.tenancy import Scope

ACCT = "acme"


@pytest.fixture
def acct(aws):
    from tests.integration.admin_helpers import register

    register(ACCT)
    return Scope.system(ACCT)


def campaign(scope, cid="spring", now=None, **over):
    from scrm.services import campaigns as svc

    now = now or time.time()
    body = {"campaign_id": cid, "name": "Spring", "starts_at": int(now - 60), "ends_at": int(now + 3600),
            "status": "active", "eligibility": {"must_follow": False},
            "prizes": [{"prize_id": "c10", "name": "10 off", "kind": "coupon", "probability": 1.0, "shards": 3}]}
    body.update(over)
    return svc.create_campaign(scope, ACCT, body)


def stock_left(cid, prize_id):
    from scrm.data.campaigns import campaign_key
    from scrm.data.prizes import PrizeShard

    shards = list(PrizeShard.query(campaign_key(ACCT, cid), PrizeShard.shard_key.startswith(f"{prize_id}#")))
    return sum(int(s.stock) - int(s.issued) for s in shards)


def test_concurrent_draws_never_oversell_and_hand_out_each_code_once(acct):
    from scrm.services import campaigns as svc

    campaign(acct)
    svc.upload_codes(acct, ACCT, "spring", "c10", [f"CODE-{i:03d}" for i in range(12)])
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda i: svc.draw(ACCT, "spring", f"user{i}", f"req-{i:06d}"), range(50)))
    wins = [r for r in results if r["outcome"] == "win"]
    codes = [r["prize"]["code"] for r in wins]
    assert len(wins) == 12 and len(set(codes)) == 12
    assert {r.get("fallback") for r in results if r["outcome"] == "thanks"} == {"out_of_stock"}
    assert stock_left("spring", "c10") == 0
    report = svc.report(acct, ACCT, "spring")
    assert report["draws"] == 50 and report["prizes"][0]["wins"] == 12 and report["prizes"][0]["stock_left"] == 0


def test_retried_request_id_is_one_draw(acct):
    from scrm.services import campaigns as svc

    campaign(acct, prizes=[{"prize_id": "mug", "name": "Mug", "kind": "physical", "weight": 1, "stock": 5}],
             limits={"draws_total": 3})
    first = svc.draw(ACCT, "spring", "u1", "same-request-1")
    with ThreadPoolExecutor(8) as pool:
        again = list(pool.map(lambda _: svc.draw(ACCT, "spring", "u1", "same-request-1"), range(8)))
    assert all(a["replayed"] and a["outcome"] == first["outcome"] for a in again)
    assert stock_left("spring", "mug") == 4
    assert svc.report(acct, ACCT, "spring")["draws"] == 1


def test_limits_refuse_without_touching_stock(acct):
    from scrm.services import campaigns as svc

    campaign(acct, prizes=[{"prize_id": "mug", "name": "Mug", "kind": "physical", "weight": 1, "stock": 10}],
             limits={"draws_per_day": 2, "draws_total": 3, "wins_total": 1})
    assert svc.draw(ACCT, "spring", "u1", "request-001")["outcome"] == "win"
    second = svc.draw(ACCT, "spring", "u1", "request-002")  # over the win limit: counted, as thanks
    assert second["outcome"] == "thanks" and second["fallback"] == "win_limit"
    with pytest.raises(svc.DrawRefused) as refused:
        svc.draw(ACCT, "spring", "u1", "request-003")
    assert refused.value.reason == "daily_draw_limit" and refused.value.status == 403
    assert stock_left("spring", "mug") == 9
    tomorrow = time.time() + 86400  # next local day: the daily limit resets, the total does not
    with pytest.raises(svc.DrawRefused):
        svc.draw(ACCT, "spring", "u1", "request-004", now=tomorrow + 0)
    assert stock_left("spring", "mug") == 9


def test_outside_window_paused_unknown_and_ineligible_are_refused(acct, oa_account):
    from scrm.services import campaigns as svc

    now = time.time()
    campaign(acct, now=now, prizes=[{"prize_id": "mug", "name": "M", "kind": "physical", "weight": 1, "stock": 3}])
    for when, reason in ((now - 3600, "outside_window"), (now + 7200, "outside_window")):
        with pytest.raises(svc.DrawRefused) as err:
            svc.draw(ACCT, "spring", "u1", "request-001", now=when)
        assert err.value.reason == reason
    with pytest.raises(svc.DrawRefused) as err:
        svc.draw(ACCT, "nope", "u1", "request-001")
    assert err.value.reason == "unknown_campaign"
    # must follow: asked of the OA (no contact record yet); a non-follower is refused, a follower draws
    from local.sandbox import SandboxClient

    sb = SandboxClient(__import__("os").environ["WECHAT_OA_BASE_URL"].rsplit("/oa", 1)[0])
    sb.oa_followers(oa_account.app_id, openids=["ofan"])
    oa_scope = Scope.system(oa_account.account_id)
    from scrm.services import campaigns as s2

    s2.create_campaign(oa_scope, oa_account.account_id, {
        "campaign_id": "fans", "name": "Fans", "starts_at": int(now - 60), "ends_at": int(now + 3600),
        "status": "active", "eligibility": {"must_follow": True},
        "prizes": [{"prize_id": "mug", "name": "M", "kind": "physical", "weight": 1, "stock": 3}]})
    with pytest.raises(svc.DrawRefused) as err:
        svc.draw(oa_account.account_id, "fans", "ostranger", "request-001")
    assert err.value.reason == "not_following"
    assert svc.draw(oa_account.account_id, "fans", "ofan", "request-002")["outcome"] == "win"
    assert stock_left("spring", "mug") == 3


def test_a_transaction_failing_halfway_changes_nothing(acct, monkeypatch):
    """The draw transaction is cancelled by its last condition (the day counter) or dies in flight."""
    from scrm.data import draw_ledger
    from scrm.data.draws import DrawRecord
    from scrm.services import campaigns as svc

    campaign(acct, prizes=[{"prize_id": "mug", "name": "Mug", "kind": "physical", "weight": 1, "stock": 4}],
             limits={"draws_per_day": 1})
    svc.draw(ACCT, "spring", "u1", "request-001")
    assert stock_left("spring", "mug") == 3
    with pytest.raises(svc.DrawRefused):  # stock condition passes, day condition fails: all cancelled
        svc.draw(ACCT, "spring", "u1", "request-002")
    assert stock_left("spring", "mug") == 3

    def boom(self):
        raise ConnectionError("network died before DynamoDB got the transaction")

    monkeypatch.setattr(draw_ledger._Txn, "commit", boom)
    with pytest.raises(ConnectionError):
        svc.draw(ACCT, "spring", "u2", "request-003")
    monkeypatch.undo()
    assert stock_left("spring", "mug") == 3
    assert [d.draw_id for d in DrawRecord.query(f"{ACCT}#spring")] == ["i#u1#request-001", "i#u1#request-002"][:1]
    # the client retries the same request id: one draw
    assert svc.draw(ACCT, "spring", "u2", "request-003")["outcome"] == "win"
    assert svc.draw(ACCT, "spring", "u2", "request-003")["replayed"]
    assert stock_left("spring", "mug") == 2


def test_tokens_over_http_forged_expired_and_valid(acct):
    from chalice.test import Client

    from app import app
    from scrm.services import campaigns as svc

    campaign(acct, prizes=[{"prize_id": "mug", "name": "Mug", "kind": "physical", "weight": 1, "stock": 2}])
    link = svc.issue_link(acct, ACCT, "spring", "u1", ttl=600)
    expired = svc.issue_user_token(ACCT, "u1", ttl=60, now=time.time() - 120)["token"]
    forged = link["token"][:-4] + ("AAAA" if not link["token"].endswith("AAAA") else "BBBB")
    path = f"/u/{ACCT}/campaigns/spring/draws"
    body = '{"request_id": "http-request-1"}'
    with Client(app) as c:
        def call(token=None, query=""):
            headers = {"Content-Type": "application/json"}
            if token:
                headers["Authorization"] = f"Bearer {token}"
            return c.http.post(path + query, headers=headers, body=body)

        for token, code in ((None, "missing_token"), (forged, "bad_signature"), (expired, "token_expired")):
            r = call(token)
            assert r.status_code == 401 and r.json_body["error"]["code"] == code
        assert stock_left("spring", "mug") == 2
        in_query = call(query=f"?t={link['token']}")  # would be logged whole: refused, nothing drawn
        assert in_query.status_code == 400 and in_query.json_body["error"]["code"] == "token_in_query"
        assert stock_left("spring", "mug") == 2
        ok = call(link["token"])
        assert ok.status_code == 200 and ok.json_body["outcome"] == "win"
        other = svc.issue_link(acct, ACCT, "spring", "u1", ttl=600)["token"]
        r = c.http.post(f"/u/{ACCT}/campaigns/autumn/draws", headers={"Authorization": f"Bearer {other}"},
                        body=body)
        assert r.status_code == 401 and r.json_body["error"]["code"] == "wrong_campaign"


def test_share_to_win_counts_distinct_people_and_grants_once(acct):
    from scrm.services import campaigns as svc

    campaign(acct, limits={"draws_total": 1},
             prizes=[{"prize_id": "ty", "name": "Thanks", "kind": "thanks", "weight": 1},
                     {"prize_id": "mug", "name": "Mug", "kind": "physical", "weight": 0, "stock": 1}],
             share={"thresholds": [{"threshold_id": "t1", "views": 2, "reward": {"extra_draws": 2}},
                                   {"threshold_id": "t2", "views": 3, "shares": 1, "reward": {"prize_id": "mug"}}]})
    sid = svc.create_share(ACCT, "spring", "owner")["share_id"]
    assert svc.draw(ACCT, "spring", "owner", "request-001")["outcome"] == "thanks"
    with pytest.raises(svc.DrawRefused):
        svc.draw(ACCT, "spring", "owner", "request-002")
    assert not svc.view_share(ACCT, "spring", sid, "owner")["counted"]  # own views never count
    assert svc.view_share(ACCT, "spring", sid, "v1")["counted"]
    assert not svc.view_share(ACCT, "spring", sid, "v1")["counted"]  # the same person counts once
    with ThreadPoolExecutor(4) as pool:  # the same new viewer, concurrently
        granted = list(pool.map(lambda _: svc.view_share(ACCT, "spring", sid, "v2")["granted"], range(4)))
    assert sum(g.count("t1") for g in granted) == 1
    svc.draw(ACCT, "spring", "owner", "request-002")
    svc.draw(ACCT, "spring", "owner", "request-003")
    with pytest.raises(svc.DrawRefused):
        svc.draw(ACCT, "spring", "owner", "request-004")
    svc.view_share(ACCT, "spring", sid, "v3")
    assert svc.create_share(ACCT, "spring", "v3", parent=sid)["granted"] == ["t2"]
    svc.create_share(ACCT, "spring", "v3", parent=sid)
    report = svc.report(acct, ACCT, "spring")
    assert report["shares"] == {"links": 2, "distinct_views": 3, "onward_shares": 1}
    assert report["wins_by_source"]["share"] == 1 and stock_left("spring", "mug") == 0


def test_lottery_is_reproducible_notifies_winners_and_redeems_once(acct, oa_account):
    from local.sandbox import SandboxClient
    from scrm.domain import lottery
    from scrm.errors import Conflict
    from scrm.services import campaigns as svc

    sb = SandboxClient(__import__("os").environ["WECHAT_OA_BASE_URL"].rsplit("/oa", 1)[0])
    people = [f"ofan{i:02d}" for i in range(12)]
    sb.oa_followers(oa_account.app_id, openids=people)
    oid = oa_account.account_id
    scope = Scope.system(oid)
    now = time.time()
    created = svc.create_campaign(scope, oid, {
        "campaign_id": "draw", "name": "Draw", "starts_at": int(now - 60), "ends_at": int(now + 600),
        "status": "active", "eligibility": {"must_follow": False}, "notify": {"template_id": "TPL1"},
        "prizes": [{"prize_id": "tv", "name": "TV", "kind": "physical", "weight": 0, "stock": 3}],
        "lottery": {"prize_id": "tv", "winners": 3}})
    commitment = created["lottery"]["commitment"]
    for p in people:
        svc.enter(oid, "draw", p, now=now)
    with pytest.raises(Conflict):
        svc.run_lottery(oid, "draw", now=now)  # not before the end
    summary = svc.run_schedule(now=now + 700)
    assert summary["lotteries"] == 1 and summary["notified"] == 3 and summary["errors"] == 0
    result = svc.get_lottery(scope, oid, "draw")
    assert result["state"] == "drawn" and result["commitment"] == commitment
    assert lottery.verify(result["seed"], commitment, result["participants"], 3, result["winners"])
    assert result["participants_digest"] == lottery.participants_digest(people)
    sent = sb.calls(path_contains="message/template/send")
    assert sorted(c["body"]["touser"] for c in sent if "body" in c) in (sorted(result["winners"]), [])
    assert len(sent) == 3
    again = svc.run_schedule(now=now + 800)  # nothing twice
    assert again["lotteries"] == 0 and again["notified"] == 0
    assert svc.run_lottery(oid, "draw", now=now + 900)["winners"] == result["winners"]
    wins = svc.list_draws(scope, oid, "draw")["items"]
    assert sorted(w["openid"] for w in wins) == sorted(result["winners"])
    assert all(w["notified_at"] for w in wins)
    svc.redeem(scope, oid, "draw", {"draw_id": wins[0]["draw_id"], "note": "shipped"})
    with pytest.raises(Conflict):
        svc.redeem(scope, oid, "draw", {"draw_id": wins[0]["draw_id"]})
    assert svc.report(scope, oid, "draw")["prizes"][0]["redeemed"] == 1


def test_coupon_redemption_by_code_and_tenancy(acct):
    from scrm.errors import Conflict, Forbidden, NotFound
    from scrm.services import campaigns as svc

    campaign(acct)
    svc.upload_codes(acct, ACCT, "spring", "c10", ["AAA", "BBB"])
    won = svc.draw(ACCT, "spring", "u1", "request-001")
    assert svc.redeem(acct, ACCT, "spring", {"code": won["prize"]["code"]})["openid"] == "u1"
    with pytest.raises(Conflict):
        svc.redeem(acct, ACCT, "spring", {"code": won["prize"]["code"]})
    unused = "BBB" if won["prize"]["code"] == "AAA" else "AAA"
    with pytest.raises(Conflict):
        svc.redeem(acct, ACCT, "spring", {"code": unused})
    with pytest.raises(NotFound):
        svc.redeem(acct, ACCT, "spring", {"code": "ZZZ"})
    with pytest.raises(Forbidden):
        svc.report(Scope(account_id="other", key_id="k1", role="admin"), ACCT, "spring")


@given(ops=st.lists(st.tuples(st.integers(0, 2), st.integers(0, 1)), min_size=1, max_size=14),
       stock=st.integers(0, 4), per_day=st.integers(1, 3), total=st.integers(1, 5),
       max_wins=st.one_of(st.none(), st.integers(0, 2)))
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_stock_and_limits_match_a_simple_model(acct, ops, stock, per_day, total, max_wins):
    """Random draws by three users over two days against a reference model of the rules."""
    import uuid

    from scrm.services import campaigns as svc

    cid = "h" + uuid.uuid4().hex[:12]
    now = time.time()
    limits = {"draws_per_day": per_day, "draws_total": total}
    if max_wins is not None:
        limits["wins_total"] = max_wins
    campaign(acct, cid=cid, now=now, limits=limits, ends_at=int(now + 5 * 86400),
             prizes=[{"prize_id": "p", "name": "P", "kind": "points", "points": 5, "weight": 1, "stock": stock,
                      "shards": 2}])
    left, draws, days, wins = stock, {}, {}, {}
    for n, (user, day) in enumerate(ops):
        key = (user, day)
        expect_refused = days.get(key, 0) >= per_day or draws.get(user, 0) >= total
        try:
            r = svc.draw(ACCT, cid, f"u{user}", f"req-{n:06d}", now=now + day * 86400)
        except svc.DrawRefused:
            assert expect_refused
            continue
        assert not expect_refused
        days[key] = days.get(key, 0) + 1
        draws[user] = draws.get(user, 0) + 1
        can_win = left > 0 and (max_wins is None or wins.get(user, 0) < max_wins)
        assert (r["outcome"] == "win") == can_win
        if can_win:
            left -= 1
            wins[user] = wins.get(user, 0) + 1
    assert stock_left(cid, "p") == left
