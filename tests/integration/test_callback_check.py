"""POST /accounts/{account_id}/callback-check: WeChat's GET check played against the account's callback URL over
HTTP (the app served as the local stack serves it), for an Official Account (plaintext echostr) and a WeCom corp
(encrypted echostr); a URL that answers something else, or nothing, is reported, never a success."""

from __future__ import annotations

import pytest

from tests.integration.admin_helpers import make_api, register, served


@pytest.fixture
def stage(aws):
    """The app served over HTTP with an Official Account (through make_api) and a WeCom corp, each an admin key."""
    from chalice.test import Client

    from app import app
    from scrm.services import admin_keys
    from scrm.tenancy import Scope

    with Client(app) as client:
        api = make_api(client, ("shop-oa",))
    register("shop-wecom", kind="wecom")
    _, api.keys[("shop-wecom", "admin")] = admin_keys.issue(Scope.system("shop-wecom"), "shop-wecom", role="admin")
    with served(app) as url:
        yield url, api


def check(url: str, key: str, account_id: str):
    import requests

    return requests.post(f"{url}/accounts/{account_id}/callback-check", headers={"Authorization": f"Bearer {key}"},
                         timeout=30)


@pytest.mark.parametrize("account_id", ["shop-oa", "shop-wecom"])
def test_the_check_passes_when_the_callback_answers_wechats_check(stage, account_id):
    url, api = stage
    res = check(url, api.key(account_id), account_id)
    assert res.status_code == 200, res.text
    body = res.json()
    assert body["ok"] is True and body["status"] == 200, body
    assert body["callback_url"] == f"{url}/wechat/{account_id.split('-')[1]}/{account_id}"


def test_a_url_that_answers_something_else_fails_the_check(stage, monkeypatch):
    from scrm.config import reset_settings

    url, api = stage
    monkeypatch.setenv("SCRM_PUBLIC_BASE_URL", f"{url}/not-here")  # the setup's URL is not our callback
    reset_settings()
    body = check(url, api.key("shop-oa"), "shop-oa").json()
    assert body["ok"] is False and body["status"] == 404
    assert body["detail"].startswith("HTTP 404")


def test_a_url_that_does_not_answer_fails_the_check(stage, monkeypatch):
    from local.stack import free_port
    from scrm.config import reset_settings

    url, api = stage
    monkeypatch.setenv("SCRM_PUBLIC_BASE_URL", f"http://127.0.0.1:{free_port()}")  # nothing listens there
    reset_settings()
    body = check(url, api.key("shop-oa"), "shop-oa").json()
    assert body["ok"] is False and body["status"] is None and "did not answer" in body["detail"]


def test_only_an_admin_may_run_the_check_and_it_is_audited(stage):
    from scrm.data import audit_log
    from scrm.tenancy import Scope

    url, api = stage
    res = check(url, api.key("shop-oa", "operator"), "shop-oa")
    assert res.status_code == 403 and res.json()["error"]["code"] == "forbidden"
    assert check(url, api.key("shop-oa"), "shop-oa").status_code == 200
    actions = [e.action for e in audit_log.query(Scope.system("shop-oa"), "shop-oa", limit=20)]
    assert "account.callback_check" in actions
