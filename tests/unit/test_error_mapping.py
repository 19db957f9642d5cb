"""One mapping from errors to HTTP: the status lives on the error class (scrm/errors.py), `errors.answer` builds
the documented body, and no module of the HTTP edge chooses a status by exception type itself."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from scrm import errors
from scrm.domain import wechat_crypto

ROOT = Path(__file__).resolve().parents[2]
ERROR_STATUSES = {400, 401, 403, 404, 405, 408, 409, 410, 413, 415, 422, 429, 500, 502, 503, 504}


@pytest.mark.parametrize("cls,status", [
    (errors.ValidationError, 400), (errors.BadBody, 400), (errors.Unauthorized, 401), (errors.Forbidden, 403),
    (errors.KeyOfDisabledAccount, 403), (errors.NotFound, 404), (errors.UnknownAccount, 404),
    (errors.Conflict, 409), (errors.AccountDisabled, 409), (errors.PayloadTooLarge, 413),
    (errors.RateLimited, 429), (errors.WeChatRateLimited, 429), (errors.WeChatError, 502),
    (errors.WeChatBusy, 503), (errors.WeChatTokenInvalid, 503), (errors.WeChatUnavailable, 503),
    (errors.WeChatBadAnswer, 503), (errors.AmbiguousOutcome, 503), (errors.ConfigError, 503),
    (errors.ScrmError, 400)])
def test_each_class_carries_its_status(cls, status):
    assert cls.status == status


def test_anything_unexpected_is_500_and_a_refusal_keeps_its_own_status():
    assert errors.status_of(RuntimeError("x")) == 500

    class Refusal(Exception):
        def __init__(self):
            super().__init__("outside the window")
            self.reason, self.status = "outside_window", 403

    status, body = errors.answer(Refusal(), "r-1")
    assert status == 403 and body == {"error": {"code": "outside_window", "message": "outside the window",
                                                "request_id": "r-1"}}


def test_callback_refusals_answer_the_statuses_of_the_mapping():
    assert wechat_crypto.Malformed.status == errors.BadBody.status == 400
    assert wechat_crypto.Forged.status == errors.Forbidden.status == 403
    assert wechat_crypto.TooLarge.status == errors.PayloadTooLarge.status == 413
    assert errors.status_of(wechat_crypto.Forged("bad signature")) == 403


def test_every_error_of_a_bad_body_is_in_the_answer():
    from pydantic import Field

    from scrm.contracts import Body, parse

    class Thing(Body):
        name: str = Field(max_length=3)
        stock: int

    with pytest.raises(errors.ValidationError) as caught:
        parse(Thing, {"name": "toolong", "stock": "x", "extra": 1})
    status, body = errors.answer(caught.value, "r-2")
    err = body["error"]
    assert status == 400 and err["code"] == "validation_error" and err["request_id"] == "r-2"
    assert {e["field"] for e in err["details"]["errors"]} == {"name", "stock", "extra"}
    assert err["field"] == err["details"]["errors"][0]["field"]


def test_an_error_not_for_the_caller_answers_generically_with_the_request_id():
    status, body = errors.answer(errors.ConfigError("ssm:GetParameter on arn:aws:iam::1:role/x denied"), "r-3")
    assert status == 503 and "arn:aws" not in json.dumps(body)
    assert body["error"]["details"] == {"request_id": "r-3"} and body["error"]["request_id"] == "r-3"
    status, body = errors.answer(KeyError("internals"), "r-4")
    assert status == 500 and body["error"]["code"] == "internal" and "internals" not in json.dumps(body)


def test_admin_and_user_routes_answer_through_the_same_function():
    from functions import answers

    for exc in (errors.NotFound("no campaign"), errors.RateLimited("slow"), errors.PayloadTooLarge("big"),
                errors.WeChatError(40003, "invalid openid")):
        response = answers.error_for(exc, "r-5")
        assert (response.status_code, json.loads(response.body)) == errors.answer(exc, "r-5")
    assert answers.error_for(errors.RateLimited("slow")).headers["Retry-After"] == "1"
    assert "WWW-Authenticate" in answers.error_for(errors.Unauthorized("no key")).headers


def _hand_chosen_statuses(path: Path) -> list[str]:
    """Error-status literals in code (docstrings and comments aside), other than a `< 400` threshold."""
    tree = ast.parse(path.read_text())
    thresholds = {id(n.comparators[0]) for n in ast.walk(tree) if isinstance(n, ast.Compare)
                  and isinstance(n.ops[0], ast.Lt | ast.GtE) and isinstance(n.comparators[0], ast.Constant)}
    return [f"{path.relative_to(ROOT)}:{n.lineno}: {n.value}" for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and type(n.value) is int and n.value in ERROR_STATUSES
            and id(n) not in thresholds]


def test_no_module_of_the_http_edge_chooses_an_error_status_itself():
    files = [*sorted((ROOT / "functions").glob("*.py")),
             ROOT / "layers/common/python/scrm/domain/wechat_crypto.py"]
    found = [hit for path in files for hit in _hand_chosen_statuses(path)]
    assert found == [], "statuses chosen outside scrm/errors.py: " + ", ".join(found)
