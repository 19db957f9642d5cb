"""A won prize enrols into a journey on moto (the DynamoDB journey store) through the event worker's exactly-once
apply, and its customer-service steps that are not text (image, news, mpnews, miniprogrampage) go through the real
gateway to the OA sandbox, which accepts them only in the documented shape. The window is opened by the follower's
text message (oa.text), as WeChat opens it."""

from __future__ import annotations

import pytest

from local.sandbox import SandboxClient
from scrm import bootstrap, errors
from scrm.services import journeys
from scrm.tenancy import Scope

A = "test-oa"
STEPS = [
    {"type": "custom", "msgtype": "image", "media_id": "MEDIA_1"},
    {"type": "custom", "msgtype": "news", "title": "中奖攻略", "description": "领奖步骤", "url": "https://shop.example/a",
     "picurl": "https://shop.example/a.jpg"},
    {"type": "custom", "msgtype": "mpnews", "media_id": "NEWS_1"},
    {"type": "custom", "msgtype": "miniprogrampage", "title": "领奖", "appid": "wxmini0001", "pagepath": "pages/prize",
     "thumb_media_id": "THUMB_1"},
]


@pytest.fixture
def oa(oa_account, sandbox):
    sb = SandboxClient(sandbox.url)
    sb.oa_followers(oa_account.app_id, openids=["oW1", "oW2"])
    return sb, oa_account


def message(sb, oa_account, openid: str):
    from scrm.services.events import apply

    sb.oa_event(oa_account.app_id, "text", openid=openid, content="我中奖了吗")  # WeChat's window: 48 h, 5
    apply({"account_id": A, "platform": "oa", "kind": "oa.text", "dedupe_key": f"text-{openid}",
           "event": {"FromUserName": openid, "MsgType": "text", "Content": "我中奖了吗",
                     "CreateTime": int(bootstrap.container().now())}})


def won(openid: str, campaign: str, draw_id: str):
    """What the wheel's draw queues (scrm.services.segments.hand_off.draw_made), applied by the event worker."""
    from scrm.services.events import apply
    from scrm.services.segments import hand_off

    queued = []
    bootstrap.container()._made["segment_events"] = queued.append
    hand_off.draw_made(A, campaign, {"draw_id": draw_id, "openid": openid, "outcome": "win", "prize_id": "p1",
                                     "at": int(bootstrap.container().now())})
    assert queued and queued[0]["event"]["CampaignId"] == campaign
    for m in queued:
        apply(m)
    return queued[0]


def test_a_win_enrols_once_and_the_non_text_messages_are_sent_in_the_documented_shape(oa):
    sb, oa_account = oa
    svc = journeys.service()
    j = svc.admin.create(Scope.system(A), A, {"name": "中奖后续", "trigger": {"kind": "won_prize",
                                                                         "campaign_id": "spring"}, "steps": STEPS})
    svc.admin.move(Scope.system(A), A, j["journey_id"], "activate")
    message(sb, oa_account, "oW1")
    event = won("oW1", "spring", "d-1")
    from scrm.services.events import apply

    apply(event)  # redelivered: one entry
    won("oW1", "spring", "d-2")  # a second win: still one entry
    won("oW2", "autumn", "d-3")  # another campaign: not this journey
    for _ in STEPS:
        svc.run_due()
    sent = [c for c in sb.calls(path_contains="custom/send") if c["body"].get("touser") == "oW1"]
    assert [(c["body"]["msgtype"], c["errcode"]) for c in sent] == [
        ("image", 0), ("news", 0), ("mpnews", 0), ("miniprogrampage", 0)]
    f = svc.admin.figures(Scope.system(A), A, j["journey_id"])
    assert f["entrants"] == 1 and f["completed"] == 1 and [s["sent"] for s in f["steps"]] == [1, 1, 1, 1]
    assert svc.store.get_entrant(A, j["journey_id"], "oW2") is None


def test_the_sandbox_refuses_a_customer_service_body_out_of_the_documented_shape(oa):
    from scrm.gateway import gateway_for

    sb, oa_account = oa
    message(sb, oa_account, "oW2")
    gw = gateway_for(oa_account)
    with pytest.raises(errors.WeChatError) as caught:
        gw.post("message/custom/send", {"touser": "oW2", "msgtype": "miniprogrampage",
                                        "miniprogrampage": {"title": "t", "pagepath": "p", "thumb_media_id": "m"}})
    assert caught.value.errcode == 47001
    with pytest.raises(errors.WeChatError) as caught:
        gw.post("message/custom/send", {"touser": "oW2", "msgtype": "news", "news": {"articles": [
            {"title": "a", "url": "https://x"}, {"title": "b", "url": "https://y"}]}})
    assert caught.value.errcode == 45008


def test_winning_reaches_the_prize_goal_on_dynamodb(oa):
    sb, oa_account = oa
    svc = journeys.service()
    j = svc.admin.create(Scope.system(A), A, {"name": "促活", "trigger": {"kind": "tag_added", "tag_id": "100"},
                                              "steps": [{"type": "wait", "seconds": 3600}], "goal_prize": {}})
    svc.admin.move(Scope.system(A), A, j["journey_id"], "activate")
    assert journeys.tagged(A, [("oW1", None)], 100)["oW1"]["entered"] == [j["journey_id"]]
    assert journeys.tagged(A, [("oW1", None)], 100)["oW1"]["entered"] == []  # a tagging applied again: once
    won("oW1", "spring", "d-9")
    assert svc.store.get_entrant(A, j["journey_id"], "oW1")["exit_reason"] == "goal"
    assert svc.admin.get(Scope.system(A), A, j["journey_id"])["goal_prize"] == {}
