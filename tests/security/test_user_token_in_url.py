"""Attack: harvest user tokens from access logs, proxies or Referer headers, where a token sent as `?t=` appears
whole. Held: the user routes take the token only in `Authorization: Bearer`; a token in the query is refused
(and draws nothing); every URL we hand out carries the token, if at all, in the fragment, which browsers never
send to a server."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest

from scrm.tenancy import Scope

ACCT = "acme"


@pytest.fixture
def api(aws):
    from chalice.test import Client

    from app import app
    from scrm.services import campaigns as svc
    from tests.integration.admin_helpers import make_api

    with Client(app) as client:
        admin = make_api(client, account_ids=(ACCT,))
        now = time.time()
        svc.create_campaign(Scope.system(ACCT), ACCT, {
            "campaign_id": "spring", "name": "Spring", "starts_at": int(now - 60), "ends_at": int(now + 3600),
            "status": "active", "eligibility": {"must_follow": False},
            "prizes": [{"prize_id": "mug", "name": "Mug", "kind": "physical", "weight": 1, "stock": 10}]})
        yield admin


def test_a_token_in_the_query_is_refused_and_draws_nothing(api):
    from scrm.services import campaigns as svc

    token = svc.issue_user_token(ACCT, "u1", ttl=600)["token"]
    for path in (f"/u/{ACCT}/campaigns/spring/draws?t={token}", f"/u/{ACCT}/campaigns/spring/me?t={token}"):
        method = "POST" if path.split("?")[0].endswith("draws") else "GET"
        r = api.call(method, path, body={"request_id": "request-0001"})
        assert r.status_code == 400 and r.json_body["error"]["code"] == "token_in_query"
    assert svc.report(Scope.system(ACCT), ACCT, "spring")["draws"] == 0
    r = api.call("POST", f"/u/{ACCT}/campaigns/spring/draws", body={"request_id": "request-0001"},
                 headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200


def test_no_handed_out_url_carries_the_token_in_its_query_and_each_resolves(api):
    """Links from the admin API and share links from the user API: the token is never in a query; the path
    (what a browser sends) opens a page of the app."""
    link = api.call("POST", f"/accounts/{ACCT}/campaigns/spring/links", api.key(ACCT, "operator"),
                    body={"openid": "u1", "ttl_seconds": 600}).json_body
    auth = {"Authorization": f"Bearer {link['token']}"}
    share = api.call("POST", f"/u/{ACCT}/campaigns/spring/shares", body={}, headers=auth).json_body
    handed_out = [link["path"], share["path"]]
    for url in handed_out:
        parts = urlsplit(url)
        assert link["token"] not in parts.path and link["token"] not in parts.query
        assert not parse_qs(parts.query)
        if link["token"] in url:
            assert parse_qs(parts.fragment) == {"t": [link["token"]]}  # the page reads it from the fragment
        r = api.call("GET", parts.path)  # what the browser sends: no token at all
        assert r.status_code == 200, (url, r.body)
    page = api.call("GET", urlsplit(link["path"]).path).json_body
    assert page["name"] == "Spring" and page["prizes"][0]["name"] == "Mug" and "u1" not in str(page)
    assert api.call("GET", urlsplit(share["path"]).path).json_body["share_id"] == share["share_id"]


def test_the_public_page_names_nobody(api):
    """The campaign page is public: it shows the lottery's commitment and figures, never who entered or won."""
    from scrm.services import campaigns as svc

    now = time.time()
    svc.create_campaign(Scope.system(ACCT), ACCT, {
        "campaign_id": "draw", "name": "Draw", "starts_at": int(now - 60), "ends_at": int(now + 60),
        "status": "active", "eligibility": {"must_follow": False},
        "prizes": [{"prize_id": "tv", "name": "TV", "kind": "physical", "weight": 0, "stock": 1}],
        "lottery": {"prize_id": "tv", "winners": 1}})
    svc.enter(ACCT, "draw", "o-secret-person", now=now)
    svc.run_lottery(ACCT, "draw", now=now + 120)
    page = api.call("GET", f"/u/{ACCT}/campaigns/draw")
    assert page.status_code == 200 and page.json_body["lottery"]["participants_count"] == 1
    assert "o-secret-person" not in page.body.decode()
