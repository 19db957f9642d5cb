"""The campaign APIs over HTTP (chalice test client, moto): lists paged with the shared cursor, reached limits
answered as refusals (not 429), handed-out URLs that resolve."""

from __future__ import annotations

import time

import pytest

from scrm.tenancy import Scope

ACCT = "acct-a"


@pytest.fixture
def api(aws):
    from chalice.test import Client

    from app import app
    from tests.integration.admin_helpers import make_api

    with Client(app) as client:
        yield make_api(client, account_ids=(ACCT, "acct-b"))


def create(n, now, **over):
    from scrm.services import campaigns as svc

    b = {"campaign_id": f"c{n:03d}", "name": f"C{n}", "starts_at": int(now - 60), "ends_at": int(now + 3600),
         "status": "active", "eligibility": {"must_follow": False},
         "prizes": [{"prize_id": "mug", "name": "Mug", "kind": "physical", "weight": 1, "stock": 100}]}
    b.update(over)
    return svc.create_campaign(Scope.system(ACCT), ACCT, b)


def walk(api, path, key, limit):
    seen, cursor, pages = [], None, 0
    while True:
        r = api.call("GET", f"{path}?limit={limit}" + (f"&cursor={cursor}" if cursor else ""), key)
        assert r.status_code == 200, r.body
        pages += 1
        seen += r.json_body["items"]
        cursor = r.json_body["next_cursor"]
        if not cursor:
            return seen, pages


def test_campaigns_are_paged_with_the_shared_cursor(api):
    now = time.time()
    for n in range(7):
        create(n, now)
    key = api.key(ACCT, "read-only")
    items, pages = walk(api, f"/accounts/{ACCT}/campaigns", key, 3)
    assert [c["campaign_id"] for c in items] == [f"c{n:03d}" for n in range(7)] and pages >= 3
    first = api.call("GET", f"/accounts/{ACCT}/campaigns?limit=3", key).json_body
    assert len(first["items"]) == 3 and first["next_cursor"]
    other = api.call("GET", f"/accounts/acct-b/campaigns?cursor={first['next_cursor']}", api.key("acct-b"))
    assert other.status_code == 400 and other.json_body["error"]["field"] == "cursor"  # bound to its listing


def test_draws_are_paged_with_the_shared_cursor(api):
    from scrm.services import campaigns as svc

    now = time.time()
    create(1, now)
    for i in range(5):
        svc.draw(ACCT, "c001", f"u{i}", f"request-{i:04d}")
    key = api.key(ACCT, "read-only")
    items, pages = walk(api, f"/accounts/{ACCT}/campaigns/c001/draws", key, 2)
    assert sorted(d["openid"] for d in items) == [f"u{i}" for i in range(5)] and pages >= 3
    r = api.call("GET", f"/accounts/{ACCT}/campaigns/c001/draws?cursor=not-a-cursor", key)
    assert r.status_code == 400 and r.json_body["error"]["field"] == "cursor"


def test_a_reached_limit_is_a_refusal_not_throttling(api):
    from scrm.services import campaigns as svc

    now = time.time()
    create(1, now, limits={"draws_per_day": 1, "draws_total": 5})
    create(2, now, limits={"draws_total": 1})
    token = svc.issue_user_token(ACCT, "u1", ttl=600)["token"]
    auth = {"Authorization": f"Bearer {token}"}
    for cid, code in (("c001", "daily_draw_limit"), ("c002", "total_draw_limit")):
        path = f"/u/{ACCT}/campaigns/{cid}/draws"
        assert api.call("POST", path, body={"request_id": "request-0001"}, headers=auth).status_code == 200
        r = api.call("POST", path, body={"request_id": "request-0002"}, headers=auth)
        assert r.status_code == 403 and r.json_body["error"]["code"] == code
        assert "Retry-After" not in r.headers
        again = api.call("POST", path, body={"request_id": "request-0001"}, headers=auth)  # a retry replays
        assert again.status_code == 200 and again.json_body["replayed"]
