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


@pytest.fixture
def api(aws):
    from chalice.test import Client

    from app import app
    from tests.integration.admin_helpers import make_api

    with Client(app) as client:
        yield make_api(client)


def test_the_admin_api_refuses_bad_journeys_clearly_and_keeps_accounts_apart(api):
    base = "/accounts/acct-a/journeys"
    op = api.key("acct-a", "operator")
    bad = api.call("POST", base, op, {"name": "坏的", "trigger": {"kind": "followed"}, "steps": [{"type": "custom"}]})
    assert bad.status_code == 400 and "steps[0].text" in bad.body.decode() and "坏的" not in bad.body.decode()
    assert json_error(bad)["code"] == "validation_error"
    assert api.call("GET", base, op).json_body["items"] == []  # nothing stored
    good = api.call("POST", base, op, {"name": "欢迎", "trigger": {"kind": "followed"},
                                       "steps": [{"type": "custom", "text": "你好"}]})
    assert good.status_code == 201 and "欢迎" in good.body.decode("utf-8")  # Chinese unescaped
    jid = good.json_body["journey_id"]
    assert api.call("POST", f"{base}/{jid}/activate", api.key("acct-a", "read-only")).status_code == 403
    assert api.call("POST", f"{base}/{jid}/activate", op).json_body["status"] == "active"
    assert api.call("PUT", f"{base}/{jid}", op, {"name": "x", "trigger": {"kind": "followed"},
                                                 "steps": [{"type": "custom", "text": "x"}]}).status_code == 409
    other = api.key("acct-b", "admin")
    assert api.call("GET", f"{base}/{jid}", other).status_code == 403
    assert api.call("GET", f"/accounts/acct-b/journeys/{jid}", other).status_code == 404
    steps = api.call("GET", f"{base}/{jid}/figures", op).json_body["steps"]
    assert steps == [{"step": 0, "type": "custom", "entered": 0, "done": 0, "sent": 0, "skipped_quota": 0,
                      "refused": 0, "unknown": 0, "exited": 0}]
    assert api.call("GET", f"{base}/{jid}/entrants?step=x", op).status_code == 400


def json_error(response) -> dict:
    return response.json_body["error"]
