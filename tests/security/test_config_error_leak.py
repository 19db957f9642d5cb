"""Attack: provoke a configuration error (SSM refuses the read) and learn the deployment's internals from the
answer: the SSM path of the account's secrets, the IAM role ARN, boto's exception text.

Every admin error that is not about the caller's own input or rights answers generically: its code, a generic
message and a request id; the detail is in the log under that id, and not in the audit log either."""

from __future__ import annotations

import json

import pytest

from tests.integration.admin_helpers import make_api

ROLE_ARN = "arn:aws:sts::123456789012:assumed-role/scrm-prod-AdminApiRole-1A2B3C/scrm-prod-admin_api"
PARAM_ARN = "arn:aws:ssm:ap-east-1:123456789012:parameter/scrm/prod/accounts/acct-a"
LEAKS = ("arn:aws", "123456789012", "AdminApiRole", "/scrm/", "/accounts/acct-a/", "AccessDenied",
         "GetParametersByPath", "botocore", "Traceback")


@pytest.fixture
def api(aws):
    from chalice.test import Client

    from app import app

    with Client(app) as client:
        yield make_api(client)


class Log:
    """Records what the admin API logs (a stand-in for the Powertools logger)."""

    def __init__(self):
        self.lines = []

    def _record(self, msg, *args, extra=None, **kw):
        self.lines.append(f"{msg} {json.dumps(extra or {}, default=str)}")

    error = exception = warning = info = _record

    @property
    def text(self):
        return "\n".join(self.lines)


@pytest.fixture
def log(api):  # after the api fixture made the (moto) container
    from scrm import bootstrap

    recorder = Log()
    bootstrap.container().provide(logger=recorder)
    return recorder


@pytest.fixture
def ssm_refuses(monkeypatch):
    from botocore.exceptions import ClientError

    from scrm import accounts, secrets

    class Paginator:
        def paginate(self, **kw):
            raise ClientError({"Error": {"Code": "AccessDeniedException", "Message":
                               f"User: {ROLE_ARN} is not authorized to perform: ssm:GetParametersByPath on "
                               f"resource: {PARAM_ARN} because no identity-based policy allows the action"}},
                              "GetParametersByPath")

    class Ssm:
        def get_paginator(self, name):
            return Paginator()

    accounts.forget_cache()
    monkeypatch.setattr(secrets, "client", lambda name: Ssm())
    yield
    accounts.forget_cache()


def test_a_configuration_error_answers_generically_and_logs_the_detail(api, ssm_refuses, log):
    admin = api.key("acct-a", "admin")
    for method, path, body in (("GET", "/accounts/acct-a/setup", None),
                               ("POST", "/accounts/acct-a/channels", {"kind": "oa_qr", "name": "poster"})):
        r = api.call(method, path, key=admin, body=body)
        assert r.status_code == 503, (path, r.body)
        err = r.json_body["error"]
        assert err["code"] == "config_error"
        text = r.body.decode()
        for leak in LEAKS:
            assert leak not in text, (path, leak, text)
        request_id = err["details"]["request_id"]
        assert request_id and request_id in err["message"]
        logged = log.text
        assert ROLE_ARN in logged and request_id in logged  # the operator finds the cause by the request id

    audit = api.call("GET", "/accounts/acct-a/audit", key=admin).json_body["items"]
    details = json.dumps([e.get("detail") for e in audit])
    assert "config_error" in details and all(leak not in details for leak in LEAKS)


def test_errors_about_the_callers_input_still_say_what_is_wrong(api):
    r = api.call("POST", "/accounts/acct-a/keys", key=api.key("acct-a"), body={"role": "root"})
    assert r.status_code == 400 and r.json_body["error"]["field"] == "role"
    message = r.json_body["error"]["message"]  # names what would be right
    assert message.startswith("role") and all(role in message for role in ("read-only", "operator", "admin"))


def test_an_unexpected_error_is_generic_with_a_request_id(api, monkeypatch, log):
    from scrm.services import admin_accounts

    def boom(*a, **k):
        raise RuntimeError(f"cannot reach {PARAM_ARN}")

    monkeypatch.setattr(admin_accounts, "show", boom)
    r = api.call("GET", "/accounts/acct-a", key=api.key("acct-a"))
    assert r.status_code == 500 and r.json_body["error"]["code"] == "internal"
    assert all(leak not in r.body.decode() for leak in LEAKS)
    assert r.json_body["error"]["details"]["request_id"] in log.text
