"""Powertools Tracer: built once even when threads race on a cold start, off without an X-Ray daemon (tests set
POWERTOOLS_TRACE_DISABLED), handlers and WeChat calls still run through it, and importing a handler does not
import the X-Ray SDK."""

import json
import logging
import subprocess
import sys
import uuid
import warnings
from pathlib import Path

import pytest

from scrm import bootstrap, observability
from tests.unit.test_observability import _race

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def fresh_tracer():
    bootstrap.reset()  # a cold container: the tracer is built again
    yield
    bootstrap.reset()


class Context:
    function_name = "APIHandler"
    invoked_function_arn = "arn:aws:lambda:ap-east-1:123456789012:function:APIHandler"
    memory_limit_in_mb = 512
    function_version = "$LATEST"
    aws_request_id = uuid.uuid4().hex

    def get_remaining_time_in_millis(self):
        return 30000


def _health_event() -> dict:
    return {"resource": "/health", "path": "/health", "httpMethod": "GET",
            "headers": {"Host": "example.execute-api.ap-east-1.amazonaws.com", "Accept": "application/json"},
            "multiValueHeaders": {}, "queryStringParameters": None, "multiValueQueryStringParameters": None,
            "pathParameters": None, "stageVariables": None, "body": None, "isBase64Encoded": False,
            "requestContext": {"resourcePath": "/health", "httpMethod": "GET", "path": "/api/health",
                               "stage": "api", "requestId": uuid.uuid4().hex, "accountId": "123456789012",
                               "apiId": "example", "identity": {"sourceIp": "127.0.0.1", "userAgent": "t"}}}


def test_two_threads_building_the_tracer_at_once_build_it_once(fresh_tracer, monkeypatch):
    events, got = _race(monkeypatch, "Tracer", observability.tracer)
    assert events == ["build", "second waits for the first build"]
    assert got["first"] is got["second"]


def test_tracing_is_off_without_an_xray_daemon(fresh_tracer):
    from aws_xray_sdk import global_sdk_config

    assert observability.tracer().disabled
    assert not global_sdk_config.sdk_enabled()  # Powertools turned the SDK off: no segment is ever emitted


def test_an_api_request_and_a_traced_handler_run_with_tracing_disabled(fresh_tracer, caplog):
    from app import app

    caplog.set_level(logging.WARNING)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. the X-Ray SDK's "no segment found" must not show up
        answer = app(_health_event(), Context())

        calls = []

        @observability.traced
        def handle(event):
            with observability.wechat_call("externalcontact/get", "wecom"):
                calls.append(event)
            return "done"

        assert handle("evt") == "done" and calls == ["evt"]
    assert answer["statusCode"] == 200 and json.loads(answer["body"]) == {"status": "ok"}
    assert handle.__name__ == "handle"  # Chalice names the Lambda handler after the function
    assert not [r for r in caplog.records if r.name.startswith(("aws_xray_sdk", "aws_lambda_powertools"))]


def test_traced_handlers_keep_their_names_for_chalice():
    from app import app

    assert {"handle_events", "handle_welcome", "channel_upkeep", "channel_tagging", "content_push",
            "inbox_sweeper", "reassignment_worker", "reassignment_follow_up", "reassignment_sweep",
            "campaign_draw"} <= {h.name for h in app.event_sources}


def test_importing_a_handler_does_not_import_the_xray_sdk():
    code = ("import sys, app, functions.event_worker, functions.content_push, scrm.gateway.base; "
            "print(sorted(m for m in sys.modules if m.startswith(('aws_xray_sdk', 'wrapt'))))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": f"{ROOT / 'layers/common/python'}:{ROOT}", "SCRM_STAGE": "test",
                              "AWS_DEFAULT_REGION": "ap-east-1", "PATH": "/usr/bin:/bin"})
    assert out.stdout.strip() == "[]"
