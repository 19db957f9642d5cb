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


def register_lambda_context(context) -> None:
    """Let idempotency records expire with the invocation (Powertools needs the remaining time)."""
    if context is not None and hasattr(context, "get_remaining_time_in_millis"):
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
                _CONFIGS.append(config)

                def body(payload: dict):
                    return fn(payload)

                body.__name__ = body.__qualname__ = name  # the record key includes the function name
                inner = idempotent_function(data_keyword_argument="payload", persistence_store=persistence_layer(),
                                            config=config)(body)
            return inner(payload=payload)

        return run

    return wrap
