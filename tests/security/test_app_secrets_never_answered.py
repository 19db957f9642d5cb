"""Attack: read a WeCom self-built app's Secret (agent_secrets: the app that sends loss alerts and reassignment
notices) back from the admin API (the create answer, a replayed create, PATCH, show, setup, audit, the list) or find
it outside SSM. Each is an SSM SecureString `agent_secret_<AgentId>`, answered only as "****" per AgentId; a PATCH
merges (another app's Secret stays); an Official Account has none."""

from __future__ import annotations

import json

import pytest

from tests.integration.admin_helpers import demo_secrets, make_api

ALERTS, NOTICES = "the-alerts-app-secret-0123456789", "the-notices-app-secret-98765432"


@pytest.fixture
def api(aws):
    from chalice.test import Client

    from app import app

    with Client(app) as client:
        yield make_api(client)


def _ssm(account_id: str, agentid: int):
    import boto3

    from scrm.config import settings

    name = f"{settings().secret_path('accounts', account_id)}/agent_secret_{agentid}"
    return boto3.client("ssm").get_parameter(Name=name, WithDecryption=True)["Parameter"]


def test_app_secrets_are_kept_in_ssm_and_never_answered(api):
    from scrm import accounts
    from scrm.services import admin_keys
    from scrm.tenancy import Scope

    s = demo_secrets("corp-y")
    body = {"account_id": "corp-y", "kind": "wecom", "app_id": "ww0000000000corpy1", "name": "Corp Y",
            "app_secret": s["app_secret"], "agent_secrets": {"1000005": ALERTS}}
    answers = [api.call("POST", "/accounts", key=api.platform_key, body=body, headers={"Idempotency-Key": "y1"})]
    answers.append(api.call("POST", "/accounts", key=api.platform_key, body=body, headers={"Idempotency-Key": "y1"}))
    assert answers[0].status_code == 201, answers[0].json_body
    assert answers[0].json_body["secrets"]["agent_secrets"] == {"1000005": "****"}
    assert _ssm("corp-y", 1000005)["Value"] == ALERTS and _ssm("corp-y", 1000005)["Type"] == "SecureString"
    _, key = admin_keys.issue(Scope.system("corp-y"), "corp-y", role="admin")
    answers.append(api.call("PATCH", "/accounts/corp-y", key=key, body={"agent_secrets": {"1000006": NOTICES}}))
    assert answers[-1].json_body["secrets"]["agent_secrets"] == {"1000005": "****", "1000006": "****"}  # merged
    for path in ("/accounts/corp-y", "/accounts/corp-y/setup", "/accounts/corp-y/audit"):
        answers.append(api.call("GET", path, key=key))
    answers.append(api.call("GET", "/accounts", key=api.platform_key))
    for res in answers:
        text = json.dumps(res.json_body, ensure_ascii=False)
        for secret in (ALERTS, NOTICES):
            assert secret[-6:] not in text and secret[:6] not in text
    accounts.forget_cache()
    account = accounts.get("corp-y")
    assert account.agent_secret(1000005) == ALERTS and account.agent_secret(1000006) == NOTICES
    assert ALERTS not in repr(account) and NOTICES not in repr(account)


@pytest.mark.parametrize("agent_secrets, field", [
    ({"0": "x"}, "agent_secrets"), ({"abc": "x"}, "agent_secrets"), ({"1000002": ""}, "agent_secrets"),
    ({"99999999999": "x"}, "agent_secrets"), ({}, "agent_secrets")])
def test_malformed_app_secrets_are_refused_naming_the_field(api, agent_secrets, field):
    res = api.call("PATCH", "/accounts/acct-a", key=api.key("acct-a"), body={"agent_secrets": agent_secrets})
    assert res.status_code == 400 and res.json_body["error"]["field"].startswith(field), res.json_body


def test_an_official_account_has_no_app_secrets(api):
    s = demo_secrets("oa-y")
    body = {"account_id": "oa-y", "kind": "oa", "app_id": "wx00000000000oay1", "name": "OA Y",
            "original_id": "gh_oay00000001", "app_secret": s["app_secret"], "agent_secrets": {"1000005": ALERTS}}
    res = api.call("POST", "/accounts", key=api.platform_key, body=body)
    assert res.status_code == 400 and "agent_secrets" in json.dumps(res.json_body)
