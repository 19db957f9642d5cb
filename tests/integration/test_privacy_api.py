"""Personal data on request through the admin API (chalice's test client) and the CLI: admin role only, tenancy,
audited (export, erase, and reads of contacts, draws and transfer items), the identifier never in the audit log,
bad bodies refused naming the field."""

from __future__ import annotations

import json
import time

import pytest

from tests.integration.admin_helpers import make_api, served

A = "acct-a"
OPENID = "o-person-1"


@pytest.fixture
def api(aws):
    from chalice.test import Client

    from app import app

    with Client(app) as client:
        yield make_api(client)


def seed():
    """A contact with one touch, and a draw of a campaign."""
    from scrm.data.contacts import ContactItem
    from scrm.services import campaigns
    from scrm.tenancy import Scope

    touch = {"k": "subscribe", "t": int(time.time()), "a": A, "i": OPENID, "c": "direct", "d": "x", "s": 1}
    ContactItem(A, "c#c1", contact_id="c1", identities=[f"oa:{A}:{OPENID}"], touches=json.dumps([touch])).save()
    ContactItem(A, f"i#oa:{A}:{OPENID}", contact_id="c1").save()
    now = time.time()
    campaigns.create_campaign(Scope.system(A), A, {
        "campaign_id": "spring", "name": "Spring", "starts_at": int(now - 60), "ends_at": int(now + 3600),
        "status": "active", "eligibility": {"must_follow": False},
        "prizes": [{"prize_id": "mug", "name": "Mug", "kind": "physical", "weight": 1, "stock": 5}]})
    assert campaigns.draw(A, "spring", OPENID, "req-000001")["outcome"] == "win"


def drain_erasures() -> int:
    """Run the erasure worker on what waits on its queue, as Lambda would, until nothing is left; messages taken."""
    from functions.privacy_worker import erasure_worker
    from tests.packaging.recorded import LambdaContext, take_sqs_event

    taken = 0
    while (event := take_sqs_event("erasure"))["Records"]:
        taken += len(event["Records"])
        out = erasure_worker(event, LambdaContext("ErasureWorker"))
        assert not out["batchItemFailures"], out
    return taken


def audit_actions(api, prefix):
    res = api.call("GET", f"/accounts/{A}/audit?action={prefix}", api.key(A))
    assert res.status_code == 200
    return json.loads(res.body)["items"]


def test_export_and_erase_need_the_admin_role_of_the_account(api):
    seed()
    for path in ("export", "erase"):
        for key in (api.key(A, "read-only"), api.key(A, "operator"), api.key("acct-b", "admin")):
            res = api.call("POST", f"/accounts/{A}/privacy/{path}", key, {"openid": OPENID})
            assert res.status_code == 403, (path, res.body)
    res = api.call("POST", f"/accounts/{A}/privacy/export", api.key(A), {"openid": OPENID})
    assert res.status_code == 200
    assert {"contacts", "draws", "participants"} <= set(json.loads(res.body)["tables"])
    denied = audit_actions(api, "privacy.")
    assert {e["outcome"] for e in denied} == {"ok", "denied"}


def test_erase_through_the_api_is_queued_audited_and_leaves_nothing(api, monkeypatch):
    from scrm.services.privacy import job

    monkeypatch.setattr(job, "STEPS_PER_RUN", 5)  # the worker hands the request on to itself several times
    seed()
    res = api.call("POST", f"/accounts/{A}/privacy/erase", api.key(A), {"openid": OPENID})
    assert res.status_code == 202, res.body
    asked = json.loads(res.body)
    assert asked["status"] == "pending" and asked["kind"] == "openid" and asked["erased"] == {}
    assert asked["status_url"] == f"/accounts/{A}/privacy/erasures/{asked['request_id']}"
    assert OPENID not in res.body.decode()
    assert drain_erasures() == 5  # 22 tables, 5 a run
    res = api.call("GET", asked["status_url"], api.key(A))
    assert res.status_code == 200, res.body
    body = json.loads(res.body)
    assert body["status"] == "done" and body["tables_done"] == body["tables"] and body["finished_at"]
    assert body["erased"]["contacts"] == 2 and body["erased"]["draws"] == 1 and OPENID not in res.body.decode()
    res = api.call("POST", f"/accounts/{A}/privacy/export", api.key(A), {"openid": OPENID})
    assert json.loads(res.body)["tables"] == {}
    res = api.call("POST", f"/accounts/{A}/privacy/erase", api.key(A), {"openid": OPENID})  # harmless again
    assert res.status_code == 202
    drain_erasures()
    again = json.loads(api.call("GET", json.loads(res.body)["status_url"], api.key(A)).body)
    assert again["status"] == "done" and again["items"] == 0
    entries = audit_actions(api, "privacy.")
    assert [e["action"] for e in entries] == ["privacy.erase.done", "privacy.erase", "privacy.export",
                                              "privacy.erase.done", "privacy.erase"]
    assert entries[0]["key_id"] == entries[1]["key_id"] and entries[0]["object"] == again["status_url"]
    assert all(OPENID not in json.dumps(e) for e in entries)  # the identifier travels in the body only


def test_an_erasure_status_is_the_accounts_own_and_admins_only(api):
    seed()
    asked = json.loads(api.call("POST", f"/accounts/{A}/privacy/erase", api.key(A), {"openid": OPENID}).body)
    for key in (api.key(A, "operator"), api.key("acct-b", "admin")):
        assert api.call("GET", asked["status_url"], key).status_code == 403
    res = api.call("GET", f"/accounts/{A}/privacy/erasures/er-0000000000000000", api.key(A))
    assert res.status_code == 404 and json.loads(res.body)["error"]
    drain_erasures()


@pytest.mark.parametrize(("body", "field"), [({}, "openid"), ({"openid": "a", "unionid": "b"}, "openid"),
                                              ({"phone": "1"}, "phone"), ({"openid": 5}, "openid")])
def test_bad_identity_is_refused_naming_the_field(api, body, field):
    res = api.call("POST", f"/accounts/{A}/privacy/erase", api.key(A), body)
    assert res.status_code == 400 and json.loads(res.body)["error"]["field"] == field


def test_reads_of_personal_data_are_audited(api):
    seed()
    reads = {f"/accounts/{A}/contacts?openid={OPENID}": "contact.read",
             f"/accounts/{A}/campaigns/spring/draws": "campaign.draws.read",
             f"/accounts/{A}/reassignment/customers/wm-1": "reassignment.customer.read"}
    for path, action in reads.items():
        res = api.call("GET", path, api.key(A, "read-only"))
        assert res.status_code == 200, (path, res.body)
        entries = audit_actions(api, action)
        assert len(entries) == 1 and entries[0]["key_id"].startswith(A) and entries[0]["outcome"] == "ok"
    from app import app

    items = app.routes["/accounts/{account_id}/reassignment/plans/{plan_id}/items"]["GET"]
    assert items.view_function.audit_action == "reassignment_plan.items.read"


def test_cli_exports_and_erases(aws):
    from chalice.test import Client
    from click.testing import CliRunner

    from app import app
    from scrm_cli.main import cli

    with Client(app) as client:
        api = make_api(client, (A,))
    seed()
    with served(app) as url:
        def run(*args, input=None):
            r = CliRunner().invoke(cli, ["--url", url, "--key", api.key(A), "--json", "privacy", *args], input=input,
                                   catch_exceptions=False)
            return r.exit_code, r.stdout if r.exit_code == 0 else r.stderr

        code, out = run("export", A, "--openid", OPENID)
        assert code == 0 and "contacts" in json.loads(out)["tables"]
        code, out = run("erase", A, "--openid", OPENID, input="n\n")
        assert code == 1  # not confirmed: nothing erased
        code, out = run("erase", A, "--openid", OPENID, "--yes")
        asked = json.loads(out)
        assert code == 0 and asked["status"] == "pending"
        drain_erasures()
        code, out = run("erasure", A, asked["request_id"])
        assert code == 0 and json.loads(out)["status"] == "done" and json.loads(out)["items"] > 0
        code, out = run("export", A, "--openid", OPENID, "--unionid", "u")
        assert code == 2 and "exactly one" in out
