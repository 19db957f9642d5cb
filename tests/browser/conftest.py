"""Browser tests (headless Chromium over the local stack): the fixtures are in tests/browser/harness.py."""

from tests.browser.harness import browser, chromium_path, page  # noqa: F401
