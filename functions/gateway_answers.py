"""The answers the API gives before any route runs, in the API's error shape `{"error": {"code", "message"}}`.

Chalice itself answers a wrong content type (415), a method a route lacks (405), an unhandled exception
(500) and a binary response the client did not accept (400) as `{"Code", "Message"}`; `ScrmChalice`
rewrites those. Deployed, API Gateway answers an unknown path before Lambda runs (403 "Missing
Authentication Token"): infra/template.py turns that into 404 with a GatewayResponse; locally,
`local_server` does the same for `chalice local`'s imitation of it.
"""

from __future__ import annotations

import json

from chalice import Chalice

from functions.answers import JSON_MEDIA, json_text
from scrm import errors
from scrm.observability import traced

# Chalice's error codes -> ours (the codes infra/template.py's GatewayResponses use for API Gateway's own).
CODES = {"UnsupportedMediaType": "unsupported_media_type", "MethodNotAllowedError": "method_not_allowed",
         "BadRequest": "bad_request", "InternalServerError": "internal"}
UNKNOWN_ROUTE = {"error": {"code": "not_found", "message": "no such route"}}


def reshape(response: dict) -> dict:
    """A Lambda proxy response: Chalice's `{"Code", "Message"}` body becomes `{"error": {"code", "message"}}`."""
    body = response.get("body")
    if not isinstance(body, str) or response.get("isBase64Encoded") or not body.startswith("{"):
        return response
    try:
        parsed = json.loads(body)
    except ValueError:
        return response
    if not (isinstance(parsed, dict) and set(parsed) == {"Code", "Message"} and parsed["Code"] in CODES):
        return response
    message = parsed["Message"] if parsed["Code"] != "InternalServerError" else "internal error; see the logs"
    headers = {**(response.get("headers") or {}), "Content-Type": JSON_MEDIA}
    return {**response, "headers": headers,
            "body": json_text({"error": {"code": CODES[parsed["Code"]], "message": message}})}


class ScrmChalice(Chalice):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Every HTTP route of every blueprint comes through here: one X-Ray subsegment per request.
        self._traced_request = traced(self.api_request, lambda_handler=True)

    def __call__(self, event, context):
        return self._traced_request(event, context)

    def api_request(self, event, context):
        response = super().__call__(event, context)
        if isinstance(event, dict) and "requestContext" in event and isinstance(response, dict):
            return reshape(response)
        return response


def local_server(app, config, host: str, port: int):
    """`chalice local`'s server, answering an unknown path 404 in our shape as the deployed API does."""
    from chalice.local import ChaliceRequestHandler, CustomLocalChalice, ForbiddenError, LocalChalice, LocalDevServer

    class Handler(ChaliceRequestHandler):
        def _send_error_response(self, error) -> None:
            body = error.body or b""  # chalice local's two answers for a path no route matches
            if isinstance(error, ForbiddenError) and (b"Missing Authentication Token" in body
                                                      or b"Authorization header requires" in body):
                headers = {**error.headers, "Content-Type": JSON_MEDIA}
                headers.pop("x-amzn-ErrorType", None)
                self._send_http_response(errors.NotFound.status, headers, json_text(UNKNOWN_ROUTE).encode())
                return
            super()._send_error_response(error)

    if not isinstance(app, CustomLocalChalice):  # what chalice.local.create_local_server does, once per app
        CustomLocalChalice.__bases__ = (LocalChalice, app.__class__)
        app.__class__ = CustomLocalChalice
    return LocalDevServer(app, config, host, port, handler_cls=Handler)
