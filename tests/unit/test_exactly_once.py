"""The event worker's exactly-once, in unit tests: `idempotency.once` runs on the in-memory persistence layer
passed to the composition root (no moto), and a cold start (`bootstrap.reset`) wraps the use cases again on the
layer the new container holds."""

from __future__ import annotations

import json

import pytest

from scrm import bootstrap
from scrm.services import events
from scrm.stores.idempotency.memory import MemoryPersistenceLayer


@pytest.fixture
def effects(monkeypatch):
    """Events of kind `test.ping` applied by a handler that records each effect (and is not idempotent itself)."""
    seen = []
    monkeypatch.setattr(events, "_HANDLERS", events.defaultdict(list))
    monkeypatch.setattr(events, "_loaded", True)

    @events.on("test.ping")
    def ping(payload):
        seen.append(payload["dedupe_key"])
        return "pong"

    return seen


def sqs_event(*payloads) -> dict:
    return {"Records": [{"messageId": f"m{i}", "receiptHandle": f"r{i}", "body": json.dumps(p), "attributes": {},
                         "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
                         "eventSourceARN": "arn:aws:sqs:ap-east-1:123456789012:q", "awsRegion": "ap-east-1"}
                        for i, p in enumerate(payloads)]}


def payload(key: str) -> dict:
    return {"account_id": "acct-a", "platform": "oa", "kind": "test.ping", "dedupe_key": key, "event": {}}


def test_a_retried_event_has_exactly_one_effect_on_the_in_memory_layer(effects):
    layer = MemoryPersistenceLayer()
    bootstrap.reset(idempotency_persistence=layer)
    assert events.process_batch(sqs_event(payload("k1"), payload("k1"))) == {"batchItemFailures": []}
    assert events.process_batch(sqs_event(payload("k1"))) == {"batchItemFailures": []}  # redelivered later
    assert effects == ["k1"]
    (record,) = layer.records.values()
    assert record.status == "COMPLETED" and json.loads(record.response_data) == {"handled": 1}


def test_a_cold_start_applies_events_on_the_new_containers_layer(effects):
    first, second = MemoryPersistenceLayer(), MemoryPersistenceLayer()
    bootstrap.reset(idempotency_persistence=first)
    events.process_batch(sqs_event(payload("k1")))
    bootstrap.reset(idempotency_persistence=second)  # a new container: its records are the second layer's
    events.process_batch(sqs_event(payload("k1")))
    assert effects == ["k1", "k1"] and len(first.records) == len(second.records) == 1


def test_an_expired_record_lets_the_event_apply_again(effects):
    now = [0.0]
    layer = MemoryPersistenceLayer(clock=lambda: now[0])
    bootstrap.reset(idempotency_persistence=layer)
    events.process_batch(sqs_event(payload("k1")))
    (record,) = layer.records.values()
    now[0] = record.expiry_timestamp - 1
    events.process_batch(sqs_event(payload("k1")))
    assert effects == ["k1"]
    now[0] = record.expiry_timestamp + 1  # a week later: the record has expired
    events.process_batch(sqs_event(payload("k1")))
    assert effects == ["k1", "k1"]
