"""Attack / misconfiguration: redeem a staff member's WeCom login code with the corp's customer-contact token.

WeCom redeems a login code only with the access token of the self-built app whose login made it (the app's
AgentID and its own Secret): "跳转的域名须完全匹配access_token对应应用的可信域名,否则会返回50001错误"
(https://developer.work.weixin.qq.com/document/path/98177); every app has its own token
(https://developer.work.weixin.qq.com/document/path/91039). The sandbox answers any other token 50001. On the code
before this fix the console redeemed codes with the customer-contact token, so every QR sign-in here failed.
"""

from __future__ import annotations

import json

import pytest

from tests.security.console_helpers import AGENTID, give_role, login_secret, set_cookie


def _account(account_id: str):
    from scrm import accounts

    accounts.forget_cache()
    return accounts.get(account_id)


def test_the_console_redeems_the_code_with_the_login_apps_token(console):
    give_role("corp-a", "zhangsan")
    session, _ = console.staff_sign_in("corp-a", "zhangsan")  # the sandbox refuses any other token
    me = json.loads(console.call("GET", "/console/session", session=session).body)
    assert me["principal"] == "wecom:corp-a:zhangsan"


def test_the_customer_contact_token_cannot_redeem_a_login_code(console):
    from scrm.errors import WeChatError
    from scrm.gateway import gateway_for, login_app_for

    account = _account("corp-a")
    code = console.login_code("corp-a", "zhangsan")
    with pytest.raises(WeChatError) as refused:
        gateway_for(account).get("auth/getuserinfo", code=code)
    assert refused.value.errcode == 50001
    assert login_app_for(account).login_user(code) == {"errcode": 0, "errmsg": "ok", "userid": "zhangsan"}


def test_the_two_apps_tokens_are_cached_apart(console):
    from scrm.gateway import gateway_for, login_app_for

    account = _account("corp-a")
    contact, login = gateway_for(account), login_app_for(account)
    assert contact.token_key() != login.token_key()
    assert f":agent-{AGENTID}:" in login.token_key() and ":contact:" in contact.token_key()
    assert contact.access_token() != login.access_token()
    for secret in (account.app_secret, login_secret("corp-a")):  # keys hold a fingerprint, never the secret
        assert secret[:6] not in contact.token_key() + login.token_key()


def test_a_login_secret_that_is_the_customer_contact_secret_opens_no_session(console):
    """An admin pasting the customer-contact Secret as the login app's: WeCom (the sandbox) answers 50001; the
    console opens nothing and answers a configuration error (the cause is logged, not answered)."""
    from scrm import accounts, secrets

    give_role("corp-a", "zhangsan")
    account = _account("corp-a")
    secrets.put_account_secrets("corp-a", {accounts.LOGIN_SECRET: account.app_secret})
    accounts.forget_cache()
    _, bound = console.start_login("corp-a")
    res = console.callback(console.login_code("corp-a", "zhangsan"), bound, bound)
    assert res.status_code == 503 and "scrm_session" not in set_cookie(res)
    assert json.loads(res.body)["error"]["code"] == "config_error"


def test_a_corp_without_a_login_secret_cannot_start_the_qr_login(console):
    from scrm import accounts
    from tests.integration.admin_helpers import demo_secrets

    accounts.register("corp-c", "wecom", "ww0000000000corpc1", "Corp C", options={"console_login_agentid": AGENTID},
                      **demo_secrets("corp-c"))
    res = console.call("GET", "/console/wecom-login?account_id=corp-c")
    assert res.status_code == 400 and "console_login_secret" in json.loads(res.body)["error"]["message"]
