"""Attack: an event for another account reaches this account's URL (a Token or EncodingAESKey shared between
accounts, a misrouted or replayed event): it would be counted for the wrong account.

Defence: the event's ToUserName must be the account's own id: the OA's original id (gh_...), the WeCom corp id.
An OA registered without an original id cannot be checked, so its callbacks are refused (and registration
through the admin API requires it).
"""

from __future__ import annotations

import pytest

from local.sandbox import callbacks as wx
from tests.security.callback_helpers import (
    CORPID,
    follow_xml,
    oa_account,
    oa_cfg,
    service,
    wecom_account,
)


@pytest.mark.parametrize("mode,encrypt", [("safe", "aes"), ("compatible", "aes"), ("plaintext", "plain")])
def test_oa_event_for_another_official_account_is_refused(mode, encrypt):
    account = oa_account(mode)
    svc, inbox, queue = service(account)
    query, body = wx.oa_request(oa_cfg(account, encrypt), follow_xml(to="gh_someoneelse1"), "o-fan-1")
    answer = svc.handle("oa", account.account_id, "POST", query, body)
    assert (answer.status, answer.body) == (403, "forbidden")
    assert not inbox.items and not queue
    query, body = wx.oa_request(oa_cfg(account, encrypt), follow_xml(), "o-fan-1")  # its own id passes
    assert svc.handle("oa", account.account_id, "POST", query, body).status == 200


def test_oa_without_original_id_refuses_callbacks_and_says_why(caplog):
    account = oa_account(original_id=None)
    svc, inbox, queue = service(account)
    query, body = wx.oa_request(oa_cfg(account), follow_xml(), "o-fan-1")
    assert svc.handle("oa", account.account_id, "POST", query, body).status == 403
    assert not inbox.items and not queue
    assert any("original_id" in getattr(r, "reason", "") for r in caplog.records)


def test_wecom_event_naming_another_corp_is_refused():
    account = wecom_account()
    svc, inbox, queue = service(account)
    corp = {"token": account.token, "aes_key": account.aes_key, "corpid": CORPID}
    xml = wx.build_xml({"ToUserName": "wwanothercorp0001", "FromUserName": "sys", "CreateTime": 1, "MsgType": "event",
                        "Event": "change_contact", "ChangeType": "delete_user", "UserID": "zhangsan"})
    query, body = wx.wecom_request(corp, xml.replace("<CreateTime>1<", f"<CreateTime>{svc.clock():.0f}<"))
    assert svc.handle("wecom", account.account_id, "POST", query, body).status == 403
    assert not inbox.items and not queue


def test_registration_requires_the_original_id(aws):
    from chalice.test import Client

    from app import app
    from tests.integration.admin_helpers import make_api

    with Client(app) as client:
        api = make_api(client, ())
        body = {"account_id": "no-gh", "kind": "oa", "app_id": "wx000000000000nogh", "name": "n",
                "app_secret": "abcdef0123456789"}
        refused = api.call("POST", "/accounts", key=api.platform_key, body=body)
        assert refused.status_code == 400 and refused.json_body["error"]["field"] == "original_id"
        assert api.call("GET", "/accounts/no-gh", key=api.platform_key).status_code == 404
