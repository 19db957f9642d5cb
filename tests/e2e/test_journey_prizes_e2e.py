"""Prize wins reaching journeys end to end over HTTP: a `won_prize` journey (narrowed to one campaign) created and
activated over the admin API -> a follower (subscribed and messaging in the sandbox, so WeChat's customer-service
window is open) signs in on the campaign page through WeChat web OAuth and plays -> the win is queued for the event
worker (drained), which enrols them -> the content_push schedule sends the journey's customer-service step, once.

- the wheel: the only prize always wins; a second winning draw, a replayed draw and firing again change nothing;
- the lottery: a draw (the wheel has nothing on it) enters the person, the campaign ends, the campaign_draw
  schedule awards the lottery prize -> the won_prize journey runs once, and a journey whose goal is that campaign's
  prize lets the winner go (`goal_prize`) before its message;
- share-to-win: a friend opening the owner's share link reaches a threshold whose reward is a prize -> the
  won_prize journey runs once for the owner (before the fix the share reward was never handed to the worker)."""

import secrets
import time
import urllib.parse

import pytest
import requests

pytestmark = pytest.mark.e2e

ACCOUNT = "demo-oa"


def own_id() -> str:
    return secrets.token_hex(5)


def follow(stack, openid: str, scene: str | None = None) -> None:
    """A follower of the demo OA who also sent a message: the 48-hour allowance (5 customer-service messages) is
    open, not only the follow's one minute (3 messages), however slowly the stack runs."""
    appid = stack.info["demo OA appid"]
    out = stack.sandbox.oa_event(appid, "subscribe", openid=openid, **({"scene": scene} if scene else {}))
    assert out["status"] == 200, out
    out = stack.sandbox.oa_event(appid, "text", openid=openid, content="抽奖")
    assert out["status"] == 200, out
    assert stack.drain()


def sign_in(stack, cid: str, openid: str) -> dict:
    """What the campaign page does: our authorize URL -> WeChat (the sandbox) -> back with ?code= -> POST …/oauth;
    the page's headers from then on."""
    api = stack.api
    state = secrets.token_hex(8)
    r = requests.get(f"{api}/u/{ACCOUNT}/oauth/authorize-url", timeout=30,
                     params={"redirect_uri": f"{api}/c/{ACCOUNT}/{cid}", "state": state})
    assert r.status_code == 200, r.text
    query = urllib.parse.urlsplit(r.json()["url"]).query
    back = requests.get(f"{stack.sandbox_url}/open/connect/oauth2/authorize/confirm?{query}&openid={openid}",
                        allow_redirects=False, timeout=30)
    assert back.status_code == 302, back.text
    returned = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(back.headers["Location"]).query))
    assert returned["state"] == state
    r = requests.post(f"{api}/u/{ACCOUNT}/oauth", json={"code": returned["code"]}, timeout=30)
    assert r.status_code == 200 and r.json()["openid"] == openid, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def create_campaign(stack, body: dict) -> str:
    r = stack.admin(ACCOUNT).post(f"{stack.api}/accounts/{ACCOUNT}/campaigns", json=body, timeout=30)
    assert r.status_code == 201, r.text
    page = requests.get(f"{stack.api}/u/{ACCOUNT}/campaigns/{body['campaign_id']}", timeout=30)  # the page opens
    assert page.status_code == 200, page.text
    return body["campaign_id"]


def draw(stack, cid: str, auth: dict, request_id: str) -> dict:
    r = requests.post(f"{stack.api}/u/{ACCOUNT}/campaigns/{cid}/draws", json={"request_id": request_id},
                      headers=auth, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()


class Journeys:
    """The admin API's journeys of the demo OA that one test made (ended when it finishes)."""

    def __init__(self, stack):
        self.admin, self.base, self.made = stack.admin(ACCOUNT), f"{stack.api}/accounts/{ACCOUNT}/journeys", []

    def start(self, body: dict) -> str:
        r = self.admin.post(self.base, json=body, timeout=30)
        assert r.status_code == 201, r.text
        jid = r.json()["journey_id"]
        self.made.append(jid)
        r = self.admin.post(f"{self.base}/{jid}/activate", timeout=30)
        assert r.status_code == 200 and r.json()["status"] == "active", r.text
        return jid

    def figures(self, jid: str) -> dict:
        r = self.admin.get(f"{self.base}/{jid}/figures", timeout=30)
        assert r.status_code == 200, r.text
        return r.json()

    def entrants(self, jid: str) -> list[dict]:
        r = self.admin.get(f"{self.base}/{jid}/entrants", timeout=30)
        assert r.status_code == 200, r.text
        return r.json()["items"]

    def end_all(self) -> None:
        for jid in self.made:
            self.admin.post(f"{self.base}/{jid}/end", timeout=30)


@pytest.fixture
def journeys(stack):
    made = Journeys(stack)
    try:
        yield made
    finally:
        made.end_all()


def won_prize_journey(journeys: Journeys, cid: str, text: str) -> str:
    return journeys.start({"name": f"中奖旅程 {cid}", "trigger": {"kind": "won_prize", "campaign_id": cid},
                           "steps": [{"type": "custom", "text": text}]})


def texts_to(stack, openid: str) -> list[str]:
    """The customer-service texts WeChat (the sandbox) accepted for this follower."""
    return [c["body"]["text"]["content"]
            for c in stack.sandbox.calls(path_contains="message/custom/send", app=stack.info["demo OA appid"])
            if c["errcode"] == 0 and c["body"].get("touser") == openid and c["body"].get("msgtype") == "text"]


def assert_ran_once(stack, journeys: Journeys, jid: str, openid: str, text: str) -> None:
    f = journeys.figures(jid)
    assert f["entrants"] == 1 and f["completed"] == 1, f
    assert [(s["entered"], s["sent"]) for s in f["steps"]] == [(1, 1)], f
    assert texts_to(stack, openid).count(text) == 1, texts_to(stack, openid)
    assert [(p["person"], p["state"]) for p in journeys.entrants(jid)] == [(openid, "done")]


def test_a_wheel_win_runs_the_won_prize_journey_once(stack, journeys):
    own = own_id()
    cid, openid, text = f"jp-wheel-{own}", f"oPrizeWheel{own}", f"恭喜中奖 {own}"
    now = int(time.time())
    create_campaign(stack, {
        "campaign_id": cid, "name": f"旅程大转盘 {own}", "starts_at": now - 60, "ends_at": now + 3600,
        "status": "active", "eligibility": {"must_follow": True}, "limits": {"draws_total": 2},
        "prizes": [{"prize_id": "mug", "name": "马克杯", "kind": "physical", "stock": 5, "probability": 1.0}]})
    jid = won_prize_journey(journeys, cid, text)
    other = won_prize_journey(journeys, f"jp-other-{own}", f"别的活动 {own}")  # another campaign's wins only
    follow(stack, openid)
    auth = sign_in(stack, cid, openid)

    first = draw(stack, cid, auth, f"wheel-{own}-1")
    assert first["outcome"] == "win" and first["prize"]["prize_id"] == "mug", first
    assert draw(stack, cid, auth, f"wheel-{own}-1")["replayed"]  # a retried request: the same draw
    assert stack.drain()
    stack.fire("content_push")
    assert_ran_once(stack, journeys, jid, openid, text)

    second = draw(stack, cid, auth, f"wheel-{own}-2")  # the campaign allows a second draw, and it wins again
    assert second["outcome"] == "win" and not second.get("replayed"), second
    me = requests.get(f"{stack.api}/u/{ACCOUNT}/campaigns/{cid}/me", headers=auth, timeout=30).json()
    assert len(me["wins"]) == 2 and me["draws_left"] == 0, me
    assert stack.drain()
    stack.fire("content_push")
    stack.fire("content_push")  # firing again sends nothing more
    assert_ran_once(stack, journeys, jid, openid, text)
    assert journeys.figures(other)["entrants"] == 0


def test_a_lottery_award_runs_the_won_prize_journey_once_and_is_a_journeys_goal(stack, journeys):
    own = own_id()
    cid, openid, text = f"jp-lottery-{own}", f"oPrizeLottery{own}", f"开奖啦 {own}"
    scene, never = f"jp-goal-{own}", f"还没中奖吗 {own}"
    now = int(time.time())
    body = {"campaign_id": cid, "name": f"旅程抽奖 {own}", "starts_at": now - 60, "ends_at": now + 3600,
            "status": "active", "eligibility": {"must_follow": True},
            # weight 0: not on the wheel (a draw lands on nothing and enters the lottery); drawn at the end
            "prizes": [{"prize_id": "tv", "name": "电视", "kind": "physical", "stock": 1, "weight": 0}],
            "lottery": {"prize_id": "tv", "winners": 1}}
    create_campaign(stack, body)
    jid = won_prize_journey(journeys, cid, text)
    # followed through this scene: waits an hour, then a message; winning this campaign's prize is its goal
    goal = journeys.start({"name": f"中奖即止 {own}", "trigger": {"kind": "followed", "scene": scene},
                           "steps": [{"type": "wait", "seconds": 3600}, {"type": "custom", "text": never}],
                           "goal_prize": {"campaign_id": cid}})
    follow(stack, openid, scene=scene)
    auth = sign_in(stack, cid, openid)

    played = draw(stack, cid, auth, f"lottery-{own}-1")
    assert played["outcome"] == "thanks", played
    me = requests.get(f"{stack.api}/u/{ACCOUNT}/campaigns/{cid}/me", headers=auth, timeout=30).json()
    assert me["entered"] and me["wins"] == [], me
    assert stack.drain()
    stack.fire("content_push")  # the goal journey's wait starts; no win yet, so no won_prize entry
    assert journeys.figures(jid)["entrants"] == 0
    assert [(p["person"], p["state"], p["step"]) for p in journeys.entrants(goal)] == [(openid, "ready", 1)]

    ended = stack.admin(ACCOUNT).put(f"{stack.api}/accounts/{ACCOUNT}/campaigns/{cid}", timeout=30,
                                     json={**body, "ends_at": int(time.time()) - 1})  # the admin ends it now
    assert ended.status_code == 200, ended.text
    stack.fire("campaign_draw")
    drawn = stack.admin(ACCOUNT).get(f"{stack.api}/accounts/{ACCOUNT}/campaigns/{cid}/lottery", timeout=30).json()
    assert drawn["state"] == "drawn" and drawn["winners"] == [openid] and drawn["awarded"] == 1, drawn
    assert stack.drain()
    stack.fire("content_push")
    stack.fire("campaign_draw")  # a second run of the schedule awards nothing again
    assert stack.drain()
    stack.fire("content_push")
    assert_ran_once(stack, journeys, jid, openid, text)

    left = journeys.entrants(goal)
    assert [(p["person"], p["state"], p["exit_reason"]) for p in left] == [(openid, "exited", "goal")], left
    f = journeys.figures(goal)
    assert f["entrants"] == 1 and f["completed"] == 0 and sum(s["exited"] for s in f["steps"]) == 1, f
    assert never not in texts_to(stack, openid)


def test_a_share_threshold_prize_reaches_won_prize_journeys(stack, journeys):
    own = own_id()
    cid, owner, friend, text = f"jp-share-{own}", f"oPrizeSharer{own}", f"oPrizeFriend{own}", f"分享得奖 {own}"
    now = int(time.time())
    create_campaign(stack, {
        "campaign_id": cid, "name": f"旅程分享 {own}", "starts_at": now - 60, "ends_at": now + 3600,
        "status": "active", "eligibility": {"must_follow": True},
        "prizes": [{"prize_id": "gift", "name": "礼盒", "kind": "physical", "stock": 5, "weight": 0}],
        "share": {"thresholds": [{"threshold_id": "one", "views": 1, "reward": {"prize_id": "gift"}}]}})
    jid = won_prize_journey(journeys, cid, text)
    follow(stack, owner)
    mine = sign_in(stack, cid, owner)
    share = requests.post(f"{stack.api}/u/{ACCOUNT}/campaigns/{cid}/shares", json={}, headers=mine, timeout=30)
    assert share.status_code == 200, share.text
    sid = share.json()["share_id"]

    seen = requests.post(f"{stack.api}/u/{ACCOUNT}/campaigns/{cid}/shares/{sid}/views", timeout=30,
                         headers=sign_in(stack, cid, friend))  # a friend opens the link
    assert seen.status_code == 200 and seen.json()["counted"] and seen.json()["granted"] == ["one"], seen.text
    me = requests.get(f"{stack.api}/u/{ACCOUNT}/campaigns/{cid}/me", headers=mine, timeout=30).json()
    assert [w["prize"]["prize_id"] for w in me["wins"]] == ["gift"], me
    assert stack.drain()
    stack.fire("content_push")
    stack.fire("content_push")  # firing again sends nothing more
    assert_ran_once(stack, journeys, jid, owner, text)
