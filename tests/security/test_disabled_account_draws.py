"""Attack: keep drawing (and winning) through an account the platform disabled. Held: every user route of a
disabled account answers 403 `account_disabled` and writes nothing; its lotteries wait."""

from __future__ import annotations

import time

import pytest

from scrm.tenancy import Scope

ACCT = "acme"


def _state():
    from scrm.data.draws import DrawRecord
    from scrm.data.participants import ParticipantRecord
    from scrm.data.prizes import PrizeShard
    from scrm.data.shares import ShareRecord

    key = f"{ACCT}#spring"
    return ([(d.draw_id, d.outcome) for d in DrawRecord.query(key)],
            [(p.sk, p.draws, p.wins, p.entered_at) for p in ParticipantRecord.query(key)],
            [(s.shard_key, s.issued) for s in PrizeShard.query(key)],
            [(s.sk, s.views, s.shares) for s in ShareRecord.query(key)])


@pytest.fixture
def disabled(aws):
    from scrm.services import admin_accounts
    from scrm.services import campaigns as svc
    from tests.integration.admin_helpers import register

    register(ACCT)
    scope = Scope.system(ACCT)
    now = time.time()
    svc.create_campaign(scope, ACCT, {
        "campaign_id": "spring", "name": "Spring", "starts_at": int(now - 60), "ends_at": int(now + 3600),
        "status": "active", "eligibility": {"must_follow": False},
        "prizes": [{"prize_id": "mug", "name": "Mug", "kind": "physical", "weight": 1, "stock": 10}],
        "share": {"thresholds": [{"threshold_id": "t1", "views": 1, "reward": {"prize_id": "mug"}}]},
        "lottery": {"prize_id": "mug", "winners": 1}})
    tokens = {who: svc.issue_link(scope, ACCT, "spring", who, ttl=3600)["token"] for who in ("u1", "u2")}
    share = svc.create_share(ACCT, "spring", "u1")["share_id"]
    before = _state()
    admin_accounts.set_status(Scope.system(), ACCT, "disabled", "http://localhost")
    return tokens, share, before, now


def test_customers_of_a_disabled_account_cannot_draw_enter_or_share(disabled):
    from chalice.test import Client

    from app import app

    tokens, share, before, _ = disabled
    base = f"/u/{ACCT}/campaigns/spring"
    with Client(app) as c:
        for method, path, who in (("post", "/draws", "u1"), ("post", "/entries", "u1"), ("post", "/shares", "u2"),
                                  ("post", f"/shares/{share}/views", "u2"), ("get", "/me", "u1"),
                                  ("get", "", None), ("get", f"/shares/{share}", None)):
            headers = {"Content-Type": "application/json"}
            if who:
                headers["Authorization"] = f"Bearer {tokens[who]}"
            r = getattr(c.http, method)(base + path, headers=headers, body='{"request_id": "request-0001"}')
            assert r.status_code == 403 and r.json_body["error"]["code"] == "account_disabled", (path, r.body)
        r = c.http.post(f"/u/{ACCT}/oauth", headers={"Content-Type": "application/json"}, body='{"code": "x"}')
        assert r.status_code == 403 and r.json_body["error"]["code"] == "account_disabled"
    assert _state() == before


def test_service_calls_refuse_too_and_the_lottery_waits(disabled):
    from scrm.services import campaigns as svc

    _, share, before, now = disabled
    for call in (lambda: svc.draw(ACCT, "spring", "u1", "request-0002"), lambda: svc.enter(ACCT, "spring", "u1"),
                 lambda: svc.view_share(ACCT, "spring", share, "u2")):
        with pytest.raises(svc.DrawRefused) as refused:
            call()
        assert refused.value.reason == "account_disabled" and refused.value.status == 403
    summary = svc.run_schedule(now=now + 7200)
    assert summary["lotteries"] == 0 and summary["skipped_disabled"] == 1 and summary["errors"] == 0
    assert _state() == before
