"""Answers given before any route runs come in the API's error shape, locally as deployed.

Chalice's own refusals (415 wrong content type, 405 method) through the app, and an unknown path through
`chalice local`'s server (API Gateway says 403 "Missing Authentication Token"; the template turns that into
404, see tests/packaging/test_production_template.py).
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request

import pytest
from chalice.config import Config
from chalice.test import Client


def test_wrong_content_type_is_415_in_our_shape(aws):
    from app import app

    with Client(app) as client:
        res = client.http.post("/accounts", body=b"a=b", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert res.status_code == 415
    body = json.loads(res.body)
    assert body["error"]["code"] == "unsupported_media_type"
    assert "application/x-www-form-urlencoded" in body["error"]["message"]


def test_method_a_route_lacks_is_405_in_our_shape(aws):
    from app import app

    with Client(app) as client:
        res = client.http.request("PATCH", "/health", body=b"", headers={})
    assert res.status_code == 405
    assert json.loads(res.body)["error"]["code"] == "method_not_allowed"


def test_a_body_that_is_not_chalices_error_is_left_alone():
    from functions.gateway_answers import reshape

    ours = {"statusCode": 404, "headers": {}, "body": json.dumps({"error": {"code": "not_found", "message": "x"}})}
    assert reshape(ours) == ours
    other = {"statusCode": 200, "headers": {}, "body": json.dumps({"Code": "Mine", "Message": "kept"})}
    assert reshape(other) == other


@pytest.fixture
def local_api(aws):
    from app import app
    from functions.gateway_answers import local_server

    config = Config.create(chalice_stage="local", app_name="wechat-scrm")
    server = local_server(app, config, "127.0.0.1", 0)
    port = server.server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer scrm.x.y"}])
def test_unknown_path_is_404_in_our_shape_on_the_local_server(local_api, headers):
    request = urllib.request.Request(f"{local_api}/no/such/route", headers=headers)
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(request, timeout=10)
    assert err.value.code == 404
    assert json.loads(err.value.read()) == {"error": {"code": "not_found", "message": "no such route"}}
    with urllib.request.urlopen(f"{local_api}/health", timeout=10) as ok:
        assert ok.status == 200
