"""How every API route answers: JSON bodies, and errors through the one mapping (`scrm.errors.answer`).

An error whose message is not for the caller (configuration, internal) is logged here with the request id and
its cause; the answer carries only the code, a generic message and that id.
"""

from __future__ import annotations

import json
import uuid

from chalice import ChaliceViewError, Response

from scrm import errors

JSON_MEDIA = "application/json; charset=utf-8"


def json_text(body) -> str:
    """Every JSON answer's text: Chinese as it is (UTF-8 on the wire), not `\\uXXXX` escapes."""
    return json.dumps(body, ensure_ascii=False, default=str)


def json_response(status: int, body, headers: dict | None = None) -> Response:
    return Response(body=json_text(body), status_code=status,
                    headers={"Content-Type": JSON_MEDIA, **(headers or {})})


def error_for(exc: Exception, request_id: str | None = None, headers: dict | None = None) -> Response:
    """The JSON error answer for `exc` (any exception: a use case's, Chalice's, or a bug)."""
    if isinstance(exc, ChaliceViewError):  # Chalice's own (e.g. BadRequestError raised by a view)
        code = type(exc).__name__.removesuffix("Error").lower() or "error"
        return json_response(exc.STATUS_CODE, {"error": {"code": code, "message": str(exc)}}, headers)
    if not errors.for_caller(exc):
        request_id = request_id or uuid.uuid4().hex
        _log(exc, request_id)
    status, body = errors.answer(exc, request_id)
    return json_response(status, body, {**errors.answer_headers(status, exc), **(headers or {})})


def _log(exc: Exception, request_id: str) -> None:
    """The detail of an answer that stays generic (message, type, cause) goes to the log only."""
    from scrm.observability import logger

    code = errors.code_of(exc)
    extra = {"request_id": request_id, "error_code": code, "error_type": type(exc).__name__}
    if not isinstance(exc, errors.ScrmError):
        logger().exception("API internal error", extra=extra)
    else:
        logger().error(f"API error {code}: {exc}", extra={**extra, "cause": repr(exc.__cause__)[:1000]})
