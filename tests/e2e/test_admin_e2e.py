"""The admin API over HTTP on the local stack: the banner's keys work, an operator registers an account and
manages keys with the CLI, tenancy holds, and the audit log shows it."""

from __future__ import annotations

import json

import pytest
import requests
from click.testing import CliRunner

pytestmark = pytest.mark.e2e


def h(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


def test_banner_keys_work_and_are_scoped(stack):
    api, info = stack.api, stack.info
    r = requests.get(f"{api}/accounts", headers=h(info["admin key"]), timeout=10)
    assert r.status_code == 200
    assert {"demo-oa", "demo-wecom"} <= {a["account_id"] for a in r.json()["items"]}
    assert requests.get(f"{api}/accounts/demo-oa", timeout=10).status_code == 401
    r = requests.get(f"{api}/accounts/demo-wecom", headers=h(info["demo-oa admin key"]), timeout=10)
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    r = requests.get(f"{api}/accounts/demo-oa", headers=h(info["demo-oa admin key"]), timeout=10)
    assert r.status_code == 200 and r.json()["callback_url"] == info["demo OA callback"]
    assert r.json()["secrets"]["app_secret"].startswith("****")
    assert requests.get(f"{api}/openapi.json", timeout=10).json()["openapi"].startswith("3.")


def test_cli_against_the_stack(stack):
    from scrm_cli.main import cli

    runner = CliRunner()
    base = ["--url", stack.api, "--key", stack.info["admin key"], "--json"]
    created = runner.invoke(cli, [*base, "accounts", "create", "--id", "e2e-corp", "--kind", "wecom", "--app-id",
                                  "ww00000000e2e001", "--name", "E2E corp", "--app-secret", "corpsecret123456"])
    assert created.exit_code == 0, created.output
    assert json.loads(created.stdout)["setup"]["callback_url"] == f"{stack.api}/wechat/wecom/e2e-corp"
    key = json.loads(runner.invoke(cli, [*base, "keys", "create", "e2e-corp", "--role", "read-only"]).stdout)
    shown = runner.invoke(cli, ["--url", stack.api, "--key", key["key"], "--json", "accounts", "show", "e2e-corp"])
    assert shown.exit_code == 0 and json.loads(shown.stdout)["kind"] == "wecom"
    denied = runner.invoke(cli, ["--url", stack.api, "--key", key["key"], "keys", "list", "e2e-corp"])
    assert denied.exit_code == 1 and "HTTP 403" in denied.stderr
    log = json.loads(runner.invoke(cli, [*base, "audit", "e2e-corp"]).stdout)
    assert [e["action"] for e in log] == ["key.create", "account.create"]
    assert all(e["key_id"].startswith("_platform.") for e in log)
