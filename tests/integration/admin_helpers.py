"""Helpers shared by the admin API tests: a chalice test client with keys for a few accounts."""

from __future__ import annotations

import json
from dataclasses import dataclass, field


def demo_secrets(account_id: str = "") -> dict:
    # one callback Token per account: registration refuses a Token another account uses
    return {"app_secret": "s3cr3t-app-secret-value", "token": "tok" + account_id.replace("-", "")[:24] + "12345",
            "aes_key": "A" * 43}


@dataclass
class AdminApi:
    client: object
    platform_key: str
    keys: dict = field(default_factory=dict)  # (account_id, role) -> key

    def call(self, method: str, path: str, key: str | None = None, body=None, headers: dict | None = None):
        h = {"Content-Type": "application/json", **(headers or {})}
        if key is not None:
            h["Authorization"] = f"Bearer {key}"
        raw = body if isinstance(body, str | bytes) or body is None else json.dumps(body)
        return getattr(self.client.http, method.lower())(path, headers=h, body=raw)

    def key(self, account_id: str, role: str = "admin") -> str:
        return self.keys[(account_id, role)]


def register(account_id: str, kind: str = "oa") -> None:
    from scrm import accounts

    accounts.register(account_id, kind, f"wx{account_id.replace('-', '')[:14]:0<14}", f"Account {account_id}",
                      original_id="gh_test" if kind == "oa" else None, **demo_secrets(account_id))


def make_api(client, account_ids=("acct-a", "acct-b")) -> AdminApi:
    from scrm.services import admin_keys
    from scrm.tenancy import Scope

    platform = admin_keys.bootstrap_platform_key("tests")["key"]
    api = AdminApi(client=client, platform_key=platform)
    for account_id in account_ids:
        register(account_id)
        for role in ("read-only", "operator", "admin"):
            _, key = admin_keys.issue(Scope.system(account_id), account_id, role=role, name=f"test {role}")
            api.keys[(account_id, role)] = key
    return api


class served:
    """The app served by chalice.local on a free port, in a thread (as the local stack serves it)."""

    def __init__(self, app):
        self.app = app

    def __enter__(self) -> str:
        import threading

        from chalice.config import Config

        from functions.gateway_answers import local_server
        from local.stack import free_port

        port = free_port()
        config = Config.create(chalice_stage="local", app_name="wechat-scrm")
        self.server = local_server(self.app, config, "127.0.0.1", port)  # as the local stack serves it
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{port}"

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server.server_close()
