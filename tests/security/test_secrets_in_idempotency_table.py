"""Attack: read the `admin_idempotency` table (a backup, a too-broad IAM read) and find live secrets in the
stored responses of idempotent creates: new API keys, callback Tokens and EncodingAESKeys.

Every item of the table is scanned after creates, raw (all attributes, as DynamoDB holds them): no secret, and
no plain SHA-256 of a body holding one, appears anywhere. A replay still creates nothing and says that the
secret was shown once and how to get a new one."""

from __future__ import annotations

import hashlib
import json

import pytest

from tests.integration.admin_helpers import make_api


@pytest.fixture
def api(aws):
    from chalice.test import Client

    from app import app

    with Client(app) as client:
        yield make_api(client)


def table_text() -> str:
    import boto3

    from scrm.data.admin_idempotency import AdminRequest

    client = boto3.client("dynamodb")
    items = client.scan(TableName=AdminRequest.Meta.table_name, ConsistentRead=True)["Items"]
    assert items, "the creates should have stored their responses"
    return json.dumps(items)


def test_no_secret_is_written_to_the_idempotency_table(api):
    from scrm.data.accounts import AccountRecord
    from scrm.data.admin_keys import AdminKeyRecord

    h = {"Idempotency-Key": "k-1"}
    key_body = {"role": "operator", "name": "ci"}
    first_key = api.call("POST", "/accounts/acct-a/keys", key=api.key("acct-a"), body=key_body, headers=h)
    assert first_key.status_code == 201 and first_key.json_body["key"].startswith("scrm.acct-a.")
    weak_token = "abc123"  # an admin may choose a short Token: its hash must not be in the table either
    account_body = {"account_id": "idem-oa", "kind": "oa", "app_id": "wx1", "name": "n",
                    "app_secret": "the-app-secret-0123456789", "token": weak_token,
                    "original_id": "gh_idem0000001"}
    generated_body = {k: v for k, v in account_body.items() if k != "token"} | {"account_id": "idem-gen"}
    first_acct = api.call("POST", "/accounts", key=api.platform_key, body=account_body, headers=h)
    h2 = {"Idempotency-Key": "k-gen"}
    first_gen = api.call("POST", "/accounts", key=api.platform_key, body=generated_body, headers=h2)
    assert first_acct.status_code == first_gen.status_code == 201

    secrets = [first_key.json_body["key"], first_key.json_body["key"].rsplit(".", 1)[1], weak_token,
               account_body["app_secret"], first_acct.json_body["setup"]["aes_key"],
               first_gen.json_body["setup"]["token"], first_gen.json_body["setup"]["aes_key"]]
    body_digests = [hashlib.sha256(json.dumps(b, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
                    for b in (key_body, account_body, generated_body)]
    text = table_text()
    for value in secrets + body_digests:
        assert value not in text

    # replays create nothing and say where the secret went
    keys_before, accounts_before = AdminKeyRecord.count("acct-a"), AccountRecord.count()
    again = api.call("POST", "/accounts/acct-a/keys", key=api.key("acct-a"), body=key_body, headers=h)
    assert again.status_code == 201 and again.headers.get("Idempotent-Replayed") == "true"
    assert again.json_body["key"] is None and again.json_body["key_id"] == first_key.json_body["key_id"]
    withheld = again.json_body["secrets_withheld"]
    assert withheld["fields"] == ["key"] and "shown once" in withheld["message"]
    assert f"revoke {first_key.json_body['key_id']}" in withheld["message"]

    again = api.call("POST", "/accounts", key=api.platform_key, body=generated_body, headers=h2)
    assert again.status_code == 201 and again.headers.get("Idempotent-Replayed") == "true"
    assert again.json_body["setup"]["token"] is None and again.json_body["setup"]["aes_key"] is None
    assert again.json_body["secrets_withheld"]["fields"] == ["setup.aes_key", "setup.token"]
    assert "/accounts/idem-gen/setup" in again.json_body["secrets_withheld"]["message"]
    assert (AdminKeyRecord.count("acct-a"), AccountRecord.count()) == (keys_before, accounts_before)
    # the setup view (audited) still gives the values, from SSM
    setup = api.call("GET", "/accounts/idem-gen/setup", key=api.platform_key).json_body
    assert setup["token"] == first_gen.json_body["setup"]["token"]


def test_a_replay_with_a_different_body_is_still_a_conflict(api):
    h = {"Idempotency-Key": "k-2"}
    k = api.key("acct-a")
    assert api.call("POST", "/accounts/acct-a/keys", key=k, body={"role": "operator"}, headers=h).status_code == 201
    assert api.call("POST", "/accounts/acct-a/keys", key=k, body={"role": "admin"}, headers=h).status_code == 409
