"""Attack (or an outage): the account table or SSM is unavailable, or SSM is throttled by someone else's
traffic. The callback path reads both before the inbox write, so every callback answered 503 and WeChat, which
gives up after ~15 s of retries, lost the events.

Defence: a container serves the account and its secrets from its cache when the store fails, for up to
SCRM_STALE_ACCOUNT_SECONDS (default 24 h) after they were loaded, with a warning; past that, or in a cold
container, it still answers 503.
"""

from __future__ import annotations

import time

import botocore.client
import pytest

from local.sandbox import callbacks as wx
from tests.security.callback_helpers import follow_xml


class Outage:
    """Makes the account table's GetItem and SSM's GetParametersByPath fail while `on`."""

    def __init__(self, monkeypatch):
        self.on = False
        original = botocore.client.BaseClient._make_api_call
        outage = self

        def call(client, operation, params):
            if outage.on and (operation == "GetParametersByPath" or (
                    operation == "GetItem" and params.get("TableName", "").endswith("-accounts"))):
                raise botocore.exceptions.EndpointConnectionError(endpoint_url="https://store.invalid")
            return original(client, operation, params)

        monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", call)


@pytest.fixture
def shop(aws, monkeypatch):
    from scrm import accounts, bootstrap
    from scrm.services.callbacks import CallbackService

    now = [1000.0]
    monkeypatch.setattr(bootstrap.container(), "monotonic", lambda: now[0])  # ages the account and secret caches
    account = accounts.register("shop-oa", "oa", "wx0000000000shop01", "Shop", original_id="gh_shop00000001",
                                app_secret="s" * 16, token="shoptoken99", aes_key="b" * 43)
    accounts.forget_cache()
    queue = []
    svc = CallbackService(enqueue=queue.append, welcome=lambda a, e: None)
    cfg = {"token": account.token, "aes_key": account.aes_key, "appid": account.app_id,
           "original_id": account.original_id, "encrypt_mode": "aes"}

    def deliver(openid):
        query, body = wx.oa_request(cfg, follow_xml(openid, to=account.original_id), openid)
        return svc.handle("oa", account.account_id, "POST", query, body)

    return deliver, now, queue, Outage(monkeypatch)


def _stored():
    from scrm.data.inbox import InboxRecord

    return sorted(i.dedupe_key.split("|")[0] for i in InboxRecord.scan())


def test_a_warm_container_keeps_taking_events_through_an_outage(shop, caplog):
    deliver, now, queue, outage = shop
    assert deliver("o-before").status == 200  # loads account and secrets into the container
    outage.on = True
    now[0] += 6 * 3600  # long past both caches' freshness
    assert deliver("o-during").status == 200
    assert _stored() == ["evt:o-before", "evt:o-during"] and len(queue) == 2
    assert any(r.getMessage().startswith("account store unavailable") for r in caplog.records)
    now[0] += 18 * 3600 + 1  # more than 24 h since the account was loaded: too stale to trust
    assert deliver("o-too-late").status == 503
    assert _stored() == ["evt:o-before", "evt:o-during"]
    outage.on = False
    assert deliver("o-after").status == 200  # the store is back: fresh again


def test_a_cold_container_answers_503_so_wechat_retries(shop):
    from scrm import accounts

    deliver, _, queue, outage = shop
    accounts.forget_cache()
    outage.on = True
    assert deliver("o-cold").status == 503 and not _stored() and not queue


def test_the_stale_window_is_a_setting_and_zero_turns_it_off(shop, monkeypatch):
    from scrm.config import reset_settings

    deliver, now, _, outage = shop
    monkeypatch.setenv("SCRM_STALE_ACCOUNT_SECONDS", "0")
    reset_settings()
    try:
        assert deliver("o-before").status == 200
        outage.on = True
        now[0] += 3600
        assert deliver("o-during").status == 503
    finally:
        monkeypatch.delenv("SCRM_STALE_ACCOUNT_SECONDS")
        reset_settings()


def test_stale_secrets_are_served_when_only_ssm_fails(aws, monkeypatch):
    from scrm import bootstrap, secrets

    now = [time.monotonic()]
    monkeypatch.setattr(bootstrap.container(), "monotonic", lambda: now[0])
    secrets.put_account_secrets("shop-oa", {"token": "t0ken1234"})
    assert secrets.account_secrets("shop-oa") == {"token": "t0ken1234"}
    Outage(monkeypatch).on = True
    now[0] += 3600
    assert secrets.account_secrets("shop-oa") == {"token": "t0ken1234"}
