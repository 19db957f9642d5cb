"""The local stack comes up whole: API, sandbox, dispatcher, demo accounts and their admin keys."""

import pytest
import requests

pytestmark = pytest.mark.e2e


def test_stack_is_up_with_demo_accounts(stack):
    assert requests.get(f"{stack.api}/health", timeout=5).json() == {"status": "ok"}
    status = requests.get(f"{stack.control}/status", timeout=5).json()
    assert "handle_events" in status["queues"]
    assert stack.info["demo OA callback"].endswith("/wechat/oa/demo-oa")
    assert stack.info["demo WeCom callback"].endswith("/wechat/wecom/demo-wecom")
    assert stack.sandbox.clock()


def test_demo_account_reaches_the_sandbox_through_the_gateway(stack):
    # the admin key of the demo OA can read its own account (secrets masked)
    res = stack.admin("demo-oa").get(f"{stack.api}/accounts/demo-oa", timeout=10)
    assert res.status_code == 200, res.text
    body = res.json()
    assert body.get("app_id") == stack.info["demo OA appid"] or "demo-oa" in res.text
