"""Shared fixtures, and the conventions every test in this suite keeps.

Unit tests need no fixture; integration tests get in-process moto with every table and queue (`aws`), a WeChat
sandbox (`sandbox`) and registered accounts (`oa_account`, `wecom_account`).

Conventions (a test that breaks one is a flaky test, whatever it does today):

- **Clocks are injected, never raced.** A test fixes "now" once (`tests.timing.Clock`, or a `now=`/`clock=`
  argument the code already takes) and passes it to everything it compares with; nothing reads the wall clock
  at import (`NOW = time.time()` at module level is banned), and no assertion depends on how long the machine
  took. No `time.sleep` to wait for something: wait for the condition (`tests.timing.wait_until`). A timeout
  is simulated (`tests.timing.answer_lost`), not provoked with a short timeout against a slow server.
- **Order is random.** pytest-randomly shuffles modules and the tests in them on every run; the seed is printed
  at the start and the end (`-p randomly --randomly-seed=N` replays an order, `-p no:randomly` turns it off to
  bisect). A test sets up everything it reads: no test relies on another's data, and the autouse
  `fresh_process_state` fixture forgets every per-container cache and singleton before and after each test.
- **No deadlines.** The hypothesis profile below has `deadline=None` and no `too_slow` health check, for every
  test: a loaded machine makes a property slower, never false. pytest-timeout's per-test limit (pyproject) is a
  hang detector, an order of magnitude above the slowest test under load, never an assertion.
"""

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
from hypothesis import HealthCheck  # noqa: E402
from hypothesis import settings as hypothesis_settings  # noqa: E402

# Loaded before any test module is imported, so every @settings(...) inherits it.
hypothesis_settings.register_profile("scrm", deadline=None, suppress_health_check=[HealthCheck.too_slow],
                                     print_blob=True)
hypothesis_settings.load_profile("scrm")

# headless Chromium (tests/browser, and browser tests of an attack in tests/security): one browser per session;
# the local stack over HTTP (tests/e2e, tests/browser): one stack per session
from tests.browser.harness import browser, chromium_path, page  # noqa: E402, F401
from tests.local_stack import running_stack, stack  # noqa: E402, F401


def _order_line(config) -> str:
    seed = getattr(config.option, "randomly_seed", None)
    if seed is None or not config.pluginmanager.hasplugin("randomly"):
        return "test order: file order (pytest-randomly not active; pip install -r requirements-dev.txt)"
    return f"test order: random, --randomly-seed={seed} (replay: python -m pytest -p randomly --randomly-seed={seed})"


def pytest_sessionstart(session):
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:  # printed even under -q, where pytest hides the report header
        reporter.write_line(_order_line(session.config))


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    terminalreporter.write_line(_order_line(config))


def reset_layer_caches() -> None:
    """Forget everything a warm container keeps between invocations (tests are separate invocations)."""
    from scrm import bootstrap
    from scrm.config import reset_settings, settings

    bootstrap.reset()  # the composition root: every slot and per-container cache it holds
    reset_settings()  # the process's parsed environment (a test may have changed it)
    settings()  # parsed now, outside any chalice test Client (which patches os.environ with a stage's variables)


@pytest.fixture(autouse=True)
def fresh_process_state():
    """Every test starts as a cold container and leaves nothing behind for the next, whatever the order."""
    reset_layer_caches()
    yield
    reset_layer_caches()


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

    server = SandboxServer(port=0, frozen_clock=True).start()
    yield server
    server.stop()


def _point_gateways_at(monkeypatch, url: str) -> None:
    from scrm.config import reset_settings

    monkeypatch.setenv("WECHAT_OA_BASE_URL", f"{url}/oa")
    monkeypatch.setenv("WECOM_BASE_URL", f"{url}/wecom")
    monkeypatch.setenv("WECHAT_OAUTH_BASE_URL", f"{url}/open")
    reset_settings()


@pytest.fixture
def oa_account(aws, sandbox, monkeypatch):
    """A service OA registered in our registry (secrets in moto SSM) and in the sandbox, gateways pointed there."""
    from local.sandbox import SandboxClient
    from local.seed import demo_secrets
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
    from local.seed import demo_secrets
    from scrm import accounts

    _point_gateways_at(monkeypatch, sandbox.url)
    s = demo_secrets()
    account = accounts.register("test-wecom", "wecom", "ww00000000test0001", "Test corp", **s)
    SandboxClient(sandbox.url).register_wecom(account.app_id, s["app_secret"], s["token"], s["aes_key"])
    yield account
    from scrm.config import reset_settings

    reset_settings()


@pytest.fixture
def console(aws, sandbox, monkeypatch):
    """The app with console sign-in ready: admin keys, two WeCom corps with staff, an injected clock
    (tests/security/console_helpers.py)."""
    from tests.security.console_helpers import console_bench

    yield from console_bench(sandbox, monkeypatch)
