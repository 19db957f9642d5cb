"""Loss alerts over moto and the WeChat sandbox: a customer added through a contact way (channel with a corp tag)
deletes the staff member; the event worker, handed the same queued event 4 times (and the event once more under a
retried callback), sends one app message in WeCom's message/send shape with the duplicate check on, naming the
customer, the channel and the tag; the admin API reads and sets the settings (refusing bad ones, OA accounts)
and reads the counts; the CLI does the same."""

from __future__ import annotations

import json

import pytest

from local.sandbox import SandboxClient
from scrm import bootstrap
from scrm.services import channels, events
from scrm.tenancy import Scope
from tests.integration.app_secrets import give_app
from tests.integration.test_attribution import sqs_event, wecom
from tests.timing import Clock


@pytest.fixture
def corp(wecom_account, sandbox, monkeypatch):
    from scrm import accounts
    from scrm.gateway import gateway_for

    clock = Clock()
    monkeypatch.setattr(bootstrap.container(), "clock", clock)
    sb, a = SandboxClient(sandbox.url), wecom_account.account_id
    give_app(wecom_account, sandbox.url, 1000002)  # the app the alerts go out as, with its own Secret
    sb.wecom_staff(wecom_account.app_id, "alice", name="Alice")
    gw = gateway_for(accounts.get(a))
    made = gw.post("externalcontact/add_corp_tag", {"group_name": "客户等级", "tag": [{"name": "VIP"}]})
    tag_id = made["tag_group"]["tag"][0]["id"]
    ch = channels.create_channel(Scope.system(a), a, {"kind": "wecom_contact_way", "name": "门店海报",
                                                      "staff": ["alice"], "tags": [tag_id]})
    sb.wecom_customers(wecom_account.app_id, "alice", external_userids=["wm-lost-1"])
    t = clock.now
    assert events.process_batch(sqs_event(wecom(a, "add_external_contact", "alice", "wm-lost-1", t, ch["state"]))) \
        == {"batchItemFailures": []}
    return sb, wecom_account, t


def _admin(client, account_id, role="admin"):
    from scrm.services import admin_keys

    key = admin_keys.issue(Scope.system(account_id), account_id, role=role, name="alerts test")[1]

    def call(method, path, body=None):
        return getattr(client.http, method.lower())(path, headers={"Authorization": f"Bearer {key}",
                                                                   "Content-Type": "application/json"},
                                                    body=None if body is None else json.dumps(body))
    return call


def test_one_app_message_per_lost_customer_under_4x_redelivery(corp):
    from chalice.test import Client

    from app import app

    sb, account, t = corp
    a = account.account_id
    with Client(app) as client:
        call = _admin(client, a)
        assert call("GET", f"/accounts/{a}/loss-alerts/settings").json_body["enabled"] is False
        r = call("PUT", f"/accounts/{a}/loss-alerts/settings", {"enabled": True, "agentid": 1000002})
        assert r.status_code == 200 and r.json_body["recipient"] == "staff", r.body
        sb.wecom_event(account.app_id, "del_follow_user", userid="alice", external_userid="wm-lost-1")  # its state
        lost = sqs_event(wecom(a, "del_follow_user", "alice", "wm-lost-1", t + 60))
        for _ in range(4):
            assert events.process_batch(lost) == {"batchItemFailures": []}
        got = sb.wecom_app_messages(account.app_id)
        assert len(got["messages"]) == 1 and got["repeats_suppressed"] == 0
        body = got["messages"][0]["body"]
        assert body["touser"] == "alice" and body["agentid"] == 1000002 and body["msgtype"] == "text"
        assert body["enable_duplicate_check"] == 1 and body["duplicate_check_interval"] == 1800
        text = body["text"]["content"]
        assert "删除了成员 alice" in text and "来源渠道：门店海报" in text and "客户标签：VIP" in text, text
        counts = call("GET", f"/accounts/{a}/loss-alerts/counts").json_body
        assert counts["sent"] == 1 and counts["failed"] == 0 and len(counts["days"]) == 1, counts


def test_the_worker_resending_after_a_crash_reaches_nobody_twice(corp, monkeypatch):
    from scrm.stores.staff.dynamo import DynamoStaffStore

    sb, account, t = corp
    a = account.account_id
    from scrm.services.staff import alerts

    alerts.put_settings(Scope.system(a), a, {"enabled": True, "agentid": 1000002})
    real = DynamoStaffStore.finish_alert

    def crash(self, *args, **kwargs):
        raise RuntimeError("the worker died after WeCom took the message")

    monkeypatch.setattr(DynamoStaffStore, "finish_alert", crash)
    lost = sqs_event(wecom(a, "del_follow_user", "alice", "wm-lost-1", t + 60))
    assert events.process_batch(lost)["batchItemFailures"] == [{"itemIdentifier": "m0"}]
    monkeypatch.setattr(DynamoStaffStore, "finish_alert", real)
    assert events.process_batch(lost) == {"batchItemFailures": []}
    got = sb.wecom_app_messages(account.app_id)
    assert len(got["messages"]) == 1 and got["repeats_suppressed"] == 1  # WeCom's duplicate check held it
    assert len(sb.calls(path_contains="message/send")) == 2


def test_settings_are_checked_and_a_supervisor_can_be_named(corp, oa_account):
    from chalice.test import Client

    from app import app

    sb, account, t = corp
    a = account.account_id
    with Client(app) as client:
        call = _admin(client, a)
        bad = call("PUT", f"/accounts/{a}/loss-alerts/settings", {"enabled": True})
        assert bad.status_code == 400 and bad.json_body["error"]["field"] == "agentid"
        bad = call("PUT", f"/accounts/{a}/loss-alerts/settings", {"recipient": "supervisor", "agentid": 1})
        assert bad.status_code == 400 and bad.json_body["error"]["field"] == "supervisor"
        assert call("GET", f"/accounts/{a}/loss-alerts/settings").json_body["enabled"] is False  # nothing half-done
        low = _admin(client, a, "operator")
        assert low("PUT", f"/accounts/{a}/loss-alerts/settings", {"enabled": False}).status_code == 403
        oa = _admin(client, oa_account.account_id)
        r = oa("PUT", f"/accounts/{oa_account.account_id}/loss-alerts/settings", {"enabled": False})
        assert r.status_code == 400 and r.json_body["error"]["field"] == "account_id"
        r = call("PUT", f"/accounts/{a}/loss-alerts/settings", {
            "enabled": True, "agentid": 1000002, "recipient": "supervisor", "supervisor": "boss",
            "events": ["del_follow_user", "del_external_contact"], "message": "textcard",
            "url": "https://scrm.example.com/console"})
        assert r.status_code == 200, r.body
        sb.wecom_staff(account.app_id, "boss")
        lost = sqs_event(wecom(a, "del_external_contact", "alice", "wm-lost-1", t + 90))
        assert events.process_batch(lost) == {"batchItemFailures": []}
        msg = sb.wecom_app_messages(account.app_id)["messages"][0]
        assert msg["touser"] == ["boss"] and msg["msgtype"] == "textcard"
        assert "成员 alice 删除了客户" in msg["body"]["textcard"]["description"]
        audit = call("GET", f"/accounts/{a}/audit?action=loss_alerts.").json_body["items"]
        assert audit and audit[0]["action"] == "loss_alerts.settings"


def test_the_cli_sets_and_reads_alerts(corp):
    from click.testing import CliRunner

    from app import app
    from scrm.services import admin_keys
    from scrm_cli.main import cli
    from tests.integration.admin_helpers import served

    sb, account, t = corp
    a = account.account_id
    key = admin_keys.issue(Scope.system(a), a, role="admin", name="cli")[1]
    with served(app) as url:
        def run(*args):
            result = CliRunner().invoke(cli, ["--url", url, "--key", key, *args], catch_exceptions=False)
            assert result.exit_code == 0, result.output
            return result.stdout

        made = json.loads(run("staff", "alerts", "set", a, "--on", "--agentid", "1000002", "--supervisor", "boss",
                              "--event", "del_follow_user", "--json"))
        assert made["enabled"] is True and made["recipient"] == "supervisor" and made["supervisor"] == "boss"
        assert "boss" in run("staff", "alerts", "show", a)
        assert run("staff", "alerts", "counts", a).split() == ["(none)"]  # nothing lost yet
        sb.wecom_staff(account.app_id, "boss")
        assert events.process_batch(sqs_event(wecom(a, "del_follow_user", "alice", "wm-lost-1", t + 60))) == {
            "batchItemFailures": []}
        counts = run("staff", "alerts", "counts", a).splitlines()
        assert counts[0].split() == ["day", "sent", "failed", "unsent"] and counts[2].split()[1:] == ["1", "0", "0"], \
            counts
        assert json.loads(run("staff", "alerts", "counts", a, "--json"))["sent"] == 1
        off = json.loads(run("staff", "alerts", "set", a, "--off", "--json"))
        assert off["enabled"] is False and off["supervisor"] == "boss"  # the rest kept


def test_an_alert_for_an_app_without_its_secret_is_unsent_until_an_admin_sets_the_secret(corp, sandbox):
    """No Secret for the app: the alert is recorded unsent (counted, not retried) and nothing reaches WeCom; the
    admin sets the app's Secret over the API (answered "****") and the CLI, and the next alert goes out."""
    import secrets as random

    from chalice.test import Client
    from click.testing import CliRunner

    from app import app
    from scrm import accounts
    from scrm.services import admin_keys
    from scrm_cli.main import cli
    from tests.integration.admin_helpers import served

    sb, account, t = corp
    a, agentid = account.account_id, 1000077
    sb.wecom_staff(account.app_id, "carol")
    sb.wecom_customers(account.app_id, "carol", external_userids=["wm-lost-2", "wm-lost-3"])
    with Client(app) as client:
        call = _admin(client, a)
        assert call("PUT", f"/accounts/{a}/loss-alerts/settings", {"enabled": True, "agentid": agentid}).status_code \
            == 200
        sends = len(sb.calls(path_contains="message/send"))
        for _ in range(3):  # redelivered: recorded once, never sent
            assert events.process_batch(sqs_event(wecom(a, "del_follow_user", "carol", "wm-lost-2", t + 60))) == {
                "batchItemFailures": []}
        assert len(sb.calls(path_contains="message/send")) == sends
        counts = call("GET", f"/accounts/{a}/loss-alerts/counts").json_body
        assert (counts["sent"], counts["failed"], counts["unsent"]) == (0, 0, 1), counts
        secret = random.token_hex(16)
        sb.register_wecom(account.app_id, account.app_secret, apps={str(agentid): secret})
        bad = call("PATCH", f"/accounts/{a}", {"agent_secrets": {"abc": secret}})
        assert bad.status_code == 400 and bad.json_body["error"]["field"].startswith("agent_secrets"), bad.body
        key = admin_keys.issue(Scope.system(a), a, role="admin", name="cli")[1]
        with served(app) as url:
            result = CliRunner().invoke(cli, ["--url", url, "--key", key, "accounts", "update", a, "--agent-secret",
                                              str(agentid), "-", "--json"], input=secret + "\n",
                                        catch_exceptions=False)
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["secrets"]["agent_secrets"][str(agentid)] == "****"
        assert secret not in result.output
        shown = call("GET", f"/accounts/{a}")
        assert shown.json_body["secrets"]["agent_secrets"][str(agentid)] == "****" and secret not in shown.body.decode()
        accounts.forget_cache()
        assert events.process_batch(sqs_event(wecom(a, "del_follow_user", "carol", "wm-lost-3", t + 120))) == {
            "batchItemFailures": []}
        got = [m for m in sb.wecom_app_messages(account.app_id)["messages"] if m["touser"] == ["carol"]]
        assert len(got) == 1 and got[0]["agentid"] == agentid
        counts = call("GET", f"/accounts/{a}/loss-alerts/counts").json_body
        assert (counts["sent"], counts["failed"], counts["unsent"]) == (1, 0, 1), counts
