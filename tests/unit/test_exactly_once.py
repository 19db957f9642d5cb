"""The event worker's exactly-once, in unit tests: `idempotency.once` runs on the in-memory persistence layer
passed to the composition root (no moto), and a cold start (`bootstrap.reset`) wraps the use cases again on the
layer the new container holds."""

from __future__ import annotations

import json

from scrm import bootstrap
from scrm.services import events
from scrm.stores.idempotency.memory import MemoryPersistenceLayer
from tests.integration.test_event_worker import (
    payload,
    recorder,  # noqa: F401 (the fixture: the effects it records)
    sqs_event,
)


def test_a_retried_event_has_exactly_one_effect_on_the_in_memory_layer(recorder):  # noqa: F811
    layer = MemoryPersistenceLayer()
    bootstrap.reset(idempotency_persistence=layer)
    assert events.process_batch(sqs_event(payload("k1"), payload("k1"))) == {"batchItemFailures": []}
    assert events.process_batch(sqs_event(payload("k1"))) == {"batchItemFailures": []}  # redelivered later
    assert recorder == ["k1", "family:k1"]  # the event's handler and its family's, once each
    (record,) = layer.records.values()
    assert record.status == "COMPLETED" and json.loads(record.response_data) == {"handled": 2}


def test_a_cold_start_applies_events_on_the_new_containers_layer(recorder):  # noqa: F811
    first, second = MemoryPersistenceLayer(), MemoryPersistenceLayer()
    bootstrap.reset(idempotency_persistence=first)
    events.process_batch(sqs_event(payload("k1")))
    bootstrap.reset(idempotency_persistence=second)  # a new container: its records are the second layer's
    events.process_batch(sqs_event(payload("k1")))
    assert recorder.count("k1") == 2 and len(first.records) == len(second.records) == 1


def test_an_expired_record_lets_the_event_apply_again(recorder):  # noqa: F811
    now = [0.0]
    layer = MemoryPersistenceLayer(clock=lambda: now[0])
    bootstrap.reset(idempotency_persistence=layer)
    events.process_batch(sqs_event(payload("k1")))
    (record,) = layer.records.values()
    now[0] = record.expiry_timestamp - 1
    events.process_batch(sqs_event(payload("k1")))
    assert recorder.count("k1") == 1
    now[0] = record.expiry_timestamp + 1  # a week later: the record has expired
    events.process_batch(sqs_event(payload("k1")))
    assert recorder.count("k1") == 2
