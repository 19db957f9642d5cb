"""Attack: an account is disabled (offboarded, compromised), yet its admin keys keep working.

A disabled account's keys get 403 `account_disabled` on every route, at once (no cache), for every role;
platform keys keep working, so a platform admin can re-enable it, after which the keys work again."""

from __future__ import annotations

import pytest

from tests.integration.admin_helpers import make_api


@pytest.fixture
def api(aws):
    from chalice.test import Client

    from app import app

    with Client(app) as client:
        yield make_api(client)


def test_a_disabled_accounts_keys_are_refused_until_a_platform_admin_enables_it(api):
    from scrm.data.admin_keys import AdminKeyRecord

    admin = api.key("acct-a", "admin")
    assert api.call("GET", "/accounts/acct-a", key=admin).status_code == 200
    r = api.call("POST", "/accounts/acct-a/disable", key=admin)
    assert r.status_code == 200 and r.json_body["status"] == "disabled"

    keys_before = AdminKeyRecord.count("acct-a")
    for role in ("read-only", "operator", "admin"):
        key = api.key("acct-a", role)
        for method, path, body in (("GET", "/accounts/acct-a", None), ("GET", "/accounts/acct-a/keys", None),
                                   ("POST", "/accounts/acct-a/keys", {"role": "read-only"}),
                                   ("POST", "/accounts/acct-a/enable", None),
                                   ("GET", "/accounts/acct-a/channels", None)):
            r = api.call(method, path, key=key, body=body)
            assert r.status_code == 403, (role, method, path, r.body)
            assert r.json_body["error"]["code"] == "account_disabled"
            assert "enable" in r.json_body["error"]["message"]
    assert AdminKeyRecord.count("acct-a") == keys_before  # the refused create created nothing
    # another account's keys are unaffected
    assert api.call("GET", "/accounts/acct-b", key=api.key("acct-b", "read-only")).status_code == 200

    # the platform still acts on the account and alone re-enables it
    assert api.call("GET", "/accounts/acct-a", key=api.platform_key).status_code == 200
    r = api.call("POST", "/accounts/acct-a/enable", key=api.platform_key)
    assert r.status_code == 200 and r.json_body["status"] == "active"
    assert api.call("GET", "/accounts/acct-a", key=admin).status_code == 200


def test_the_gateway_authorizer_refuses_a_disabled_accounts_key(api):
    from functions.admin_common import authorizer

    class Req:
        token = f"Bearer {api.key('acct-a', 'read-only')}"

    assert authorizer.func(Req()).routes == ["*"]
    api.call("POST", "/accounts/acct-a/disable", key=api.platform_key)
    assert authorizer.func(Req()).routes == []


def test_a_key_whose_account_is_gone_is_refused(api):
    from scrm.data.accounts import AccountRecord

    AccountRecord.get("acct-b").delete()
    r = api.call("GET", "/accounts/acct-b", key=api.key("acct-b", "admin"))
    assert r.status_code == 401 and r.json_body["error"]["code"] == "unauthorized"
