"""Reassignment through the admin API (chalice test client, moto, sandbox): preview, plan, status, errors."""

from __future__ import annotations

import json

import pytest

from local.sandbox import SandboxClient
from scrm.services import reassignment as svc
from scrm.tenancy import Scope


@pytest.fixture
def api(wecom_account, sandbox):
    from chalice.test import Client

    from app import app
    from scrm.services import admin_keys

    keys = {role: admin_keys.issue(Scope.system(wecom_account.account_id), wecom_account.account_id, role=role,
                                   name=f"reassignment {role}")[1] for role in ("read-only", "operator", "admin")}
    with Client(app) as client:
        def call(method, path, body=None, role="operator"):
            h = {"Authorization": f"Bearer {keys[role]}", "Content-Type": "application/json"}
            res = getattr(client.http, method.lower())(
                f"/accounts/{wecom_account.account_id}/reassignment{path}", headers=h,
                body=None if body is None else json.dumps(body))
            return res.status_code, json.loads(res.body or b"null")
        yield call, SandboxClient(sandbox.url), wecom_account


def test_preview_plan_status_history_through_the_api(api):
    call, sb, account = api
    for u in ("t1", "t2"):
        sb.wecom_staff(account.app_id, u)
    ids = sb.wecom_customers(account.app_id, "leaver", count=5)["external_userids"]
    sb.wecom_staff(account.app_id, "leaver", status="resigned")
    assert call("PUT", "/policy", {"strategy": "round_robin", "max_offers": 2}, role="operator")[0] == 403
    assert call("PUT", "/policy", {"strategy": "round_robin", "max_offers": 2}, role="admin")[0] == 200
    status, pv = call("POST", "/preview", {"handover_userid": "leaver"})
    assert status == 200 and pv["customers"] == 5 and pv["takeovers"] == ["t1", "t2"]
    status, plan = call("POST", "/plans", {"handover_userid": "leaver", "customers": ids[:4]})
    assert status == 201 and plan["counts"]["total"] == 4
    svc.advance(account.account_id, plan["plan_id"])
    sb.advance(86400 + 60)
    svc.advance(account.account_id, plan["plan_id"])
    status, got = call("GET", f"/plans/{plan['plan_id']}", role="read-only")
    assert status == 200 and got["status"] == "done" and got["counts"]["done"] == 4
    status, page = call("GET", f"/plans/{plan['plan_id']}/items?status=done&limit=3", role="read-only")
    assert status == 200 and len(page["items"]) == 3 and page["next_cursor"]
    status, rest = call("GET", f"/plans/{plan['plan_id']}/items?status=done&cursor={page['next_cursor']}")
    assert {i["id"] for i in page["items"] + rest["items"]} == set(ids[:4])
    status, hist = call("GET", "/staff/leaver/history", role="read-only")
    assert [p["plan_id"] for p in hist["items"]] == [plan["plan_id"]]
    status, cust = call("GET", f"/customers/{ids[0]}", role="read-only")
    assert cust["items"][0]["status"] == "done"


def test_bad_input_is_a_clear_error(api):
    call, sb, account = api
    sb.wecom_staff(account.app_id, "t1")
    sb.wecom_customers(account.app_id, "active_one", count=2)
    status, body = call("POST", "/plans", {"handover_userid": "active_one", "mode": "resigned"})
    assert status == 400 and "40097" in body["error"]["message"] and body["error"]["field"] == "handover_userid"
    status, body = call("POST", "/preview", {"handover_userid": "ghost"})
    assert status == 404
    status, body = call("POST", "/preview", {"handover_userid": "active_one", "mode": "sideways"})
    assert status == 400 and body["error"]["field"] == "mode"
    status, body = call("GET", "/plans/p-nope", role="read-only")
    assert status == 404


def _walk(call, path, limit):
    seen, cursor, pages = [], None, 0
    while True:
        status, body = call("GET", f"{path}?limit={limit}" + (f"&cursor={cursor}" if cursor else ""),
                            role="read-only")
        assert status == 200, body
        assert len(body["items"]) <= limit
        seen += body["items"]
        pages += 1
        cursor = body["next_cursor"]
        if not cursor:
            return seen, pages


def test_staff_history_and_customer_transfers_are_paged_with_the_shared_cursor(api):
    """A long-serving staff member's history and a customer moved many times: pages, never everything."""
    from scrm.data.transfer_plans import TransferPlan
    from scrm.data.transfers import TransferItem

    call, sb, account = api
    a = account.account_id
    for n in range(7):
        pid = f"p{n:03d}"
        TransferPlan(account_id=a, plan_id=pid, handover_userid="veteran", handover_key=f"{a}#veteran",
                     mode="onjob", trigger="admin", strategy="round_robin", takeovers=["t1"], status="done",
                     created_at=1_700_000_000 + n, updated_at=1_700_000_000 + n).save()
        TransferItem(plan_key=f"{a}#{pid}", item_key="c#wm-moved", account_id=a, plan_id=pid, kind="customer",
                     target_id="wm-moved", target_key=f"{a}#wm-moved", handover_userid="veteran",
                     takeover_userid="t1", state="done", updated_at=1_700_000_000 + n).save()
    plans, pages = _walk(call, "/staff/veteran/history", 3)
    assert [p["plan_id"] for p in plans] == [f"p{n:03d}" for n in reversed(range(7))] and pages >= 3  # newest first
    items, pages = _walk(call, "/customers/wm-moved", 2)
    assert sorted(i["plan_id"] for i in items) == [f"p{n:03d}" for n in range(7)] and pages >= 4
    # a cursor is bound to its listing: one of this history fails on another staff member's
    status, first = call("GET", "/staff/veteran/history?limit=1", role="read-only")
    status, body = call("GET", f"/staff/someone-else/history?cursor={first['next_cursor']}", role="read-only")
    assert status == 400 and body["error"]["field"] == "cursor"
    status, body = call("GET", "/customers/wm-moved?limit=0", role="read-only")
    assert status == 400 and body["error"]["field"] == "limit"


def test_every_plan_of_the_account_is_paged_newest_first_with_an_optional_handover(api):
    """GET …/reassignment/plans: all the account's plans (the console's 全部转接计划), or one handover's."""
    from scrm.data.transfer_plans import TransferPlan

    call, sb, account = api
    a = account.account_id
    for n in range(6):
        handover = "alice" if n % 2 else "bob"
        TransferPlan(account_id=a, plan_id=f"p{n:03d}", handover_userid=handover, handover_key=f"{a}#{handover}",
                     mode="resigned", trigger="admin", strategy="round_robin", takeovers=["t1"], status="done",
                     created_at=1_700_000_000 + n, updated_at=1_700_000_000 + n).save()
    plans, pages = _walk(call, "/plans", 2)
    assert [p["plan_id"] for p in plans] == [f"p{n:03d}" for n in reversed(range(6))] and pages >= 3
    assert plans[0]["handover_userid"] == "alice" and plans[0]["created_at"].endswith("+08:00")
    status, alice = call("GET", "/plans?handover=alice&limit=2", role="read-only")
    assert status == 200 and [p["plan_id"] for p in alice["items"]] == ["p005", "p003"]
    status, rest = call("GET", f"/plans?handover=alice&cursor={alice['next_cursor']}", role="read-only")
    assert [p["plan_id"] for p in rest["items"]] == ["p001"]
    # a cursor belongs to its listing: the whole list's fails with a handover, a handover's on the whole list
    status, first = call("GET", "/plans?limit=1", role="read-only")
    for query in (f"handover=alice&cursor={first['next_cursor']}", f"cursor={alice['next_cursor']}",
                  f"handover=bob&cursor={alice['next_cursor']}"):
        status, body = call("GET", f"/plans?{query}", role="read-only")
        assert status == 400 and body["error"]["field"] == "cursor", query
    status, body = call("GET", "/plans?handover=" + "x" * 65, role="read-only")
    assert status == 400 and body["error"]["field"] == "handover"
