"""Browser tests (headless Chromium over the local stack): the fixtures (`browser`, `page`) are in
tests/browser/harness.py, registered once for the whole suite by tests/conftest.py (one browser per session)."""
