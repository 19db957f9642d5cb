"""The local stack comes up whole: API, sandbox, dispatcher, demo accounts and their admin keys."""

import pytest
import requests

from tests.local_stack import sandbox_clock_kept

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


def test_every_test_starts_on_the_machines_time_whatever_the_last_one_did(stack):
    # A test that moved the sandbox an hour on and left it there dated later events tomorrow after 23:00 Beijing
    # time: the figures of "today" came out empty in the tests that ran after it (tests/local_stack.stack).
    assert stack.sandbox.clock()["offset"] == pytest.approx(0, abs=1e-6)
    with sandbox_clock_kept(stack.sandbox):
        stack.sandbox.advance(3600)
        with sandbox_clock_kept(stack.sandbox):
            stack.sandbox.advance(86400)
        assert stack.sandbox.clock()["offset"] == 3600
    assert stack.sandbox.clock()["offset"] == pytest.approx(0, abs=1e-6)
