"""Exactly-once helpers on Powertools idempotency (records in the `idempotency` table).

`once(name)` makes `fn(payload: dict)` run at most once per payload (hashed), across retries and
concurrent deliveries; a concurrent duplicate raises IdempotencyAlreadyInProgressError so the queue
redelivers it later, and a finished duplicate returns the first result.
"""

from __future__ import annotations

import functools

from .bootstrap import container
from .config import settings


def persistence_layer():
    """The container's Powertools persistence layer on the `idempotency` table."""
    return container().slot("idempotency_persistence", lambda _: _dynamo_persistence())


def _dynamo_persistence():
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

    return DynamoDBPersistenceLayer(table_name=settings().table_name("idempotency"))


_CONFIGS: list = []
_INVOCATION: list = [None]  # this invocation's Lambda context, for configs made during it


def register_lambda_context(context) -> None:
    """Let this invocation's in-progress locks expire with it (Powertools reads the remaining time).

    Called at the start of every invocation, with or without a context: the context is per invocation, so a
    call without one forgets the previous one. Kept, an ended invocation's context (no time left) would stamp
    every later lock as already expired, and a concurrent duplicate would pass it and apply the event twice.
    """
    if not hasattr(context, "get_remaining_time_in_millis"):
        context = None  # no Lambda context: locks last until the record expires (Powertools' default)
    _INVOCATION[0] = context
    for config in _CONFIGS:
        config.register_lambda_context(context)


def once(name: str, *, key: str | None = None, expires_after_seconds: int = 7 * 86400):
    """Decorator for `fn(payload: dict) -> JSON-serialisable`; `key` is a JMESPath into payload."""

    def wrap(fn):
        inner = None

        @functools.wraps(fn)
        def run(payload: dict):
            nonlocal inner
            if inner is None:
                from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function

                config = IdempotencyConfig(event_key_jmespath=key, expires_after_seconds=expires_after_seconds,
                                           raise_on_no_idempotency_key=bool(key))
                config.register_lambda_context(_INVOCATION[0])  # made mid-invocation: lock expires with it too
                _CONFIGS.append(config)

                def body(payload: dict):
                    return fn(payload)

                body.__name__ = body.__qualname__ = name  # the record key includes the function name
                inner = idempotent_function(data_keyword_argument="payload", persistence_store=persistence_layer(),
                                            config=config)(body)
            return inner(payload=payload)

        return run

    return wrap
