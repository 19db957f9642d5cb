"""The OpenAPI contract (functions/openapi.yaml): generated from the route table and the pydantic models (the
committed file is the generator's output), valid, covers every route of the app, and the API answers as it says,
including for generated input (schemathesis over a chalice local server, moto in-process: no 5xx)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.integration.admin_helpers import make_api, served

DOC = Path(__file__).resolve().parents[2] / "functions" / "openapi.yaml"
METHODS = {"get", "post", "put", "patch", "delete", "head", "options"}


def document() -> dict:
    return yaml.safe_load(DOC.read_text())


def test_document_is_valid_openapi_3():
    from openapi_spec_validator import validate

    validate(document())


def test_the_committed_document_is_the_generated_one():
    from functions import contract

    assert DOC.read_text() == contract.render(contract.document()), (
        "functions/openapi.yaml is stale: run `PYTHONPATH=layers/common/python:. python -m functions.contract --write`")


def test_stats_rows_name_every_counter_and_links_name_a_route():
    from app import app

    schemas = document()["components"]["schemas"]
    assert {"lost_d1", "lost_d7", "lost_d30"} <= set(schemas["ChannelStatsRow"]["properties"])
    pattern = schemas["IssueLinkAnswer"]["properties"]["path"]["pattern"]
    import re

    link = "/u/acct-a/campaigns/spring#t=abc"
    assert re.match(pattern, link)
    assert "/u/{account_id}/campaigns/{campaign_id}" in app.routes


def test_every_route_of_the_app_is_documented_and_nothing_else():
    from app import app

    routes = {(path, m.lower()) for path, methods in app.routes.items() for m in methods}
    documented = {(path, m) for path, item in document()["paths"].items() for m in item if m in METHODS}
    assert routes - documented == set(), "routes missing from functions/openapi.yaml"
    assert documented - routes == set(), "documented operations the app does not have"


def test_admin_routes_require_the_api_key_and_public_ones_say_so():
    from app import app

    doc = document()
    assert doc["security"] == [{"apiKey": []}]
    for path, methods in app.routes.items():
        for method, entry in methods.items():
            op = doc["paths"].get(path, {}).get(method.lower())
            assert op is not None, f"{method} {path} is not in functions/openapi.yaml"
            public = not hasattr(entry.view_function, "admin_role")
            assert (op.get("security") == []) == public, f"{method} {path}: security does not match the code"
            if not public:
                assert {"401", "403"} <= set(op["responses"]), f"{method} {path} lacks 401/403 responses"


def test_served_document_is_the_file(aws):
    from chalice.test import Client

    from app import app

    with Client(app) as c:
        assert c.http.get("/openapi.json").json_body == document()
        r = c.http.get("/openapi.yaml")
        assert r.status_code == 200 and yaml.safe_load(r.body) == document()


@pytest.fixture
def live_api(aws, sandbox, monkeypatch):
    """The app served by chalice.local on a free port (as the local stack serves it), keys ready, its accounts
    known to the WeChat sandbox (routes of other areas may call WeChat)."""
    from chalice.test import Client

    from app import app
    from local.sandbox import SandboxClient
    from scrm import accounts
    from tests.conftest import _point_gateways_at

    _point_gateways_at(monkeypatch, sandbox.url)
    with Client(app) as client:
        api = make_api(client)
    for account_id in ("acct-a", "acct-b"):
        a = accounts.get(account_id)
        SandboxClient(sandbox.url).register_oa(a.app_id, a.app_secret, a.token, a.aes_key,
                                               original_id=a.original_id, account_type="service")
    with served(app) as url:
        api.base_url = url
        yield api
    from scrm.config import reset_settings

    reset_settings()


def test_generated_requests_get_documented_answers_and_never_5xx(live_api):
    """Schemathesis generates valid and invalid input for every admin operation; every answer must be a
    documented status with a body matching its schema, and none may be a server error."""
    import requests
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
    from schemathesis import checks as sc

    raw = document()
    raw["paths"] = {p: item for p, item in raw["paths"].items() if not p.startswith("/wechat/")}
    # admin_route itself can answer any admin operation with these (bad JSON/limit, no key, tenancy, an account
    # id a platform key names that does not exist); operations need not repeat them to pass this run.
    for item in raw["paths"].values():
        for method, op in item.items():
            if method in METHODS and op.get("security") != []:
                for status, ref in (("400", "BadRequest"), ("401", "Unauthorized"), ("403", "Forbidden"),
                                    ("404", "NotFound")):
                    op["responses"].setdefault(status, {"$ref": f"#/components/responses/{ref}"})
    schema = schemathesis.openapi.from_dict(raw)
    wanted = [sc.not_a_server_error]
    from schemathesis.openapi import checks as oc  # noqa: F401  (registers the OpenAPI checks)

    extra = [getattr(sc, name) for name in ("status_code_conformance", "content_type_conformance",
                                            "response_schema_conformance") if hasattr(sc, name)]
    if len(extra) < 3:
        from schemathesis.specs.openapi import checks as spec_checks

        extra = [spec_checks.status_code_conformance, spec_checks.content_type_conformance,
                 spec_checks.response_schema_conformance]
    session = requests.Session()
    keys = [live_api.platform_key, live_api.key("acct-a", "admin")]
    ops = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path.startswith("/wechat/"):
            continue
        ops += 1

        @given(case=operation.as_strategy(), key=st.sampled_from(keys))
        @settings(max_examples=5, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def run(case, key):
            # schemathesis gives up on an answer after 10 s by default: a loaded machine is slower than that, and
            # a slow answer is not a wrong one. The limit only stops a hung server.
            case.call_and_validate(base_url=live_api.base_url, session=session, checks=wanted + extra,
                                   headers={"Authorization": f"Bearer {key}"}, timeout=300)

        run()
    assert ops >= 14
