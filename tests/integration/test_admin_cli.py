"""The `scrm` CLI against the admin API served by chalice.local (moto in-process)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from tests.integration.admin_helpers import make_api, served


@pytest.fixture
def cli_env(aws):
    from chalice.test import Client

    from app import app

    with Client(app) as client:
        api = make_api(client, ("acct-a",))
    with served(app) as url:
        yield url, api


def run(url: str, key: str, *args, input=None):
    from scrm_cli.main import cli

    result = CliRunner().invoke(cli, ["--url", url, "--key", key, "--json", *args], input=input,
                                catch_exceptions=False)
    # stdout is the JSON (--json); stderr has the error (and, here, the local server's access log)
    return result.exit_code, result.stdout if result.exit_code == 0 else result.stderr


def test_operator_workflow(cli_env):
    url, api = cli_env
    code, output = run(url, api.platform_key, "accounts", "create", "--id", "shop-oa", "--kind", "oa", "--app-id",
                       "wx00000000shop01", "--name", "Shop", "--original-id", "gh_shop00000001", "--app-secret", "-",
                       input="topsecretappsecret\n")
    assert code == 0, output
    created = json.loads(output)
    assert created["setup"]["callback_url"].endswith("/wechat/oa/shop-oa")
    assert "topsecretappsecret" not in output

    code, output = run(url, api.platform_key, "accounts", "list", "--all")
    assert code == 0 and {a["account_id"] for a in json.loads(output)} == {"acct-a", "shop-oa"}

    code, output = run(url, api.platform_key, "keys", "create", "shop-oa", "--role", "operator", "--name", "team")
    assert code == 0, output
    key = json.loads(output)
    code, output = run(url, key["key"], "accounts", "show", "shop-oa")
    assert code == 0 and json.loads(output)["secrets"]["app_secret"] == "****cret"

    code, output = run(url, key["key"], "accounts", "update", "shop-oa", "--name", "x")
    assert code == 1 and "HTTP 403" in output

    code, output = run(url, api.platform_key, "keys", "revoke", "shop-oa", key["key_id"])
    assert code == 0 and json.loads(output)["status"] == "revoked"
    code, output = run(url, key["key"], "accounts", "show", "shop-oa")
    assert code == 1 and "HTTP 401" in output

    code, output = run(url, api.platform_key, "audit", "shop-oa", "--action", "key.")
    assert code == 0
    assert [e["action"] for e in json.loads(output)] == ["key.revoke", "key.create"]


def test_contact_books_are_shared_by_the_platform(cli_env):
    url, api = cli_env
    code, output = run(url, api.platform_key, "accounts", "create", "--id", "shop-wecom", "--kind", "wecom",
                       "--app-id", "ww00000000shop01", "--name", "Shop corp", "--app-secret", "-", input="corpsecret\n")
    assert code == 0, output
    code, output = run(url, api.key("acct-a"), "contact-books", "set", "shop", "--member", "acct-a")
    assert code == 1 and "HTTP 403" in output
    code, output = run(url, api.platform_key, "contact-books", "set", "shop", "--member", "acct-a", "--member",
                       "shop-wecom")
    assert code == 0 and json.loads(output)["members"] == ["acct-a", "shop-wecom"]
    code, output = run(url, api.key("acct-a", "read-only"), "accounts", "contact-book", "acct-a")
    assert code == 0 and json.loads(output)["book_id"] == "shop"
    code, output = run(url, api.platform_key, "contact-books", "delete", "shop")
    assert code == 0 and json.loads(output)["members"] == []


def test_errors_name_the_field_and_exit_1(cli_env):
    url, api = cli_env
    code, output = run(url, api.platform_key, "accounts", "create", "--id", "Bad_Id", "--kind", "oa", "--app-id",
                       "wx1", "--name", "n", "--app-secret", "s")
    assert code == 1 and "HTTP 400" in output and "field: account_id" in output
    code, output = run(url, api.key("acct-a"), "keys", "list", "acct-b")
    assert code == 1 and "HTTP 403" in output


def test_bootstrap_and_platform_keys_are_direct(aws):
    from scrm_cli.main import cli

    runner = CliRunner()
    result = runner.invoke(cli, ["--json", "bootstrap", "--name", "ops"])
    assert result.exit_code == 0, result.output
    first = json.loads(result.stdout)
    assert first["key"].startswith("scrm._platform.")
    again = runner.invoke(cli, ["bootstrap"])
    assert again.exit_code == 1 and "active platform keys exist" in again.output
    listed = json.loads(runner.invoke(cli, ["platform-keys", "--json"]).stdout)
    assert [k["key_id"] for k in listed] == [first["key_id"]]
    revoked = runner.invoke(cli, ["--json", "platform-keys", "--revoke", first["key_id"]])
    assert json.loads(revoked.stdout)["status"] == "revoked"
    assert runner.invoke(cli, ["bootstrap"]).exit_code == 0


def test_a_wecom_corps_console_login_secret_is_set_from_stdin_and_never_printed(cli_env):
    url, api = cli_env
    code, output = run(url, api.platform_key, "accounts", "create", "--id", "shop-wecom", "--kind", "wecom",
                       "--app-id", "ww00000000shop01", "--name", "Shop corp", "--app-secret", "contactsecret0001",
                       "--console-login-secret", "-", input="loginappsecret0001\n")
    assert code == 0, output
    assert json.loads(output)["secrets"]["console_login_secret"] == "****" and "loginappsecret" not in output
    code, output = run(url, api.platform_key, "accounts", "update", "shop-wecom", "--console-login-secret", "-",
                       "--options", '{"console_login_agentid": 1000002}', input="loginappsecret0002\n")
    assert code == 0 and "loginappsecret" not in output, output

    from scrm import accounts

    accounts.forget_cache()
    account = accounts.get("shop-wecom")
    assert account.console_login_secret == "loginappsecret0002" and account.options["console_login_agentid"] == 1000002
