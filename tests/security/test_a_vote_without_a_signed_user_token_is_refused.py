"""Attack: vote without being a signed WeChat user (no token, a forged token, another campaign's link token, the
token in the URL), or replay one request to vote twice. Each is refused, or counted once, and nothing else is
counted. Through the user API's handler (functions.campaign_draw) on moto, with the account's real signing key."""

from __future__ import annotations

import time

import pytest

from scrm.tenancy import Scope

ACCT = "acme"
PATH = f"/u/{ACCT}/campaigns/poll/votes"
VOTE = '{"option_id": "red", "request_id": "attack-0001"}'


@pytest.fixture
def poll(aws):
    from scrm.services import campaigns as svc
    from tests.integration.admin_helpers import register

    register(ACCT)
    scope = Scope.system(ACCT)
    now = time.time()
    for cid in ("poll", "other"):
        svc.create_campaign(scope, ACCT, {
            "campaign_id": cid, "name": "投票", "starts_at": int(now - 60), "ends_at": int(now + 3600),
            "status": "active", "kind": "vote", "eligibility": {"must_follow": False}, "voting": {"votes_per_day": 5},
            "options": [{"option_id": "red", "title": "红"}, {"option_id": "blue", "title": "蓝"}]})
    return {cid: svc.issue_link(scope, ACCT, cid, "u1", ttl=3600)["token"] for cid in ("poll", "other")}


def counted() -> int:
    from scrm.services import campaigns as svc

    return svc.public_results(ACCT, "poll")["votes"]


def send(path, token=None, body=VOTE):
    from chalice.test import Client

    from app import app

    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    with Client(app) as c:
        r = c.http.post(path, headers=headers, body=body)
    return r.status_code, r.json_body


def test_a_vote_without_a_token_is_refused(poll):
    status, body = send(PATH)
    assert status == 401 and body["error"]["code"], body
    assert counted() == 0


@pytest.mark.parametrize("forge", [lambda t: t[:-3] + "xyz", lambda t: "a.b.c", lambda t: t.split(".", 1)[1]])
def test_a_forged_token_is_refused(poll, forge):
    status, _ = send(PATH, forge(poll["poll"]))
    assert status == 401
    assert counted() == 0


def test_another_campaigns_link_token_is_refused(poll):
    status, _ = send(PATH, poll["other"])
    assert status in (401, 403)
    assert counted() == 0


def test_a_token_in_the_url_is_refused(poll):
    status, body = send(PATH + f"?t={poll['poll']}")
    assert status == 400 and body["error"]["code"] == "token_in_query"
    assert counted() == 0


def test_voting_twice_with_a_replayed_request_counts_once(poll):
    first = send(PATH, poll["poll"])
    replays = [send(PATH, poll["poll"], VOTE.replace("red", "blue")) for _ in range(5)]
    assert first[0] == 200 and not first[1]["replayed"], first
    assert all(s == 200 and b["replayed"] and b["option_id"] == "red" for s, b in replays)
    assert counted() == 1
