"""A vote campaign end to end over HTTP on the local stack: the admin API creates it, a follower signs in through
WeChat web OAuth (the sandbox's authorize page, snsapi_base) and exchanges the code for a user token, votes (a
retried request counts once, the day's limit is a 403 refusal), and the public and admin results add up."""

import time
import urllib.parse
import uuid

import pytest
import requests

pytestmark = pytest.mark.e2e

DEMO_APPID = "wx0000000000demo01"


def oauth_token(stack, cid: str, openid: str) -> str:
    """What the page does: our authorize URL -> WeChat (the sandbox) -> redirect with ?code= -> POST …/oauth."""
    api = stack.api
    page = f"{api}/c/demo-oa/{cid}"
    r = requests.get(f"{api}/u/demo-oa/oauth/authorize-url", timeout=20,
                     params={"redirect_uri": page, "state": "e2e-state-1"})
    assert r.status_code == 200, r.text
    authorize = r.json()["url"]
    assert "scope=snsapi_base" in authorize and f"appid={DEMO_APPID}" in authorize
    query = urllib.parse.urlsplit(authorize).query
    confirm = f"{stack.sandbox_url}/open/connect/oauth2/authorize/confirm?{query}&openid={openid}"
    back = requests.get(confirm, allow_redirects=False, timeout=20)
    assert back.status_code == 302, back.text
    returned = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(back.headers["Location"]).query))
    assert returned["state"] == "e2e-state-1"
    r = requests.post(f"{api}/u/demo-oa/oauth", json={"code": returned["code"]}, timeout=20)
    assert r.status_code == 200 and r.json()["openid"] == openid, r.text
    return r.json()["token"]


def test_oauth_then_vote_then_results(stack):
    admin, api = stack.admin("demo-oa"), stack.api
    cid = "vote-" + uuid.uuid4().hex[:8]
    now = int(time.time())
    r = admin.post(f"{api}/accounts/demo-oa/campaigns", timeout=20, json={
        "campaign_id": cid, "name": "年度最佳", "starts_at": now - 60, "ends_at": now + 3600, "status": "active",
        "kind": "vote", "eligibility": {"must_follow": True}, "voting": {"votes_per_day": 1},
        "options": [{"option_id": "a", "title": "方案A"}, {"option_id": "b", "title": "方案B"}]})
    assert r.status_code == 201, r.text
    openid = "o-vote-" + uuid.uuid4().hex[:8]
    stack.sandbox.oa_event(DEMO_APPID, "subscribe", openid=openid)  # a follower
    token = oauth_token(stack, cid, openid)
    auth = {"Authorization": f"Bearer {token}"}
    base = f"{api}/u/demo-oa/campaigns/{cid}"
    page = requests.get(base, timeout=20).json()
    assert page["kind"] == "vote" and [o["title"] for o in page["options"]] == ["方案A", "方案B"]

    vote = requests.post(f"{base}/votes", json={"option_id": "a", "request_id": "e2e-vote-0001"}, headers=auth,
                         timeout=20)
    assert vote.status_code == 200 and vote.json()["votes_left"] == 0, vote.text
    again = requests.post(f"{base}/votes", json={"option_id": "a", "request_id": "e2e-vote-0001"}, headers=auth,
                          timeout=20)
    assert again.status_code == 200 and again.json()["replayed"]
    over = requests.post(f"{base}/votes", json={"option_id": "b", "request_id": "e2e-vote-0002"}, headers=auth,
                         timeout=20)
    assert over.status_code == 403 and over.json()["error"]["code"] == "daily_vote_limit", over.text
    assert requests.get(f"{base}/me", headers=auth, timeout=20).json()["votes"]["votes_left"] == 0

    public = requests.get(f"{base}/results", timeout=20)
    assert public.status_code == 200 and public.headers["Cache-Control"] == "no-store"
    body = public.json()
    assert body["votes"] == 1 and body["voters"] == 1 and body["options"][0]["votes"] == 1
    assert openid not in public.text
    admin_view = admin.get(f"{api}/accounts/demo-oa/campaigns/{cid}/votes", timeout=20).json()
    assert admin_view["options"] == body["options"] and admin_view["days"][0]["votes"] == 1
    report = admin.get(f"{api}/accounts/demo-oa/campaigns/{cid}/report", timeout=20).json()
    assert report["votes"]["voters"] == 1

    stranger = "o-vote-x" + uuid.uuid4().hex[:8]  # signed in, but not following
    refused = requests.post(f"{base}/votes", json={"option_id": "b", "request_id": "e2e-vote-0003"}, timeout=20,
                            headers={"Authorization": f"Bearer {oauth_token(stack, cid, stranger)}"})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "not_following"
