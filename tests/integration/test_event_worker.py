"""The event worker applies each queued event once, and reports only the failed records."""

import json
import threading

import pytest

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
