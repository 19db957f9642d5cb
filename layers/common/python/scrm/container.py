"""The container a warm Lambda keeps between invocations, and the `@slot` that declares what it holds.

A leaf module (it imports nothing of ours), so that the modules everything imports (scrm.config, scrm.observability,
scrm.aws) can keep their objects in slots without importing the composition root, scrm.bootstrap, whose factories
name every store: infra/access.py reads a module's imports as what it may run, and those would grant every store's
actions to every function. scrm.bootstrap re-exports all of this; see it for how slots are used.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from typing import Any


class TtlCache:
    """A per-container cache whose entries expire `seconds` after they were put (thread-safe).

    `clock` is monotonic by default: a cache must not live longer because the wall clock was stepped back.
    """

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic):
        self.seconds = seconds
        self.clock = clock
        self._lock = threading.Lock()
        self._items: dict[Any, tuple[float, Any, float]] = {}  # key -> (fresh until, value, put at)

    def get(self, key, default=None):
        with self._lock:
            hit = self._items.get(key)
            if hit is None or hit[0] <= self.clock():
                return default
            return hit[1]

    def stale(self, key) -> tuple[Any, float] | None:
        """(value, seconds since it was put) whether or not it has expired: for serving a stale copy when the
        source is down. None if it was never put (or was popped)."""
        with self._lock:
            hit = self._items.get(key)
            if hit is None:
                return None
            return hit[1], self.clock() - hit[2]

    def put(self, key, value, seconds: float | None = None) -> None:
        with self._lock:
            now = self.clock()
            self._items[key] = (now + (self.seconds if seconds is None else seconds), value, now)

    def pop(self, key) -> None:
        with self._lock:
            self._items.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


_UNMADE = object()


class Container:
    """One container's objects, each made once on first use by its factory (`slot`)."""

    def __init__(self, clock: Callable[[], float] = time.time, monotonic: Callable[[], float] = time.monotonic,
                 **overrides):
        self.clock = clock  # wall-clock "now" for business rules (draw days, schedules); tests pass a fixed one
        # elapsed time for the per-container caches: a cache must not live longer because the wall clock was
        # stepped back; tests move it to age a cache without waiting
        self.monotonic = monotonic
        self._made: dict[str, Any] = dict(overrides)
        self._lock = threading.RLock()

    def slot(self, name: str, factory: Callable[[Container], Any]):
        """The container's one `name`, made by `factory(self)` the first time it is asked for (under the
        container's lock, so two threads on a cold start never build two: Powertools' Logger is not safe to build
        twice at once)."""
        made = self._made.get(name, _UNMADE)  # the warm path takes no lock (dict reads are atomic)
        if made is not _UNMADE:
            return made
        with self._lock:
            if name not in self._made:
                self._made[name] = factory(self)
            return self._made[name]

    def cache(self, name: str, seconds: float) -> TtlCache:
        """A named per-container cache (forgotten with the container)."""
        return self.slot(f"cache:{name}", lambda c: TtlCache(seconds, clock=lambda: c.monotonic()))

    def provide(self, **fakes) -> None:
        """Put these objects in their slots now (a test's fakes, after fixtures made the container)."""
        with self._lock:
            self._made.update(fakes)

    def forget(self, *names: str) -> None:
        """Drop these slots (made again on next use): e.g. queue URLs after the queues were recreated."""
        with self._lock:
            for name in names:
                self._made.pop(name, None)

    def now(self) -> float:
        return self.clock()


_CURRENT: Container | None = None
_CURRENT_LOCK = threading.Lock()


def container() -> Container:
    """This process's container (made on first use)."""
    global _CURRENT
    if _CURRENT is None:
        with _CURRENT_LOCK:
            if _CURRENT is None:
                _CURRENT = Container()
    return _CURRENT


def reset(clock: Callable[[], float] | None = None, monotonic: Callable[[], float] | None = None,
          **overrides) -> Container:
    """Forget everything (a cold container); `overrides` pre-fill slots with fakes, `clock` fixes "now",
    `monotonic` the caches' elapsed time."""
    global _CURRENT
    with _CURRENT_LOCK:
        _CURRENT = Container(clock or time.time, monotonic or time.monotonic, **overrides)
    return _CURRENT



def slot(factory: Callable[[Container], Any]) -> Callable[[], Any]:
    """`factory` as a slot named after it: the decorated name gives the container's one object, made by
    `factory(container)` on first use, or the fake a test passed as `reset(<name>=...)`."""
    name = factory.__name__

    @functools.wraps(factory)
    def get():
        return container().slot(name, factory)

    get.factory = factory
    return get


def read_side(store: str) -> Callable[[Callable[[Container], Any]], Callable[[], Any]]:
    """A store's read side in a slot of its own, so that a function that only reads is granted only reads
    (infra/access.py grants per class). A test's twin passed as `store` serves here too."""
    def declare(factory):
        return slot(functools.wraps(factory)(lambda c: c._made[store] if store in c._made else factory(c)))

    return declare
