"""Customer moments with moto (DynamoDB store, the quota ledger) and the real gateway against the WeCom sandbox:
exactly one WeCom task under retried runs, the customers' monthly counts reserved once, the job followed to the
moment and its figures pulled."""

from __future__ import annotations

import pytest

from local.sandbox import SandboxClient
from scrm.services.moments import MomentService
from scrm.stores.moments.dynamo import DynamoMomentStore
from scrm.tenancy import Scope


def iso(t):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return datetime.fromtimestamp(int(t), ZoneInfo("Asia/Shanghai")).isoformat()


@pytest.fixture
def corp(wecom_account, sandbox):
    """Two staff members with 3 customers each; two of the first's customers carry the VIP tag."""
    sb = SandboxClient(sandbox.url)
    corpid = wecom_account.app_id
    customers = {u: sb.wecom_customers(corpid, u, count=3)["external_userids"] for u in ("s1", "s2")}
    from scrm.gateway import gateway_for

    gw = gateway_for(wecom_account)
    tag = gw.post("externalcontact/add_corp_tag", {"group_name": "会员", "tag": [{"name": "VIP"}]})
    tag_id = tag["tag_group"]["tag"][0]["id"]
    for ext in customers["s1"][:2]:
        gw.mark_tag("s1", ext, [tag_id])
    return {"sb": sb, "corpid": corpid, "customers": customers, "tag_id": tag_id, "account": wecom_account}


def service(sb):
    return MomentService(DynamoMomentStore(Scope.system()), clock=sb.now)


def create(svc, account_id, sb, **extra):
    body = {"text": "双十二新品上市", "attachments": [{"msgtype": "link", "link": {
        "title": "新品", "url": "https://example.com/new"}}], "senders": ["s1", "s2"], "send_at": iso(sb.now()),
        **extra}
    return svc.create(Scope.system(account_id), account_id, body)


def test_a_retried_run_after_an_ambiguous_answer_finds_the_task_and_never_creates_a_second(corp):
    sb, a = corp["sb"], corp["account"].account_id
    svc = service(sb)
    m = create(svc, a, sb)
    # WeCom made the task, then answered "system busy"
    sb.fault("externalcontact/add_moment_task", errcode=-1, apply=True)
    assert svc.run_due()["claimed"] == 1
    got = svc.get(Scope.system(a), a, m["moment_id"])
    assert got["status"] == "creating" and "AmbiguousOutcome" in got.get("last_error", "")
    assert not got.get("jobid")
    sb.advance(61)  # the retry is due; the first task's job has settled on WeCom
    svc.run_due()
    got = svc.get(Scope.system(a), a, m["moment_id"])
    assert got["status"] == "publishing" and got["recovered"] is True, got
    assert len(sb.calls(path_contains="add_moment_task")) == 1, "looked (get_moment_list) before resending"
    assert len(sb.wecom_moments(corp["corpid"])["moments"]) == 1
    assert got["reserved"] == 6 and got["visible"] == 6


def test_a_retry_before_the_earlier_task_could_settle_waits_and_then_resends_once(corp):
    sb, a = corp["sb"], corp["account"].account_id
    svc = service(sb)
    m = create(svc, a, sb)
    sb.fault("externalcontact/add_moment_task", errcode=-1)  # refused before anything was done, but we cannot know that
    svc.run_due()
    sb.advance(61)
    svc.run_due()  # nothing on WeCom yet, and the earlier attempt may still settle: wait, do not resend
    assert len(sb.calls(path_contains="add_moment_task")) == 1
    sb.advance(180)
    svc.run_due()  # still nothing there: resend, once
    sb.advance(2)
    svc.run_due()
    got = svc.get(Scope.system(a), a, m["moment_id"])
    assert got["status"] == "publishing" and not got.get("recovered"), got
    assert len(sb.calls(path_contains="add_moment_task")) == 2
    assert len(sb.wecom_moments(corp["corpid"])["moments"]) == 1


def test_concurrent_runs_create_one_task(corp):
    import threading

    sb, a = corp["sb"], corp["account"].account_id
    svc = service(sb)
    create(svc, a, sb)
    outs = []
    threads = [threading.Thread(target=lambda: outs.append(service(sb).run_due())) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(o["claimed"] for o in outs) == 1
    assert len(sb.calls(path_contains="add_moment_task")) == 1


def test_the_fifth_moment_of_the_month_is_not_counted_for_customers_at_four(corp):
    sb, a = corp["sb"], corp["account"].account_id
    svc = service(sb)
    scope = Scope.system(a)
    for _ in range(4):
        create(svc, a, sb, senders=["s1"])
        svc.run_due()
    fifth = create(svc, a, sb, senders=["s1", "s2"], tag_ids=[])
    preview = svc.preview(scope, a, fifth["moment_id"])
    assert (preview["visible"], preview["over_quota"], preview["eligible"], preview["limit"]) == (6, 3, 3, 4)
    svc.run_due()
    got = svc.get(scope, a, fifth["moment_id"])
    assert (got["visible"], got["reserved"], got["over_quota"]) == (6, 3, 3)
    sixth = create(svc, a, sb, senders=["s1"])
    svc.run_due()
    got = svc.get(scope, a, sixth["moment_id"])
    assert got["status"] == "failed" and "monthly limit" in got["reason"]
    assert len(sb.calls(path_contains="add_moment_task")) == 5


def test_reservation_is_taken_once_per_moment_when_a_run_is_retried(corp):
    from scrm.domain import quotas

    sb, a = corp["sb"], corp["account"].account_id
    store = DynamoMomentStore(Scope.system())
    svc = service(sb)
    m = create(svc, a, sb, senders=["s1"], tag_ids=[corp["tag_id"]])
    sb.fault("externalcontact/add_moment_task", errcode=45009, times=10)  # rate-limited: the run ends before any task
    svc.run_due()
    sb.advance(61)
    svc.run_due()
    rule = quotas.QuotaRule("recipient", 4, "month")
    period = quotas.period_key("month", sb.now())
    keys = [quotas.ledger_key(a, "moment", rule, period, c) for c in corp["customers"]["s1"][:2]]
    assert store.used_many(a, keys) == dict.fromkeys(keys, 1), "two runs, one count per tagged customer"
    assert svc.get(Scope.system(a), a, m["moment_id"])["reserved"] == 2


def test_figures_follow_publishing_comments_and_likes_until_the_window_ends(corp):
    sb, a, corpid = corp["sb"], corp["account"].account_id, corp["corpid"]
    svc = service(sb)
    scope = Scope.system(a)
    m = create(svc, a, sb, senders=["s1", "s2", "ghost"], tag_ids=[corp["tag_id"], "etgone"])
    svc.run_due()
    sb.advance(2)
    svc.run_due()
    got = svc.get(scope, a, m["moment_id"])
    assert got["invalid"] == {"senders": ["ghost"], "tag_ids": ["etgone"]}
    wid = got["wecom_moment_id"]
    sb.wecom_publish_moment(corpid, wid, "s1")
    sb.wecom_moment_interaction(corpid, wid, "s1", "comment", corp["customers"]["s1"][0])
    sb.wecom_moment_interaction(corpid, wid, "s1", "like", corp["customers"]["s1"][1])
    sb.wecom_moment_interaction(corpid, wid, "s1", "like", corp["customers"]["s1"][0])
    svc.run_due()
    f = svc.figures(scope, a, m["moment_id"])
    assert (f["senders"], f["published"], f["not_published"], f["comments"], f["likes"]) == (2, 1, 1, 1, 2)
    sb.advance(3 * 86400)
    svc.run_due()
    assert svc.get(scope, a, m["moment_id"])["status"] == "completed"


def test_refused_task_gives_the_counts_back(corp):
    sb, a = corp["sb"], corp["account"].account_id
    svc = service(sb)
    m = create(svc, a, sb, senders=["ghost"])
    svc.run_due()  # nobody in the visible range: refused before WeCom
    assert svc.get(Scope.system(a), a, m["moment_id"])["status"] == "failed"
    m = create(svc, a, sb, senders=["s1"])
    sb.fault("externalcontact/add_moment_task", errcode=40058, errmsg="invalid parameter")
    svc.run_due()
    got = svc.get(Scope.system(a), a, m["moment_id"])
    assert got["status"] == "failed" and "40058" in got["reason"]
    again = create(svc, a, sb, senders=["s1"])
    assert svc.preview(Scope.system(a), a, again["moment_id"])["over_quota"] == 0
    from scrm.domain import quotas

    rule = quotas.QuotaRule("recipient", 4, "month")
    keys = [quotas.ledger_key(a, "moment", rule, quotas.period_key("month", sb.now()), c)
            for c in corp["customers"]["s1"]]
    assert set(DynamoMomentStore(Scope.system()).used_many(a, keys).values()) <= {0}


def test_cancel_before_it_runs_and_after_wecom_created_it(corp):
    from scrm import errors

    sb, a = corp["sb"], corp["account"].account_id
    svc = service(sb)
    scope = Scope.system(a)
    m = create(svc, a, sb)
    assert svc.cancel(scope, a, m["moment_id"])["status"] == "cancelled"
    svc.run_due()
    assert not sb.calls(path_contains="add_moment_task")
    with pytest.raises(errors.Conflict):
        svc.cancel(scope, a, m["moment_id"])
    m = create(svc, a, sb)
    svc.run_due()
    with pytest.raises(errors.Conflict):  # WeCom is creating it
        svc.cancel(scope, a, m["moment_id"])
    sb.advance(2)
    svc.run_due()
    assert svc.cancel(scope, a, m["moment_id"])["status"] == "cancelled"
    assert sb.calls(path_contains="cancel_moment_task")


def test_admin_api_answers_4xx_for_bad_input_and_pages_the_list(corp):
    import json

    from chalice.test import Client

    from app import app
    from scrm.services import admin_keys

    sb, a = corp["sb"], corp["account"].account_id
    key = admin_keys.issue(Scope.system(a), a, role="operator", name="moments test")[1]
    h = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    base = f"/accounts/{a}/moments"
    good = {"text": "新品上市", "senders": ["s1"], "send_at": iso(sb.now() + 3600)}
    with Client(app) as client:
        def post(path, body=None):
            return client.http.post(path, headers=h, body=json.dumps(body) if body is not None else None)

        for bad in ({**good, "text": ""}, {**good, "senders": []}, {**good, "send_at": "soon"},
                    {**good, "attachments": [{"msgtype": "file", "file": {}}]}, {**good, "colour": "red"}):
            r = post(base, bad)
            assert r.status_code == 400 and "error" in r.json_body, (bad, r.body)
        ids = []
        for _ in range(3):
            r = post(base, good)
            assert r.status_code == 201 and "新品上市".encode() in r.body  # Chinese as it is
            ids.append(r.json_body["moment_id"])
        first = client.http.get(f"{base}?limit=2", headers=h).json_body
        rest = client.http.get(f"{base}?limit=2&cursor={first['next_cursor']}", headers=h).json_body
        listed = [m["moment_id"] for m in first["items"] + rest["items"]]
        assert sorted(listed) == sorted(ids) and len(first["items"]) == 2 and rest["next_cursor"] is None
        assert client.http.get(f"{base}/nope", headers=h).status_code == 404
        assert post(f"{base}/{ids[0]}/cancel").status_code == 200
        assert post(f"{base}/{ids[0]}/cancel").status_code == 409
        assert client.http.get(f"{base}/{ids[1]}/figures", headers=h).json_body["published"] == 0
    assert not sb.calls(path_contains="add_moment_task")


def test_customers_only_an_invalid_sender_serves_get_their_counts_back(corp):
    from scrm.domain import quotas

    sb, a, corpid = corp["sb"], corp["account"].account_id, corp["corpid"]
    shared = corp["customers"]["s1"][0]
    own = sb.wecom_customers(corpid, "s3", count=2)["external_userids"]
    sb.wecom_customers(corpid, "s3", external_userids=[shared])
    sb.wecom_staff(corpid, "s3", status="resigned")
    svc = service(sb)
    m = create(svc, a, sb, senders=["s1", "s3"])
    svc.run_due()
    sb.advance(2)
    svc.run_due()
    got = svc.get(Scope.system(a), a, m["moment_id"])
    assert got["invalid"]["senders"] == ["s3"] and (got["visible"], got["reserved"], got["unreached"]) == (5, 5, 2)
    rule = quotas.QuotaRule("recipient", 4, "month")
    period = quotas.period_key("month", sb.now())
    used = DynamoMomentStore(Scope.system()).used_many(a, [quotas.ledger_key(a, "moment", rule, period, c)
                                                           for c in [shared, *own]])
    assert [used.get(quotas.ledger_key(a, "moment", rule, period, c), 0) for c in [shared, *own]] == [1, 0, 0]
