"""The browser-test harness (fixtures imported by tests/browser/conftest.py and by browser tests elsewhere,
e.g. tests/security): the console in headless Chromium (Debian's `chromium` package, installed by `make setup`; no
downloaded browser build), driven by Playwright over the local stack (`stack`, tests/local_stack.py).

- `browser`: one Chromium per session. Missing Chromium FAILS every test here with the reason: these tests run
  in CI and are never skipped.
- `page`: a fresh context and page per test (no cookie or storage shared between tests), recording dialogs,
  page errors and Content-Security-Policy violations; when the test ends it saves build/screenshots/<test>.png.
- `signed_in(page, key)`: signs in through the sign-in form and waits for the shell.

Waits are for conditions (Playwright's auto-waiting expectations, with a generous hang-detector timeout), never
for a length of time: a loaded machine makes the browser slower, not the test false.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "build" / "screenshots"
CHROMIUM = os.environ.get("SCRM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]
HANG = 120_000  # ms: a hang detector for one step on a loaded 2-core machine, not a speed requirement

# Recorded in every page before any of its scripts run (an init script is not subject to the page's CSP).
RECORDER = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__csp.push({directive: e.violatedDirective, blocked: e.blockedURI, sample: e.sample});
});
"""


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not os.path.isfile(CHROMIUM) or not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"Chromium is missing at {CHROMIUM}: the browser tests need Debian's chromium package "
                    "(`make setup` installs it: apt-get install -y chromium). They are never skipped.",
                    pytrace=False)
    return CHROMIUM


@pytest.fixture(scope="session")
def browser(chromium_path):
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("Playwright for Python is missing: pip install -r requirements-dev.txt", pytrace=False)
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS,
                                     timeout=HANG)
        yield chromium
        chromium.close()


def _screenshot_name(nodeid: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid.split("::", 1)[-1]).strip("_")[:150] + ".png"


@pytest.fixture
def page(browser, stack, request):
    from playwright.sync_api import expect

    expect.set_options(timeout=HANG)
    context = browser.new_context(base_url=stack.api, locale="zh-CN", timezone_id="Asia/Shanghai",
                                  viewport={"width": 1280, "height": 900}, accept_downloads=True)
    context.set_default_timeout(HANG)
    context.set_default_navigation_timeout(HANG)
    context.add_init_script(RECORDER)
    pg = context.new_page()
    pg.dialogs, pg.errors = [], []

    def on_dialog(dialog):
        pg.dialogs.append(dialog.message)
        dialog.dismiss()

    pg.on("dialog", on_dialog)
    pg.on("pageerror", lambda exc: pg.errors.append(str(exc)))
    pg.csp_violations = lambda: pg.evaluate("window.__csp || []")
    yield pg
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    try:
        pg.screenshot(path=str(SCREENSHOTS / _screenshot_name(request.node.nodeid)), full_page=True)
    finally:
        context.close()


def signed_in(page, key: str):
    """Sign in through the form with an admin key; returns the page once the shell (account picker) shows."""
    from playwright.sync_api import expect

    page.goto("/console")
    page.fill("#signin-key", key)
    page.click("#signin-submit")
    expect(page.locator("#account-picker")).to_be_visible()
    return page
