"""Structured JSON logs and metrics (Powertools), one instance per container.

Event-triggered functions do not run Chalice middleware, so each handler calls `bind_context` at the start
of every invocation: it clears the keys the previous invocation bound and binds the new ones.

Thread safety: the local dispatcher (and any code using threads) may ask for the logger from two threads
at once on a cold start; two Powertools Loggers built at the same time race on the shared `logging`
logger and one ends up with a plain `logging.Formatter` ("'Formatter' object has no attribute
'append_keys'"). So each is built once under a lock. Invocation keys are Powertools' thread-local keys
(`thread_safe_append_keys`): in Lambda one thread runs one invocation at a time, locally each dispatcher
thread has its own, so one invocation's keys never show up in another's logs.
"""

from __future__ import annotations

import threading

_BUILD_LOCK = threading.Lock()
_LOGGER = None
_METRICS = None


def logger():
    global _LOGGER
    if _LOGGER is None:
        with _BUILD_LOCK:
            if _LOGGER is None:
                from aws_lambda_powertools import Logger

                _LOGGER = Logger(service="wechat-scrm")
    return _LOGGER


def metrics():
    global _METRICS
    if _METRICS is None:
        with _BUILD_LOCK:
            if _METRICS is None:
                from aws_lambda_powertools import Metrics

                _METRICS = Metrics(namespace="WeChatSCRM", service="wechat-scrm")
    return _METRICS


def bind_context(function: str, lambda_context=None, **keys) -> None:
    """Start of an invocation: forget the previous invocation's keys, bind this one's."""
    log = logger()
    if lambda_context is not None and hasattr(lambda_context, "aws_request_id"):
        keys["request_id"] = lambda_context.aws_request_id
    log.thread_safe_clear_keys()
    log.thread_safe_append_keys(function=function, **keys)


def bind_keys(**keys) -> None:
    """Keys for the rest of this invocation (e.g. the record being handled); replaced by the next call's."""
    logger().thread_safe_append_keys(**keys)


def count(name: str, value: float = 1, **dimensions) -> None:
    """Record a metric (EMF, flushed by `flush_metrics` at the end of an invocation). With dimensions it is
    written at once as its own EMF record: Powertools' shared metric set has one set of dimensions for every
    metric of the invocation, so per-call dimensions would be dropped or mixed up."""
    from aws_lambda_powertools.metrics import MetricUnit, single_metric

    if not dimensions:
        metrics().add_metric(name=name, unit=MetricUnit.Count, value=value)
        return
    with single_metric(name=name, unit=MetricUnit.Count, value=value, namespace="WeChatSCRM") as metric:
        metric.add_dimension(name="service", value="wechat-scrm")
        for key, dim in sorted(dimensions.items()):
            metric.add_dimension(name=key, value=str(dim))


def flush_metrics() -> None:
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "no metrics to publish" is normal for many invocations
            metrics().flush_metrics()
    except Exception:  # metrics must never break a handler
        logger().exception("metrics flush failed")
