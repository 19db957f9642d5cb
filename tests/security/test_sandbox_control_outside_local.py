"""Attack: reach the console's sandbox control (simulated WeChat events, the clock, the queues) on a deployed stage.

The control routes exist on the local stack's API only (local/console_control.py, registered by LocalStack.start):
the app every other stage imports has none of them, the route table and the OpenAPI document do not name them,
and building the blueprint for another stage is refused."""

from __future__ import annotations

import json

import pytest


def test_sandbox_control_is_absent_outside_the_local_stage(aws):
    from chalice.test import Client

    from app import app
    from functions.contract import document
    from functions.routes import ROUTES
    from local import console_control

    assert not [path for path in app.routes if "/local" in path]
    assert not [r for r in ROUTES if "/local" in r.path] and "/local" not in json.dumps(document())
    with Client(app) as client:  # an unknown path, whoever asks
        answer = client.http.post("/accounts/demo-oa/local/drain", headers={"Content-Type": "application/json"})
        assert answer.status_code in (403, 404) and b"drained" not in answer.body
    for stage in ("prod", "dev", "test", "staging"):
        with pytest.raises(RuntimeError, match="local stack only"):
            console_control.blueprint(object(), lambda: None, stage)
