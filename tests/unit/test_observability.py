"""Logger and metrics: built once even when threads race on a cold start; keys never leak between invocations."""

import json
import logging
import threading

import pytest

from scrm import bootstrap, observability


@pytest.fixture
def fresh(monkeypatch):
    """Forget the built logger/metrics and the `logging` logger Powertools configured (a cold container)."""
    bootstrap.reset()
    shared = logging.getLogger("wechat-scrm")
    saved = (list(shared.handlers), dict(shared.__dict__))
    for h in list(shared.handlers):
        shared.removeHandler(h)
    for attr in ("init", "powertools_handler", "powertools_buffer_config", "powertools_buffer_cache"):
        shared.__dict__.pop(attr, None)
    yield
    bootstrap.reset()
    for h in list(shared.handlers):
        shared.removeHandler(h)
    shared.__dict__.clear()
    shared.__dict__.update(saved[1])
    for h in saved[0]:  # the next test's cold container builds its Logger on the configured `logging` logger
        shared.addHandler(h)


class Watched:
    """A lock that reports when a second thread starts waiting on it (so the test knows, without timing,
    that the second thread has reached the build)."""

    def __init__(self, events):
        self.lock, self.events = threading.Lock(), events

    def __enter__(self):
        if self.lock.locked():
            self.events.append("second waits for the first build")
            self.events_changed.set()
        self.lock.acquire()

    def __exit__(self, *exc):
        self.lock.release()


def _race(monkeypatch, attr: str, build):
    """Two threads ask for observability.<build> on a cold start while the first is still constructing."""
    import aws_lambda_powertools

    real = getattr(aws_lambda_powertools, attr)
    entered, changed = threading.Event(), threading.Event()
    events: list[str] = []
    release = threading.Event()

    def slow(*args, **kwargs):
        events.append("build")
        changed.set()
        if len(events) == 1:
            entered.set()
            assert release.wait(30), "the test never released the first build"
        return real(*args, **kwargs)

    monkeypatch.setattr(aws_lambda_powertools, attr, slow)
    watched = Watched(events)
    watched.events_changed = changed
    monkeypatch.setattr(bootstrap.container(), "_lock", watched)  # the lock every slot is built under
    got = {}
    first = threading.Thread(target=lambda: got.setdefault("first", build()))
    first.start()
    assert entered.wait(30)
    changed.clear()
    second = threading.Thread(target=lambda: got.setdefault("second", build()))
    second.start()
    # Either the second thread builds its own (the bug) or it waits for the first: both are signalled.
    assert changed.wait(30)
    release.set()
    first.join(30)
    second.join(30)
    return events, got


def test_two_threads_building_the_logger_at_once_build_it_once(fresh, monkeypatch):
    events, got = _race(monkeypatch, "Logger", observability.logger)
    assert events == ["build", "second waits for the first build"]
    assert got["first"] is got["second"]
    got["first"].append_keys(function="channel_tagging")  # the first-run AttributeError of issue 12.14


def test_two_threads_building_metrics_at_once_build_it_once(fresh, monkeypatch):
    events, got = _race(monkeypatch, "Metrics", observability.metrics)
    assert events == ["build", "second waits for the first build"] and got["first"] is got["second"]


def _formatted(message="x") -> dict:
    log = observability.logger()
    record = logging.LogRecord("wechat-scrm", logging.ERROR, __file__, 1, message, None, None)
    return json.loads(log.registered_formatter.format(record))


def test_keys_of_one_invocation_never_reach_the_next(fresh):
    observability.bind_context("event_worker")
    observability.bind_keys(account_id="acct-a", kind="oa.subscribe")
    assert _formatted()["kind"] == "oa.subscribe"
    observability.bind_context("reassignment_sweep")
    line = _formatted("sweep failed")
    assert line["function"] == "reassignment_sweep" and "kind" not in line and "account_id" not in line


def test_keys_bound_in_one_thread_are_not_in_another(fresh):
    observability.bind_context("content_push")
    seen = {}

    def other():
        observability.bind_context("channel_tagging")
        seen.update(_formatted())

    t = threading.Thread(target=other)
    t.start()
    t.join()
    assert seen["function"] == "channel_tagging" and _formatted()["function"] == "content_push"
