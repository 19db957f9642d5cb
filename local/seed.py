"""Demo data for the local stack: one Official Account and one WeCom corp, registered on both sides.

Secrets are generated at every start (nothing secret lives in the repo) and handed to the sandbox,
which plays WeChat with the same Token and EncodingAESKey.
"""

from __future__ import annotations

import secrets

import requests

from scrm import accounts
from scrm.services import replies
from scrm.services.admin_keys import bootstrap_local_key
from scrm.tenancy import Scope

DEMO_OA = {"account_id": "demo-oa", "app_id": "wx0000000000demo01", "original_id": "gh_demo000000001",
           "name": "Demo Official Account", "account_type": "service"}
DEMO_WECOM = {"account_id": "demo-wecom", "app_id": "ww0000000000demo01", "name": "Demo WeCom corp"}
DEMO_LOGIN_AGENTID = 1000002  # the demo corp's app whose web login staff use for the console
DEMO_ALERTS_AGENTID = 1000003  # the demo corp's app that tells staff of lost customers (its own Secret and token)
DEMO_CONSOLE_STAFF = {"userid": "zhangsan", "name": "张三", "role": "admin"}


def demo_secrets() -> dict:
    """A fresh AppSecret, callback Token and EncodingAESKey (43 letters and digits)."""
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    return {"app_secret": secrets.token_hex(16), "token": secrets.token_hex(8),
            "aes_key": "".join(secrets.choice(alphabet) for _ in range(43))}


def seed_console_staff(sandbox_url: str) -> None:
    """A demo staff member who may sign in to the console with the sandbox's WeCom login page."""
    from scrm.services import console_sessions

    requests.post(f"{sandbox_url}/_sandbox/wecom/{DEMO_WECOM['app_id']}/staff", json={
        "userid": DEMO_CONSOLE_STAFF["userid"], "name": DEMO_CONSOLE_STAFF["name"]}, timeout=5).raise_for_status()
    console_sessions.set_staff_role(Scope.system(DEMO_WECOM["account_id"]), DEMO_WECOM["account_id"],
                                    DEMO_CONSOLE_STAFF["userid"], DEMO_CONSOLE_STAFF["role"])


def seed(stack) -> dict:
    oa_secrets, wecom_secrets = demo_secrets(), demo_secrets()
    login_secret = secrets.token_hex(16)  # the login app's own Secret (its token redeems the login codes)
    alerts_secret = secrets.token_hex(16)  # the alerts app's own Secret (its token alone sends its messages)
    accounts.register(kind="oa", **DEMO_OA, **oa_secrets)
    accounts.register(kind="wecom", **DEMO_WECOM, **wecom_secrets, console_login_secret=login_secret,
                      options={"console_login_agentid": DEMO_LOGIN_AGENTID},
                      agent_secrets={str(DEMO_ALERTS_AGENTID): alerts_secret})
    oa_callback = f"{stack.api_url}/wechat/oa/{DEMO_OA['account_id']}"
    wecom_callback = f"{stack.api_url}/wechat/wecom/{DEMO_WECOM['account_id']}"
    sb = stack.sandbox_url
    requests.post(f"{sb}/_sandbox/oa/apps", json={
        "appid": DEMO_OA["app_id"], "secret": oa_secrets["app_secret"], "token": oa_secrets["token"],
        "aes_key": oa_secrets["aes_key"], "original_id": DEMO_OA["original_id"], "callback_url": oa_callback,
        "encrypt_mode": "aes", "account_type": "service"}, timeout=5).raise_for_status()
    requests.post(f"{sb}/_sandbox/wecom/corps", json={
        "corpid": DEMO_WECOM["app_id"], "secret": wecom_secrets["app_secret"], "token": wecom_secrets["token"],
        "aes_key": wecom_secrets["aes_key"], "callback_url": wecom_callback, "agentid": str(DEMO_LOGIN_AGENTID),
        "agent_secret": login_secret, "apps": {str(DEMO_ALERTS_AGENTID): alerts_secret}},
        timeout=5).raise_for_status()
    seed_console_staff(sb)
    seed_content()
    info = {"demo OA appid": DEMO_OA["app_id"], "demo OA callback": oa_callback,
            "demo WeCom corpid": DEMO_WECOM["app_id"], "demo WeCom callback": wecom_callback}
    info.update(seed_admin())
    return info


def seed_admin() -> dict:
    """The first admin key (created once per start)."""
    return bootstrap_local_key()


def seed_content() -> None:
    """A welcome and one keyword rule, so a demo follow or message gets a visible reply."""
    for account_id, text in ((DEMO_OA["account_id"], "Welcome to the demo Official Account!"),
                             (DEMO_WECOM["account_id"], "Hello from the demo corp!")):
        replies.put_welcome(Scope.system(account_id), account_id, {"welcome": {"type": "text", "content": text}})
    replies.create_rule(Scope.system(DEMO_OA["account_id"]), DEMO_OA["account_id"], {
        "match": "contains", "keywords": ["price"], "priority": 1,
        "reply": {"type": "text", "content": "Our prices: see the menu."}})
