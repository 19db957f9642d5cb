"""Shared fixtures. Unit tests need none; integration tests get in-process moto with every table and queue."""

from __future__ import annotations

import os

# Set before any scrm import: config is parsed once. Never point tests at real AWS.
os.environ.setdefault("AWS_DEFAULT_REGION", "ap-east-1")
os.environ["AWS_REGION"] = os.environ["AWS_DEFAULT_REGION"]
os.environ["AWS_ACCESS_KEY_ID"] = "testing"
os.environ["AWS_SECRET_ACCESS_KEY"] = "testing"
os.environ.pop("AWS_ENDPOINT_URL", None)
os.environ.setdefault("SCRM_STAGE", "test")
os.environ.setdefault("WECHAT_RETRY_BACKOFF", "0.01")
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "WeChatSCRM")
os.environ["POWERTOOLS_TRACE_DISABLED"] = "true"  # no X-Ray daemon here: never send segments

import pytest  # noqa: E402


def reset_layer_caches() -> None:
    from scrm import accounts, aws, queues
    from scrm.gateway import tokens

    accounts.forget_cache()
    aws.reset_clients()
    queues.queue_url.cache_clear()
    tokens.forget_memory()
    from scrm import idempotency

    idempotency.persistence_layer.cache_clear()


@pytest.fixture
def aws():
    """Fresh in-process moto with every table and queue created from the shared definitions."""
    from moto import mock_aws

    from local.moto_atomic import install

    install()
    with mock_aws():
        reset_layer_caches()
        from scrm.data.registry import ensure_tables
        from scrm.queues import ensure_queues

        ensure_tables()
        ensure_queues()
        yield
        reset_layer_caches()


@pytest.fixture
def sandbox():
    """A WeChat sandbox on a free port, in this process."""
    from local.sandbox import SandboxServer

    server = SandboxServer(port=0).start()
    yield server
    server.stop()


def _point_gateways_at(monkeypatch, url: str) -> None:
    from scrm.config import reset_settings

    monkeypatch.setenv("WECHAT_OA_BASE_URL", f"{url}/oa")
    monkeypatch.setenv("WECOM_BASE_URL", f"{url}/wecom")
    reset_settings()


@pytest.fixture
def oa_account(aws, sandbox, monkeypatch):
    """A service OA registered in our registry (secrets in moto SSM) and in the sandbox, gateways pointed there."""
    from local.sandbox import SandboxClient
    from local.stack import demo_secrets
    from scrm import accounts

    _point_gateways_at(monkeypatch, sandbox.url)
    s = demo_secrets()
    account = accounts.register("test-oa", "oa", "wx00000000test0001", "Test OA", original_id="gh_test00000001",
                                account_type="service", **s)
    SandboxClient(sandbox.url).register_oa(account.app_id, s["app_secret"], s["token"], s["aes_key"],
                                           original_id="gh_test00000001", account_type="service")
    yield account
    from scrm.config import reset_settings

    reset_settings()


@pytest.fixture
def wecom_account(aws, sandbox, monkeypatch):
    from local.sandbox import SandboxClient
    from local.stack import demo_secrets
    from scrm import accounts

    _point_gateways_at(monkeypatch, sandbox.url)
    s = demo_secrets()
    account = accounts.register("test-wecom", "wecom", "ww00000000test0001", "Test corp", **s)
    SandboxClient(sandbox.url).register_wecom(account.app_id, s["app_secret"], s["token"], s["aes_key"])
    yield account
    from scrm.config import reset_settings

    reset_settings()
