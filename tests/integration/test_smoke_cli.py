"""`python -m scrm_cli smoke` against the app served as the local stack serves it (moto in-process)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from tests.integration.admin_helpers import make_api, register, served


@pytest.fixture
def stage(aws):
    from chalice.test import Client

    from app import app

    with Client(app) as client:
        api = make_api(client, ("shop-oa",))
    register("shop-wecom", kind="wecom")
    with served(app) as url:
        yield url, api


def smoke(url: str, key: str, *args):
    from scrm_cli.main import cli

    result = CliRunner().invoke(cli, ["--url", url, "--key", key, "smoke", *args], catch_exceptions=False)
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    # the app is served in this process: its own JSON log lines (a refused callback) can share the stdout
    return result.exit_code, {line["check"]: line for line in lines if "check" in line}


@pytest.mark.parametrize("account", ["shop-oa", "shop-wecom"])
def test_smoke_passes_against_a_healthy_stage_and_checks_the_callback_url(stage, account):
    url, api = stage
    code, checks = smoke(url, api.platform_key, "--account", account)
    assert code == 0, checks
    assert set(checks) == {"health", "openapi", "unknown-route", "callback"}
    assert all(c["ok"] for c in checks.values())
    assert f"/wechat/{account.split('-')[1]}/{account}" in checks["callback"]["detail"]


def test_smoke_fails_when_the_callback_does_not_answer_wechats_check(stage, monkeypatch):
    """A Token in SSM that differs from the one the URL check signs with (as after a half-done rotation)."""
    url, api = stage
    from scrm_cli import smoke as module

    real = module.check_callback

    def signed_with_a_stale_token(api_, account_id):
        original = api_.request

        def request(method, path, **kw):
            out = original(method, path, **kw)
            return {**out, "token": "staletoken1"} if path.endswith("/setup") else out

        monkeypatch.setattr(api_, "request", request)
        return real(api_, account_id)

    monkeypatch.setattr(module, "check_callback", signed_with_a_stale_token)
    code, checks = smoke(url, api.platform_key, "--account", "shop-oa")
    assert code == 1
    assert checks["callback"]["ok"] is False and checks["health"]["ok"] is True


def test_smoke_without_an_account_checks_the_api_only(stage):
    url, api = stage
    code, checks = smoke(url, api.platform_key)
    assert code == 0 and set(checks) == {"health", "openapi", "unknown-route"}
