"""Misconfiguration / confused deputy: a WeCom app message (发送应用消息, `message/send`) sent with the corp's
customer-contact token.

WeCom gives every app its own Secret and token ("每个应用有独立的secret,获取到的access_token只能本应用使用",
https://developer.work.weixin.qq.com/document/path/91039) and refuses message/send whose `agentid` is not the
app the token was fetched for: 301002 无权限操作指定的应用 ("发消息接口指定了参数 agentid: 14, 但使用的 access_token
是通过应用 agentid: 100032 生成的调用凭证, 这种就会报该错误码", https://developer.work.weixin.qq.com/document/path/90313;
errmsg "not allow operate another agent with this accesstoken"). The sandbox answers the same. On the code before
this fix loss alerts (and reassignment notices) went out with the customer-contact token, so every alert here was
refused and counted failed: nobody was ever told of a lost customer.
"""

from __future__ import annotations

import secrets

import pytest

from local.sandbox import SandboxClient
from scrm import bootstrap
from scrm.services import events
from scrm.tenancy import Scope
from tests.integration.test_attribution import sqs_event, wecom
from tests.timing import Clock

ALERTS_APP, OTHER_APP = 1000005, 1000006


@pytest.fixture
def corp(wecom_account, sandbox, monkeypatch):
    """The test corp with two self-built apps in WeCom (the sandbox); the account holds the alerts app's Secret,
    set through the admin service (SSM)."""
    from scrm import accounts
    from scrm.services import admin_accounts

    monkeypatch.setattr(bootstrap.container(), "clock", Clock())
    sb, a = SandboxClient(sandbox.url), wecom_account.account_id
    app_secrets = {str(ALERTS_APP): secrets.token_hex(16), str(OTHER_APP): secrets.token_hex(16)}
    sb.register_wecom(wecom_account.app_id, wecom_account.app_secret, apps=app_secrets)
    admin_accounts.update(Scope.system(a), a, "https://scrm.example.com",
                          agent_secrets={str(ALERTS_APP): app_secrets[str(ALERTS_APP)]})
    accounts.forget_cache()
    return sb, accounts.get(a), app_secrets


def _message(touser: str) -> dict:
    return {"touser": touser, "agentid": ALERTS_APP, "msgtype": "text", "text": {"content": "客户流失提醒"}}


def test_a_loss_alert_goes_out_with_the_alert_apps_own_token(corp):
    from scrm.services.staff import alerts

    sb, account, _ = corp
    a, staff, ext = account.account_id, "sec-alert-staff", "wm-sec-alert-1"
    sb.wecom_staff(account.app_id, staff)
    alerts.put_settings(Scope.system(a), a, {"enabled": True, "agentid": ALERTS_APP})
    t = bootstrap.container().now()
    assert events.process_batch(sqs_event(wecom(a, "del_follow_user", staff, ext, t))) == {"batchItemFailures": []}
    mine = [m for m in sb.wecom_app_messages(account.app_id)["messages"] if m["touser"] == [staff]]
    assert len(mine) == 1 and mine[0]["agentid"] == ALERTS_APP  # the contact token was refused: 0 on the old code
    counts = bootstrap.staff_store().alert_counts(Scope.system(a), a, "2000-01-01", "2100-01-01")
    assert sum(d["failed"] for d in counts.values()) == 0


def test_message_send_with_the_customer_contact_token_is_refused_301002(corp):
    from scrm.errors import WeChatError
    from scrm.gateway import gateway_for

    sb, account, _ = corp
    sb.wecom_staff(account.app_id, "sec-contact-staff")
    with pytest.raises(WeChatError) as refused:
        gateway_for(account).post("message/send", _message("sec-contact-staff"))
    assert refused.value.errcode == 301002
    assert not hasattr(gateway_for(account), "send_app_message")  # the contact gateway cannot send app messages
    assert not [m for m in sb.wecom_app_messages(account.app_id)["messages"] if m["touser"] == ["sec-contact-staff"]]


def test_another_apps_token_cannot_send_as_the_alerts_app(corp):
    from dataclasses import replace

    from scrm.errors import WeChatError
    from scrm.gateway import gateway_for

    sb, account, app_secrets = corp
    sb.wecom_staff(account.app_id, "sec-other-staff")
    # an admin pasted the other app's Secret as the alerts app's: its token is the other app's
    wrong = replace(account, agent_secrets={str(ALERTS_APP): app_secrets[str(OTHER_APP)]})
    with pytest.raises(WeChatError) as refused:
        gateway_for(wrong).as_app(ALERTS_APP).send_app_message(["sec-other-staff"], {
            "msgtype": "text", "text": {"content": "客户流失提醒"}})
    assert refused.value.errcode == 301002
    assert not [m for m in sb.wecom_app_messages(account.app_id)["messages"] if m["touser"] == ["sec-other-staff"]]


def test_the_apps_token_is_cached_apart_from_the_contact_token(corp):
    from scrm.gateway import gateway_for

    _, account, app_secrets = corp
    contact = gateway_for(account)
    app = contact.as_app(ALERTS_APP)
    assert f":agent-{ALERTS_APP}:" in app.token_key() and ":contact:" in contact.token_key()
    assert app.access_token() != contact.access_token()
    for secret in (account.app_secret, app_secrets[str(ALERTS_APP)]):  # a fingerprint, never the secret
        assert secret[:6] not in contact.token_key() + app.token_key()
