"""Journeys on moto (the DynamoDB journey store, the pushes' ledger and interactions) with the real gateway against
the OA sandbox: a follow event through the event worker's exactly-once apply enrols once, the schedule runs a
customer-service message, a tag and a template message once each, a refusal is recorded with WeChat's reason and
not retried, an unfollow exits."""

from __future__ import annotations

import pytest

from local.sandbox import SandboxClient
from scrm.services import journeys
from scrm.tenancy import Scope

A = "test-oa"


@pytest.fixture
def oa(oa_account, sandbox):
    from scrm.gateway import gateway_for

    sb = SandboxClient(sandbox.url)
    sb.oa_followers(oa_account.app_id, openids=["oJ1", "oJ2", "oJ3"])
    tag = gateway_for(oa_account).post("tags/create", {"tag": {"name": "旅程新客"}})["tag"]["id"]
    return sb, oa_account, str(tag)


def follow(sb, oa_account, openid: str, dedupe: str):
    from scrm import bootstrap
    from scrm.services.events import apply

    sb.oa_event(oa_account.app_id, "subscribe", openid=openid)  # the sandbox opens its own window
    apply({"account_id": A, "platform": "oa", "kind": "oa.subscribe", "dedupe_key": dedupe,
           "event": {"FromUserName": openid, "Event": "subscribe", "EventKey": "",
                     "CreateTime": int(bootstrap.container().now())}})  # opens our 48-hour window


def make(svc, tag: str) -> str:
    j = svc.admin.create(Scope.system(A), A, {"name": "新关注三步", "trigger": {"kind": "followed"}, "steps": [
        {"type": "custom", "text": "欢迎关注"}, {"type": "tag", "tag_id": tag},
        {"type": "template", "template_id": "TPL1", "data": {"first": {"value": "您好"}}}]})
    svc.admin.move(Scope.system(A), A, j["journey_id"], "activate")
    return j["journey_id"]


def test_a_follow_runs_three_steps_once_each_on_dynamodb(oa):
    sb, oa_account, tag = oa
    svc = journeys.service()
    jid = make(svc, tag)
    follow(sb, oa_account, "oJ1", "sub-oJ1")
    follow(sb, oa_account, "oJ1", "sub-oJ1")  # redelivered
    follow(sb, oa_account, "oJ1", "sub-oJ1-again")  # a second event of the same person
    svc.run_due()
    svc.run_due()
    ok = [c for c in sb.calls() if c["errcode"] == 0 and c["body"].get("touser") == "oJ1"]
    assert [c["path"].rsplit("/", 1)[-1] for c in ok if "send" in c["path"]] == ["send", "send"]
    assert len([c for c in sb.calls(path_contains="batchtagging") if c["errcode"] == 0]) == 1
    f = svc.admin.figures(Scope.system(A), A, jid)
    assert f["entrants"] == 1 and f["completed"] == 1
    assert [(s["entered"], s["done"], s["sent"]) for s in f["steps"]] == [(1, 1, 1), (1, 1, 0), (1, 1, 1)]


def test_a_refusal_is_recorded_and_not_retried_and_an_unfollow_exits(oa):
    sb, oa_account, tag = oa
    svc = journeys.service()
    jid = make(svc, tag)
    follow(sb, oa_account, "oJ2", "sub-oJ2")
    sb.fault("message/custom/send", errcode=45047, platform="oa")
    svc.run_due()
    e = svc.store.get_entrant(A, jid, "oJ2")
    assert e["outcomes"][0]["outcome"] == "refused" and e["outcomes"][0]["errcode"] == 45047
    assert len(sb.calls(path_contains="custom/send")) == 1  # not retried
    follow(sb, oa_account, "oJ3", "sub-oJ3")
    from scrm.services.events import apply

    apply({"account_id": A, "platform": "oa", "kind": "oa.unsubscribe", "dedupe_key": "unsub-oJ3",
           "event": {"FromUserName": "oJ3", "Event": "unsubscribe"}})
    svc.run_due()
    assert svc.store.get_entrant(A, jid, "oJ3")["exit_reason"] == "unfollowed"
    f = svc.admin.figures(Scope.system(A), A, jid)["steps"]
    assert f[0]["refused"] == 1 and f[0]["exited"] == 1



def test_a_persons_journey_places_are_exported_and_erased_and_the_figures_stay(oa):
    from scrm.services import privacy

    sb, oa_account, tag = oa
    svc = journeys.service()
    jid = make(svc, tag)
    follow(sb, oa_account, "oJ1", "sub-privacy-oJ1")
    svc.run_due()
    exported = privacy.export(Scope.system(A), A, {"openid": "oJ1"})
    assert [e["person"] for e in exported["tables"]["journey_entrants"]] == ["oJ1"]
    privacy.erase(Scope.system(A), A, {"openid": "oJ1"}, clock=lambda: 1_800_000_000.0)
    assert svc.store.get_entrant(A, jid, "oJ1") is None
    assert svc.admin.figures(Scope.system(A), A, jid)["entrants"] == 1
