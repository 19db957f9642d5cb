"""Attack: crash the public `/u/` handlers (and make them print a traceback) with deeply nested JSON, or make them
parse huge bodies. Held: bodies over 8 KiB get 413 and nesting deeper than 8 levels a 400, both in our error
shape, before any parse, lookup or write."""

from __future__ import annotations

import time

import pytest

from scrm.tenancy import Scope

ACCT = "acme"
ROUTES = ("/draws", "/entries", "/shares", "/shares/abc/views")


@pytest.fixture
def client(aws):
    from chalice.test import Client

    from app import app
    from scrm.services import campaigns as svc
    from tests.integration.admin_helpers import register

    register(ACCT)
    now = time.time()
    svc.create_campaign(Scope.system(ACCT), ACCT, {
        "campaign_id": "spring", "name": "Spring", "starts_at": int(now - 60), "ends_at": int(now + 3600),
        "status": "active", "eligibility": {"must_follow": False},
        "prizes": [{"prize_id": "mug", "name": "Mug", "kind": "physical", "weight": 1, "stock": 10}]})
    token = svc.issue_user_token(ACCT, "u1", ttl=600)["token"]
    with Client(app) as c:
        c.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        yield c


def _error(r):
    assert r.headers["Content-Type"] == "application/json; charset=utf-8"
    assert "Traceback" not in r.body.decode() and set(r.json_body) == {"error"}
    return r.json_body["error"]


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("body", ["[" * 200000, "[" * 5000 + "]" * 5000, '{"a":' * 9 + "1" + "}" * 9,
                                  '{"request_id": ' + "[" * 20 + "]" * 20 + "}"],
                         ids=["200000-open", "5000-deep", "9-objects", "20-in-a-field"])
def test_deep_nesting_is_a_clean_400(client, route, body):
    r = client.http.post(f"/u/{ACCT}/campaigns/spring{route}", headers=client.headers, body=body)
    status = 413 if len(body) > 8192 else 400
    assert r.status_code == status
    err = _error(r)
    assert err["code"] == ("body_too_large" if status == 413 else "bad_body") and err["field"] == "body"


@pytest.mark.parametrize("route", ROUTES)
def test_oversized_bodies_are_413_and_change_nothing(client, route):
    from scrm.services import campaigns as svc

    body = '{"request_id": "request-0001", "pad": "' + "x" * 9000 + '"}'
    r = client.http.post(f"/u/{ACCT}/campaigns/spring{route}", headers=client.headers, body=body)
    assert r.status_code == 413 and _error(r)["code"] == "body_too_large"
    assert svc.report(Scope.system(ACCT), ACCT, "spring")["draws"] == 0


def test_strings_with_brackets_are_not_nesting_and_normal_bodies_work(client):
    body = '{"request_id": "request-0001", "note": "[[[[[[[[[[[[[[[[\\"{{{{{{{{{{{{"}'
    r = client.http.post(f"/u/{ACCT}/campaigns/spring/draws", headers=client.headers, body=body)
    assert r.status_code == 200 and r.json_body["outcome"] == "win"
    for bad in ("NaN", '{"request_id": NaN}', "[]", "\xff"):
        r = client.http.post(f"/u/{ACCT}/campaigns/spring/draws", headers=client.headers, body=bad)
        assert r.status_code == 400 and _error(r)["code"] == "bad_body"
