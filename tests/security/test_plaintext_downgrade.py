"""Attack: a captured safe-mode URL (its `signature` covers only token, timestamp and nonce, never the body) is
reused with a forged plaintext body: a follow that was never made, counted and welcomed.

Defence: each account has a message mode (plaintext / compatible / safe, as in the OA console), `safe` by default
at registration and changeable by an admin (audited); safe mode refuses unencrypted bodies.
"""

from __future__ import annotations

import pytest

from local.sandbox import callbacks as wx
from tests.security.callback_helpers import follow_xml, oa_account, oa_cfg, plaintext_under, service


def test_safe_mode_refuses_a_forged_plaintext_body_under_a_captured_query():
    account = oa_account("safe")
    svc, inbox, queue = service(account)
    query, body = wx.oa_request(oa_cfg(account), follow_xml("o-real"), "o-real")
    assert svc.handle("oa", account.account_id, "POST", query, body).status == 200
    forged = follow_xml("o-forged", EventKey="qrscene_1")
    answer = svc.handle("oa", account.account_id, "POST", plaintext_under(query), forged)
    assert (answer.status, answer.body) == (403, "forbidden")
    assert [p["event"]["FromUserName"] for p in queue] == ["o-real"]
    assert len(inbox.items) == 1


def test_safe_mode_refuses_even_a_correctly_signed_plaintext_body():
    account = oa_account("safe")
    svc, inbox, queue = service(account)
    query, body = wx.oa_request(oa_cfg(account, "plain"), follow_xml(), "o-fan-1")
    assert svc.handle("oa", account.account_id, "POST", query, body).status == 403
    assert not inbox.items and not queue


@pytest.mark.parametrize("mode", ["compatible", "plaintext"])
def test_compatible_and_plaintext_modes_accept_both(mode):
    account = oa_account(mode)
    svc, _, queue = service(account)
    for encrypt in ("plain", "aes"):
        query, body = wx.oa_request(oa_cfg(account, encrypt), follow_xml(f"o-{encrypt}"), f"o-{encrypt}")
        assert svc.handle("oa", account.account_id, "POST", query, body).status == 200
    assert [p["event"]["FromUserName"] for p in queue] == ["o-plain", "o-aes"]


def test_sandbox_compatible_mode_body_is_accepted():
    """兼容模式: WeChat sends the plaintext fields and Encrypt in one body, with encrypt_type=aes."""
    account = oa_account("compatible")
    svc, _, queue = service(account)
    query, body = wx.oa_request(oa_cfg(account, "compatible"), follow_xml(), "o-fan-1")
    assert "<Encrypt>" in body and "<FromUserName>" in body and query["encrypt_type"] == "aes"
    assert svc.handle("oa", account.account_id, "POST", query, body).status == 200 and len(queue) == 1


def test_mode_is_safe_at_registration_and_an_admin_changes_it_audited(aws):
    from chalice.test import Client

    from app import app
    from scrm import accounts
    from tests.integration.admin_helpers import make_api

    with Client(app) as client:
        api = make_api(client, ("acct-a",))
        body = {"account_id": "new-oa", "kind": "oa", "app_id": "wx00000000000new1", "name": "New",
                "app_secret": "abcdef0123456789abcdef", "original_id": "gh_new000000001"}
        created = api.call("POST", "/accounts", key=api.platform_key, body=body)
        assert created.status_code == 201, created.body
        assert created.json_body["message_mode"] == "safe" and created.json_body["setup"]["encrypt_mode"] == "safe"
        assert accounts.get("new-oa").message_mode == "safe"

        admin, operator = api.key("acct-a", "admin"), api.key("acct-a", "operator")
        assert api.call("PATCH", "/accounts/acct-a", key=operator, body={"message_mode": "plaintext"}).status_code \
            == 403
        bad = api.call("PATCH", "/accounts/acct-a", key=admin, body={"message_mode": "open"})
        assert bad.status_code == 400 and bad.json_body["error"]["field"] == "message_mode"
        changed = api.call("PATCH", "/accounts/acct-a", key=admin, body={"message_mode": "compatible"})
        assert changed.status_code == 200 and changed.json_body["message_mode"] == "compatible"
        assert accounts.get("acct-a").message_mode == "compatible"
        audit = api.call("GET", "/accounts/acct-a/audit", key=admin, body=None).json_body["items"]
        assert any(e["action"] == "account.update" for e in audit)

        wecom = {"account_id": "new-corp", "kind": "wecom", "app_id": "ww00000000000new1", "name": "Corp",
                 "app_secret": "abcdef0123456789abcdef", "message_mode": "plaintext"}
        refused = api.call("POST", "/accounts", key=api.platform_key, body=wecom)
        assert refused.status_code == 400 and refused.json_body["error"]["field"] == "message_mode"


def test_cli_mode_command_shows_and_sets_the_mode(aws):
    from chalice.test import Client
    from click.testing import CliRunner

    from app import app
    from scrm_cli.main import cli
    from tests.integration.admin_helpers import make_api, served

    with Client(app) as client:
        api = make_api(client, ("acct-a",))
    key = api.key("acct-a", "admin")
    with served(app) as url:
        def run(*args):
            return CliRunner().invoke(cli, ["--url", url, "--key", key, "--json", *args])

        shown = run("accounts", "mode", "acct-a")
        assert shown.exit_code == 0 and '"message_mode": "safe"' in shown.stdout
        changed = run("accounts", "mode", "acct-a", "compatible")
        assert changed.exit_code == 0 and '"message_mode": "compatible"' in changed.stdout
        assert run("accounts", "mode", "acct-a", "open").exit_code != 0
