"""The event worker applies each queued event once, and reports only the failed records."""

import json
import threading

import pytest

from scrm import bootstrap
from scrm.services import events


@pytest.fixture
def recorder(monkeypatch):
    seen = []
    monkeypatch.setattr(events, "_HANDLERS", events.defaultdict(list))
    monkeypatch.setattr(events, "_loaded", True)

    @events.on("test.ping")
    def ping(payload):
        seen.append(payload["dedupe_key"])
        if payload["event"].get("explode"):
            raise RuntimeError("boom")
        return "pong"

    @events.on("test")
    def family(payload):
        seen.append("family:" + payload["dedupe_key"])

    return seen


def sqs_event(*payloads):
    return {"Records": [{
        "messageId": f"m{i}", "receiptHandle": f"r{i}", "body": json.dumps(p), "attributes": {},
        "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:ap-east-1:123456789012:q", "awsRegion": "ap-east-1"}
        for i, p in enumerate(payloads)]}


def payload(key, **event):
    return {"account_id": "a", "platform": "oa", "kind": "test.ping", "dedupe_key": key, "event": event}


def test_duplicates_apply_once_and_failures_are_reported(aws, recorder):
    result = events.process_batch(sqs_event(payload("k1"), payload("k1"), payload("k2", explode=True)))
    assert result == {"batchItemFailures": [{"itemIdentifier": "m2"}]}
    assert recorder.count("k1") == 1 and recorder.count("family:k1") == 1
    # redelivery of k1 later: still one effect
    events.process_batch(sqs_event(payload("k1")))
    assert recorder.count("k1") == 1


def test_concurrent_deliveries_of_one_event_apply_once(aws, recorder):
    outcomes = []

    def deliver():
        outcomes.append(events.process_batch(sqs_event(payload("same"))))

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert recorder.count("same") == 1
    # the ones that lost the race were told to retry (in progress), none was silently dropped
    retried = sum(1 for o in outcomes if o["batchItemFailures"])
    done = sum(1 for o in outcomes if not o["batchItemFailures"])
    assert retried + done == 4 and done >= 1


def test_event_without_dedupe_key_is_a_failure_not_a_crash(aws, recorder):
    bad = {"account_id": "a", "platform": "oa", "kind": "test.ping", "event": {}}
    assert events.process_batch(sqs_event(bad)) == {"batchItemFailures": [{"itemIdentifier": "m0"}]}
    assert recorder == []


class _FinishedInvocation:
    """The Lambda context of an invocation that has ended: no time left."""

    function_name = "handle_events"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:ap-east-1:123456789012:function:handle_events"
    aws_request_id = "ended"

    def get_remaining_time_in_millis(self):
        return 0


def test_a_finished_invocations_context_does_not_unlock_the_next_ones_events(aws, recorder, monkeypatch):
    """Found under load (seed 3067046035): an in-process delivery with a Lambda context left that context on the
    idempotency config, so a later delivery without one stamped its in-progress lock with the old invocation's
    (zero) remaining time; a concurrent duplicate then passed the lock and applied the event a second time."""
    import time as real_time

    from tests.timing import wait_until

    events.process_batch(sqs_event(payload("earlier")), _FinishedInvocation())
    duplicate = {}

    @events.on("test.ping")
    def deliver_duplicate_while_in_progress(p):
        if p["dedupe_key"] == "later" and not duplicate:
            duplicate["outcome"] = None  # once: the duplicate's own run must not nest again
            started = real_time.time()
            wait_until(lambda: real_time.time() - started > 0.005, what="the in-progress lock's first millisecond")
            duplicate["outcome"] = events.process_batch(sqs_event(payload("later")))

    events.process_batch(sqs_event(payload("later")))
    assert recorder.count("later") == 1
    assert duplicate["outcome"]["batchItemFailures"], "the duplicate must be told to retry (event in progress)"


def test_the_first_event_of_a_container_is_locked_only_for_its_invocation(aws, recorder, monkeypatch):
    """The worker's first invocation builds the idempotency config; its lock must still end with that invocation
    (else a timed-out first delivery leaves a lock that refuses every retry until the record expires)."""
    from scrm import idempotency

    bootstrap.reset()  # a cold container: apply_event is wrapped (its config made) during the first invocation

    class Invocation(_FinishedInvocation):
        def get_remaining_time_in_millis(self):
            return 60_000

    events.process_batch(sqs_event(payload("first")), Invocation())
    configs = idempotency.exactly_once().configs
    assert configs and all(isinstance(c.lambda_context, Invocation) for c in configs)
