"""Campaigns end to end over HTTP: admin API creates a campaign and uploads codes, a user draws with a
signed link, the schedule runs the lottery, the report adds up."""

import time
import uuid

import pytest
import requests

pytestmark = pytest.mark.e2e


def bearer(link: dict) -> dict:
    return {"Authorization": f"Bearer {link['token']}"}


def test_campaign_over_http(stack):
    admin = stack.admin("demo-oa")
    api = stack.api
    cid = "e2e" + uuid.uuid4().hex[:8]
    now = int(time.time())
    r = admin.post(f"{api}/accounts/demo-oa/campaigns", timeout=20, json={
        "campaign_id": cid, "name": "E2E", "starts_at": now - 60, "ends_at": now + 3600, "status": "active",
        "eligibility": {"must_follow": False}, "limits": {"draws_total": 2},
        "prizes": [{"prize_id": "c", "name": "Coupon", "kind": "coupon", "probability": 1.0}]})
    assert r.status_code == 201, r.text
    r = admin.post(f"{api}/accounts/demo-oa/campaigns/{cid}/prizes/c/codes", json={"codes": ["E2E-1"]}, timeout=20)
    assert r.status_code == 200 and r.json()["stock"] == 1, r.text
    link = admin.post(f"{api}/accounts/demo-oa/campaigns/{cid}/links", json={"openid": "o-e2e-1"}, timeout=20).json()
    other = admin.post(f"{api}/accounts/demo-oa/campaigns/{cid}/links", json={"openid": "o-e2e-2"}, timeout=20).json()
    draw = f"{api}/u/demo-oa/campaigns/{cid}/draws"
    first = requests.post(draw, json={"request_id": "e2e-request-1"}, headers=bearer(link), timeout=20)
    assert first.status_code == 200 and first.json()["prize"]["code"] == "E2E-1", first.text
    again = requests.post(draw, json={"request_id": "e2e-request-1"}, headers=bearer(link), timeout=20)
    assert again.json()["replayed"] and again.json()["prize"]["code"] == "E2E-1"
    second = requests.post(draw, json={"request_id": "e2e-request-2"},
                           headers={"Authorization": f"Bearer {other['token']}"}, timeout=20)
    assert second.json()["outcome"] == "thanks" and second.json()["fallback"] == "out_of_stock"
    forged = requests.post(draw, json={"request_id": "e2e-request-3"},
                           headers={"Authorization": f"Bearer {other['token'][:-3]}xyz"}, timeout=20)
    assert forged.status_code == 401 and forged.json()["error"]["code"] == "bad_signature"
    assert stack.fire("campaign_draw")["result"]["errors"] == 0
    report = admin.get(f"{api}/accounts/demo-oa/campaigns/{cid}/report", timeout=20).json()
    assert report["draws"] == 2 and report["wins"] == 1 and report["prizes"][0]["stock_left"] == 0
