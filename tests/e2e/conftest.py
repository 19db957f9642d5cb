"""End-to-end: the local stack (moto server, sandbox, API, dispatcher) in a subprocess, driven over HTTP.

The `stack` fixture lives in tests/local_stack.py (shared with tests/browser: one stack per test session)."""

from tests.local_stack import Stack  # noqa: F401  (the type the tests here are handed)
