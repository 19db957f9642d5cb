"""A campaign's follow code (issue 15: "not following yet" shows the follow QR): `eligibility.follow_channel` names
one of the account's oa_qr channels, checked when the campaign is created or changed, and the public route
`GET /u/{account_id}/campaigns/{campaign_id}/follow-qr.svg` serves that channel's code as SVG. On the in-memory
twins (campaigns and channels) through the chalice test client; the page showing it is tests/browser/."""

from __future__ import annotations

import json

import pytest

from scrm import accounts, bootstrap
from scrm.accounts import Account
from scrm.errors import UnknownAccount, ValidationError
from scrm.services import campaigns as svc
from scrm.stores.campaigns import MemoryCampaignStore
from scrm.stores.channels import MemoryChannelStore
from scrm.stores.channels.base import new_channel
from scrm.tenancy import Scope
from tests.timing import Clock

ACCT = "acme"
START = 1_750_000_000.0
SCOPE = Scope.system(ACCT)
POSTER_URL = "http://weixin.qq.com/q/02follow-acme"


@pytest.fixture
def world(monkeypatch):
    campaigns, channels = MemoryCampaignStore(), MemoryChannelStore()
    bootstrap.reset(clock=Clock(START), campaign_store=campaigns, channel_store=channels)

    def account(account_id, **_):
        if account_id not in (ACCT, "other"):
            raise UnknownAccount(account_id)
        return Account(account_id, "oa", "wx0000000000000001", account_id.title())

    monkeypatch.setattr(accounts, "get", account)
    for account_id, channel_id, kind, url in ((ACCT, "poster", "oa_qr", POSTER_URL),
                                              (ACCT, "store-way", "wecom_contact_way", None),
                                              ("other", "theirs", "oa_qr", "http://weixin.qq.com/q/other")):
        channels.put_channel(Scope.system(account_id), new_channel(
            account_id, {"kind": kind, "name": channel_id}, channel_id=channel_id, kind=kind, name=channel_id,
            group="g", status="active", scene=channel_id, url=url, version=1,
            qr_code="https://wework.example/qr.png" if kind != "oa_qr" else None))
    yield campaigns
    bootstrap.reset()


def body(cid="spring", follow_channel="poster", **over) -> dict:
    eligibility = {"must_follow": True} | ({"follow_channel": follow_channel} if follow_channel else {})
    b = {"campaign_id": cid, "name": "Spring", "starts_at": int(START - 60), "ends_at": int(START + 3600),
         "status": "active", "eligibility": eligibility,
         "prizes": [{"prize_id": "ty", "name": "Thanks", "kind": "thanks", "weight": 1}]}
    return b | over


@pytest.fixture
def http(world):
    from chalice.test import Client

    from app import app

    with Client(app) as client:
        yield client


# ---- validation on create and update


def test_the_follow_channel_is_kept_and_shown_in_the_campaign(world):
    created = svc.create_campaign(SCOPE, ACCT, body())
    assert created["eligibility"]["follow_channel"] == "poster"
    assert svc.public_campaign(ACCT, "spring")["api"]["follow_qr"] == "/u/acme/campaigns/spring/follow-qr.svg"
    svc.create_campaign(SCOPE, ACCT, body("plain", follow_channel=None))
    assert svc.get_campaign(SCOPE, ACCT, "plain")["eligibility"]["follow_channel"] is None
    assert "follow_qr" not in svc.public_campaign(ACCT, "plain")["api"]


@pytest.mark.parametrize("channel_id, says", [
    ("nope", "no channel 'nope'"),  # unknown
    ("theirs", "no channel 'theirs'"),  # another account's channel is unknown here
    ("store-way", "wecom_contact_way"),  # a WeCom contact way is no follow code of the OA
])
def test_an_unknown_or_wrong_kind_follow_channel_is_refused_naming_the_field(world, channel_id, says):
    with pytest.raises(ValidationError) as refused:
        svc.create_campaign(SCOPE, ACCT, body(follow_channel=channel_id))
    assert refused.value.field == "eligibility.follow_channel" and says in str(refused.value)
    assert svc.list_campaigns(SCOPE, ACCT) == []  # nothing created

    svc.create_campaign(SCOPE, ACCT, body(follow_channel=None))
    with pytest.raises(ValidationError) as refused:
        svc.update_campaign(SCOPE, ACCT, "spring", body(follow_channel=channel_id))
    assert refused.value.field == "eligibility.follow_channel"
    campaign = svc.get_campaign(SCOPE, ACCT, "spring")
    assert campaign["version"] == 1 and campaign["eligibility"]["follow_channel"] is None  # nothing changed
    assert svc.update_campaign(SCOPE, ACCT, "spring", body())["eligibility"]["follow_channel"] == "poster"


def test_a_blank_or_oversized_follow_channel_is_a_model_error_with_its_path(world):
    for bad in ("  ", "x" * 129, 7):
        with pytest.raises(ValidationError) as refused:
            svc.create_campaign(SCOPE, ACCT, body(follow_channel=bad))
        assert refused.value.field == "eligibility.follow_channel"


def test_the_admin_api_answers_400_with_the_field_path(world, http):
    from datetime import UTC, datetime

    from scrm.services import admin_keys
    from scrm.stores.accounts import MemoryAccountStore
    from scrm.stores.accounts.base import AccountRow
    from scrm.stores.admin_keys import MemoryAdminKeyStore
    from scrm.stores.audit import MemoryAuditStore

    account_store, stamp = MemoryAccountStore(), datetime.fromtimestamp(START, UTC)
    account_store.save_account(AccountRow(ACCT, "oa", "wx0000000000000001", "Acme", stamp, stamp))
    bootstrap.reset(clock=Clock(START), campaign_store=world, channel_store=bootstrap.channel_store(),
                    account_store=account_store, admin_key_store=MemoryAdminKeyStore(), audit_store=MemoryAuditStore())
    key = admin_keys.issue(SCOPE, ACCT, role="operator", name="follow")[1]
    res = http.http.post(f"/accounts/{ACCT}/campaigns", body=json.dumps(body(follow_channel="store-way")),
                         headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    assert res.status_code == 400, res.body
    assert res.json_body["error"]["field"] == "eligibility.follow_channel"


# ---- the public route


def test_the_route_serves_the_channels_code_as_svg(world, http):
    svc.create_campaign(SCOPE, ACCT, body())
    res = http.http.get(f"/u/{ACCT}/campaigns/spring/follow-qr.svg")
    assert res.status_code == 200
    headers = _headers(res)
    assert headers["content-type"] == "image/svg+xml"
    assert headers["cache-control"] == "public, max-age=300"
    assert headers["x-content-type-options"] == "nosniff"
    svg = res.body.decode("utf-8")
    assert svg.startswith("<?xml") and "<svg" in svg and "<script" not in svg
    # the very code the channel's own QR route renders (segno, from the channel's url)
    from scrm.services.channels import qr_image

    assert svg == qr_image(SCOPE, ACCT, "poster", "svg", svc.page.FOLLOW_QR_SCALE)[0]


def _headers(res) -> dict:
    return {k.lower(): v for k, v in res.headers.items()}


def _error(res) -> dict:
    headers = _headers(res)
    assert headers["content-type"].startswith("application/json")
    assert headers["cache-control"] == "no-store"
    return res.json_body["error"]


def test_an_unknown_or_draft_campaign_is_404_unknown_campaign(world, http):
    res = http.http.get(f"/u/{ACCT}/campaigns/nope/follow-qr.svg")
    assert res.status_code == 404 and _error(res)["code"] == "unknown_campaign"
    svc.create_campaign(SCOPE, ACCT, body("draft-one", status="draft"))
    res = http.http.get(f"/u/{ACCT}/campaigns/draft-one/follow-qr.svg")
    assert res.status_code == 404 and _error(res)["code"] == "unknown_campaign"
    res = http.http.get("/u/nobody/campaigns/spring/follow-qr.svg")
    assert res.status_code == 404 and _error(res)["code"] == "unknown_account"


def test_a_campaign_without_a_follow_channel_is_404_no_follow_channel(world, http):
    svc.create_campaign(SCOPE, ACCT, body(follow_channel=None))
    res = http.http.get(f"/u/{ACCT}/campaigns/spring/follow-qr.svg")
    assert res.status_code == 404
    error = _error(res)
    assert error["code"] == "no_follow_channel" and "spring" in error["message"]
