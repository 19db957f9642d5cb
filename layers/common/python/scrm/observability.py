"""Structured JSON logs and metrics (Powertools), one instance per container.

Event-triggered functions do not run Chalice middleware, so each handler calls `bind_context`.
"""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)
def logger():
    from aws_lambda_powertools import Logger

    return Logger(service="wechat-scrm")


@lru_cache(maxsize=1)
def metrics():
    from aws_lambda_powertools import Metrics

    return Metrics(namespace="WeChatSCRM", service="wechat-scrm")


def bind_context(function: str, lambda_context=None, **keys) -> None:
    log = logger()
    if lambda_context is not None and hasattr(lambda_context, "aws_request_id"):
        keys["request_id"] = lambda_context.aws_request_id
    log.append_keys(function=function, **keys)


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
