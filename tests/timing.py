"""Time in tests without depending on the machine's speed (see the conventions in tests/conftest.py)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class Clock:
    """A clock the test moves: `clock()` is "now", `advance(s)` steps it. Fixed at creation, never ticking."""

    def __init__(self, start: float | None = None):
        # read once, when the test starts (never at import): "now" is then the same for every step of the test
        self.now = float(time.time() if start is None else start)

    def __call__(self) -> float:
        return self.now

    def time(self) -> float:  # stands in for the `time` module where code calls time.time()
        return self.now

    def advance(self, seconds: float) -> float:
        self.now += seconds
        return self.now


def wait_until(condition: Callable[[], object], *, what: str, limit: float = 120.0, poll: float = 0.01):
    """Wait for `condition()` to be truthy and return it. `limit` only stops a test that would otherwise hang:
    it is far above any loaded machine, so reaching it is a failure of the code, not of the machine."""
    give_up = time.monotonic() + limit
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > give_up:
            raise AssertionError(f"still waiting after {limit:.0f} s for {what}")
        threading.Event().wait(poll)


class LostAnswers:
    """What `answer_lost` set up: `left` calls still to lose, `held` calls not yet delivered (land="later")."""

    def __init__(self, path: str, times: int, after: int, land: str):
        if land not in ("now", "later"):
            raise ValueError("land must be 'now' or 'later'")
        self.path, self.left, self.skip, self.landing = path, times, after, land
        self.held: list[tuple] = []
        self.lock = threading.Lock()

    def land(self) -> list:
        """Deliver the held calls now (the server acts on them; nobody hears the answers)."""
        with self.lock:
            held, self.held = self.held, []
        return [send() for send in held]


def answer_lost(monkeypatch, path: str, times: int = 1, *, after: int = 0, land: str = "now") -> LostAnswers:
    """Of the HTTP calls whose URL contains `path`, let `after` through, then lose the answer of the next
    `times`: the caller sees requests.ReadTimeout, as when WeChat acted but answered too late. With
    land="now" the server acts before the caller hears the timeout; with land="later" it acts only when the
    test calls `.land()` (WeChat acting after we gave up). Deterministic, unlike a short timeout raced
    against a slow server."""
    import requests

    real = requests.Session.request
    lost = LostAnswers(path, times, after, land)

    def request(self, method, url, *args, **kwargs):
        with lost.lock:
            mine = path in url and lost.left > 0
            if mine and lost.skip > 0:
                lost.skip, mine = lost.skip - 1, False
            if mine:
                lost.left -= 1
                if lost.landing == "later":
                    lost.held.append(lambda: real(self, method, url, *args, **kwargs))
        if not mine:
            return real(self, method, url, *args, **kwargs)
        if lost.landing == "now":
            real(self, method, url, *args, **kwargs)
        raise requests.ReadTimeout(f"(test) the answer from {url} was lost")

    monkeypatch.setattr(requests.Session, "request", request)
    return lost
