"""Structured JSON logs and metrics (Powertools), one instance per container (slots of scrm.bootstrap: a test
passes its own, e.g. `bootstrap.reset(tracer=RecordingTracer())`).

Event-triggered functions do not run Chalice middleware, so each handler calls `bind_context` at the start
of every invocation: it clears the keys the previous invocation bound and binds the new ones.

Thread safety: the local dispatcher (and any code using threads) may ask for the logger from two threads
at once on a cold start; two Powertools Loggers built at the same time race on the shared `logging`
logger and one ends up with a plain `logging.Formatter` ("'Formatter' object has no attribute
'append_keys'"). So each is built once, under the container's lock (`Container.slot`). Invocation keys are
Powertools' thread-local keys (`thread_safe_append_keys`): in Lambda one thread runs one invocation at a time,
locally each dispatcher thread has its own, so one invocation's keys never show up in another's logs.

Tracing (X-Ray, active on every function and the API in infra/template.py): `tracer()` is Powertools'
Tracer, built on first use like the logger, so importing a handler never imports the X-Ray SDK (cold
import budget, bench/imports.py). Handlers are wrapped with `traced` (Powertools' `capture_lambda_handler` for the
API entry point, `capture_method` for queue and scheduled handlers, applied at the first call) and each
WeChat API call gets its own subsegment annotated with its path (`wechat_call`). Outside Lambda, and where
POWERTOOLS_TRACE_DISABLED is true (local/stack.py, tests), Powertools disables the tracer: no segment is
sent, nothing is patched.
"""

from __future__ import annotations

import contextlib
import functools
import warnings

from .container import slot


@slot
def logger(_):
    from aws_lambda_powertools import Logger

    return Logger(service="wechat-scrm")


@slot
def metrics(_):
    from aws_lambda_powertools import Metrics

    return Metrics(namespace="WeChatSCRM", service="wechat-scrm")


@slot
def tracer(_):
    from aws_lambda_powertools import Tracer

    # Only what we call: patch_all would import and patch every library the SDK knows at cold start.
    return Tracer(service="wechat-scrm", patch_modules=("botocore", "requests"))


def traced(handler, *, lambda_handler: bool = False):
    """A handler traced as its own subsegment (`## name`, errors recorded, responses not: they hold personal
    data). Powertools' `capture_method`, or `capture_lambda_handler` (adds the ColdStart annotation) for a
    Lambda entry point `(event, context)`, applied at the first call so the X-Ray SDK is imported when a handler
    runs, not when its module is imported. Under Chalice's decorator: `@bp.schedule(...)` then `@traced`."""
    captured: tuple = (None, None)  # (the tracer it was wrapped with, the wrapped handler)

    @functools.wraps(handler)
    def run(*args, **kwargs):
        nonlocal captured
        t = tracer()
        if captured[0] is not t:  # first call of this container (two threads may both wrap it: same result)
            capture = t.capture_lambda_handler if lambda_handler else t.capture_method
            captured = (t, capture(handler, capture_response=False))
        return captured[1](*args, **kwargs)

    return run


@contextlib.contextmanager
def wechat_call(path: str, platform: str):
    """One WeChat API call as an X-Ray subsegment, annotated with its path (searchable: `annotation.wechat_path`)."""
    t = tracer()
    if t.disabled:
        yield
        return
    with t.provider.in_subsegment(f"wechat {path}") as subsegment:
        subsegment.put_annotation("wechat_path", path)
        subsegment.put_annotation("wechat_platform", platform)
        yield


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
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "no metrics to publish" is normal for many invocations
            metrics().flush_metrics()
    except Exception:  # metrics must never break a handler
        logger().exception("metrics flush failed")
