"""Giving the test corp a self-built app (自建应用) that may send app messages: the app in WeCom (the sandbox, its
own Secret and token) and its Secret on the account (`agent_secrets`, SSM through the admin service). Loss alerts
and reassignment notices go out as that app, with its token; WeCom refuses the customer-contact token (301002)."""

from __future__ import annotations

import secrets

from local.sandbox import SandboxClient

ALERTS_AGENTID = 1000002


def give_app(account, sandbox_url: str, agentid: int = ALERTS_AGENTID) -> str:
    from scrm import accounts
    from scrm.services import admin_accounts
    from scrm.tenancy import Scope

    secret = secrets.token_hex(16)
    SandboxClient(sandbox_url).register_wecom(account.app_id, account.app_secret, apps={str(agentid): secret})
    admin_accounts.update(Scope.system(account.account_id), account.account_id, "https://scrm.example.com",
                          agent_secrets={str(agentid): secret})
    accounts.forget_cache()
    return secret
