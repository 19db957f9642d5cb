"""Exactly-once helpers on Powertools idempotency (records in the `idempotency` table).

`once(name)` makes `fn(payload: dict)` run at most once per payload (hashed), across retries and
concurrent deliveries; a concurrent duplicate raises IdempotencyAlreadyInProgressError so the queue
redelivers it later, and a finished duplicate returns the first result.

Everything it keeps lives in the container (scrm.bootstrap): the persistence layer (`idempotency_persistence`:
DynamoDB in Lambda; a unit test passes `reset(idempotency_persistence=MemoryPersistenceLayer())`, from
scrm.stores.idempotency) and the Powertools-wrapped functions with the invocation they run in (`exactly_once`),
so a cold start (`bootstrap.reset()`) wraps them again on the layer the new container holds.
"""

from __future__ import annotations

import copy
import functools
import threading
from collections.abc import Callable

from .aws import client
from .bootstrap import slot
from .config import settings


@slot
def idempotency_persistence(_):
    """The container's Powertools persistence layer on the `idempotency` table (the container's DynamoDB client)."""
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

    return DynamoDBPersistenceLayer(table_name=settings().table_name("idempotency"), boto3_client=client("dynamodb"))


class ExactlyOnce:
    """This container's `once` functions, wrapped by Powertools on first use, and the invocation they run in."""

    def __init__(self, persistence):
        self.persistence = persistence
        self.lambda_context = None
        self.configs: list = []
        self._wrapped: dict[Callable, Callable] = {}
        self._lock = threading.Lock()

    def register_lambda_context(self, context) -> None:
        """Let this invocation's in-progress locks expire with it (Powertools reads the remaining time).

        Called at the start of every invocation, with or without a context: the context is per invocation, so a
        call without one forgets the previous one. Kept, an ended invocation's context (no time left) would stamp
        every later lock as already expired, and a concurrent duplicate would pass it and apply the event twice.
        """
        if not hasattr(context, "get_remaining_time_in_millis"):
            context = None  # no Lambda context: locks last until the record expires (Powertools' default)
        with self._lock:
            self.lambda_context = context
            for config in self.configs:
                config.register_lambda_context(context)

    def wrapped(self, fn: Callable, name: str, key: str | None, expires_after_seconds: int) -> Callable:
        """`fn` behind Powertools' idempotency (made on its first call in this container)."""
        with self._lock:
            if fn not in self._wrapped:
                self._wrapped[fn] = self._wrap(fn, name, key, expires_after_seconds)
            return self._wrapped[fn]

    def _wrap(self, fn, name, key, expires_after_seconds):
        from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function

        config = IdempotencyConfig(event_key_jmespath=key, expires_after_seconds=expires_after_seconds,
                                   raise_on_no_idempotency_key=bool(key))
        config.register_lambda_context(self.lambda_context)  # made mid-invocation: its lock expires with it too
        self.configs.append(config)

        def body(payload: dict):
            return fn(payload)

        body.__name__ = body.__qualname__ = name  # the record key includes the function name
        # Powertools configures a layer once, with the first config it sees (key, expiry): each `once` gets its
        # own copy, sharing the records (the client; the in-memory layer's dict).
        return idempotent_function(data_keyword_argument="payload", persistence_store=copy.copy(self.persistence),
                                   config=config)(body)


@slot
def exactly_once(_) -> ExactlyOnce:
    return ExactlyOnce(idempotency_persistence())


def register_lambda_context(context) -> None:
    """Start of an invocation (see ExactlyOnce.register_lambda_context)."""
    exactly_once().register_lambda_context(context)


def once(name: str, *, key: str | None = None, expires_after_seconds: int = 7 * 86400):
    """Decorator for `fn(payload: dict) -> JSON-serialisable`; `key` is a JMESPath into payload."""

    def wrap(fn):
        @functools.wraps(fn)
        def run(payload: dict):
            return exactly_once().wrapped(fn, name, key, expires_after_seconds)(payload=payload)

        return run

    return wrap
