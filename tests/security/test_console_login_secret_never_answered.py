"""Attack: read the WeCom console login app's Secret back from the admin API (any answer, a replayed create, the
audit log) or find it outside SSM. It is set at registration or by PATCH, kept only as an SSM SecureString
beside the account's other secrets, and answered as "****" (set) or "" (not set), never a character of it."""

from __future__ import annotations

import json

import pytest

from tests.integration.admin_helpers import demo_secrets, make_api

LOGIN_SECRET = "the-login-app-secret-0123456789"
ROTATED = "the-rotated-login-secret-987654"


@pytest.fixture
def api(aws):
    from chalice.test import Client

    from app import app

    with Client(app) as client:
        yield make_api(client)


def _ssm(account_id: str):
    import boto3

    from scrm.config import settings

    name = f"{settings().secret_path('accounts', account_id)}/console_login_secret"
    return boto3.client("ssm").get_parameter(Name=name, WithDecryption=True)["Parameter"]


def test_the_login_secret_is_kept_in_ssm_and_never_answered(api):
    s = demo_secrets("corp-x")
    body = {"account_id": "corp-x", "kind": "wecom", "app_id": "ww0000000000corpx1", "name": "Corp X",
            "app_secret": s["app_secret"], "console_login_secret": LOGIN_SECRET,
            "options": {"console_login_agentid": 1000002}}
    answers = [api.call("POST", "/accounts", key=api.platform_key, body=body, headers={"Idempotency-Key": "x1"})]
    answers.append(api.call("POST", "/accounts", key=api.platform_key, body=body, headers={"Idempotency-Key": "x1"}))
    assert answers[0].status_code == 201, answers[0].json_body
    assert answers[0].json_body["secrets"]["console_login_secret"] == "****"
    param = _ssm("corp-x")
    assert param["Value"] == LOGIN_SECRET and param["Type"] == "SecureString"

    from scrm.services import admin_keys
    from scrm.tenancy import Scope

    _, key = admin_keys.issue(Scope.system("corp-x"), "corp-x", role="admin")
    answers.append(api.call("PATCH", "/accounts/corp-x", key=key, body={"console_login_secret": ROTATED}))
    assert answers[-1].status_code == 200 and _ssm("corp-x")["Value"] == ROTATED
    for path in ("/accounts/corp-x", "/accounts/corp-x/setup", "/accounts/corp-x/audit"):
        answers.append(api.call("GET", path, key=key))
    answers.append(api.call("GET", "/accounts", key=api.platform_key))
    for res in answers:
        text = json.dumps(res.json_body, ensure_ascii=False)
        for secret in (LOGIN_SECRET, ROTATED):
            assert secret[-6:] not in text and secret[:6] not in text

    from scrm import accounts

    accounts.forget_cache()
    assert accounts.get("corp-x").console_login_secret == ROTATED
    assert LOGIN_SECRET not in repr(accounts.get("corp-x"))


def test_an_official_account_has_no_login_secret(api):
    s = demo_secrets("oa-x")
    body = {"account_id": "oa-x", "kind": "oa", "app_id": "wx00000000000oax1", "name": "OA X",
            "original_id": "gh_oax00000001", "app_secret": s["app_secret"], "console_login_secret": LOGIN_SECRET}
    res = api.call("POST", "/accounts", key=api.platform_key, body=body)
    assert res.status_code == 400 and "console_login_secret" in json.dumps(res.json_body)
    res = api.call("PATCH", "/accounts/acct-a", key=api.key("acct-a"), body={"console_login_secret": LOGIN_SECRET})
    assert res.status_code == 400 and "console_login_secret" in json.dumps(res.json_body), res.json_body
