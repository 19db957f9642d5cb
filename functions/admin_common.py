"""The admin API route decorator: authentication, roles, tenancy, JSON errors, audit, idempotency; and the names
every `functions/<area>_api.py` imports (the plumbing lives in modules of one concern: admin_auth (keys, roles,
tenancy), admin_context (what a view is handed), paging (cursors, limits), answers (JSON and errors, through
the one mapping in scrm/errors.py), routes (the route table the OpenAPI document is generated from)).

THE OPENAPI DOCUMENT IS GENERATED: `functions/openapi.yaml` is the output of `python -m functions.contract
--write` (served at GET /openapi.json and GET /openapi.yaml), built from the route table and the pydantic
models each route names (`body=` its request model, `answer=` its success body's model, `query=` a model of its
query parameters, as "module.Class" of scrm.contracts, imported by the generator only; `raises=` the error classes
it may answer beyond 400/401/403/404). The view's docstring is
the operation's summary (first paragraph) and description. tests/integration/test_admin_openapi.py fails when
the committed document is not the generated one, and checks answers against it.

Usage, in `functions/<area>_api.py` (add the module to the tuple in app.py):

    from chalice import Blueprint
    from functions.admin_common import admin_route, page
    from scrm import errors

    bp = Blueprint(__name__)

    @admin_route(bp, "/accounts/{account_id}/channels", methods=("POST",), role="operator",
                 audit="channel.create", status=201, idempotent_create=True, body=ChannelBody,
                 answer="answers.Channel", raises=(errors.Conflict,))
    def create_channel(ctx, account_id):
        \"\"\"Create a channel\"\"\"
        from scrm.services.channels import create   # lazy: keep the cold start small
        return create(ctx.scope, account_id, ctx.body)

    @admin_route(bp, "/accounts/{account_id}/channels", answer="answers.Channel", paged=True)
    def list_channels(ctx, account_id):
        \"\"\"List channels\"\"\"
        from scrm.services.channels import query, view
        return page(lambda limit, start: query(ctx.scope, account_id, limit=limit, start=start), ctx, view=view)
"""

from __future__ import annotations

import functools
import json

from chalice import Response

from functions import admin_auth
from functions.admin_auth import (  # noqa: F401  (the names the area modules and tests import from here)
    GATEWAY_AUTHORIZER,
    PLATFORM_ROLE,
    authorizer,
)
from functions.admin_auth import bearer as _bearer  # noqa: F401
from functions.admin_context import AdminContext
from functions.answers import error_for, json_response
from functions.paging import (  # noqa: F401
    DEFAULT_LIMIT,
    MAX_LIMIT,
    decode_cursor,
    encode_cursor,
    page,
    page_position,
)
from functions.paging import actual_path as _actual_path
from functions.routes import Route, model, record
from scrm import errors
from scrm.accounts import ACCOUNT_ID

# The only routes that are not admin routes, on purpose; tests/integration/test_admin_api.py walks every other route
# of the app and expects admin_route's 401/403. Add a prefix here only for a route with its own authentication.
PUBLIC_PATHS = ("/health", "/openapi.json", "/openapi.yaml",
                "/console", "/docs")  # the console's page and Swagger UI: static, no data (functions/console.py)
PUBLIC_PREFIXES = ("/wechat/",  # WeChat callbacks: signature, timestamp and appid checked by wechat_callback
                   "/u/",  # end-user (follower) routes: signed user tokens (scrm.domain.user_tokens)
                   "/c/",  # the campaign page and its static files: no data of anyone, the page calls /u/
                   "/m/",  # members-only group codes' verification page and its files: static, it calls /u/
                   "/console/")  # console sign-in: the key in the body, the session cookie, WeCom's login code
BODY_METHODS = ("POST", "PUT", "PATCH", "DELETE")
IDEMPOTENCY_KEY_MAX = 128
# Reads of customers' personal data are audited like changes (PIPL): the route's default `audit` action.
PERSONAL_DATA_READS = {
    "/accounts/{account_id}/contacts": "contact.read",
    "/accounts/{account_id}/campaigns/{campaign_id}/draws": "campaign.draws.read",
    "/accounts/{account_id}/reassignment/plans/{plan_id}/items": "reassignment_plan.items.read",
    "/accounts/{account_id}/reassignment/customers/{external_userid}": "reassignment.customer.read",
    "/accounts/{account_id}/followers/{openid}": "follower.read",
}


def status_for(exc: Exception) -> int:
    """The HTTP status for an error raised by a use case (the one mapping: scrm.errors.status_of)."""
    return errors.status_of(exc)


# --- the body


def _parse_body(request) -> dict:
    raw = request.raw_body or b""
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw, parse_constant=_no_constant)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise errors.ValidationError(f"malformed JSON body: {exc}", field="body") from None
    if not isinstance(body, dict):
        raise errors.ValidationError("the JSON body must be an object", field="body")
    return body


def _no_constant(name):
    raise ValueError(f"{name} is not valid JSON")


def _body_context(body_cls, account_id: str | None) -> dict | None:
    """What a body model's rules need to know about the account: its platform, for models that declare
    `PLATFORM_RULES` (a WeCom push sends `wecom` content, an OA's tag ids are integers). Read from the account
    registry's per-container cache; an unknown account gets no platform (those rules are left to the use case,
    which answers 404)."""
    if not getattr(body_cls, "PLATFORM_RULES", False) or not account_id:
        return None
    from scrm import accounts

    try:
        return {"platform": accounts.get(account_id, allow_disabled=True).kind}
    except errors.UnknownAccount:
        return None


# --- idempotent creates (Idempotency-Key)


class _Idempotency:
    """One create's claim on its Idempotency-Key: begin (or replay), then finish or abandon."""

    def __init__(self, ctx: AdminContext, request):
        from scrm.services import admin_requests

        key = request.headers.get("idempotency-key") or None
        ctx.idempotency_key = key
        self.requests, self.item = admin_requests, None
        if not key:
            return
        if len(key) > IDEMPOTENCY_KEY_MAX:
            raise errors.ValidationError(f"Idempotency-Key must be at most {IDEMPOTENCY_KEY_MAX} characters",
                                         field="Idempotency-Key")
        self.item = admin_requests.item_id(ctx.scope.account_id, ctx.key.key_id, request.method,
                                           _actual_path(request), key)

    def begin(self, ctx: AdminContext, request):
        """The stored (status, body) of an earlier request with this key, or None (this one runs)."""
        if self.item is None:
            return None
        presented = admin_auth.bearer(request.headers.get("authorization")) or ""
        return self.requests.begin(self.item, self.requests.body_hash(ctx.body, presented))

    def abandon(self) -> None:
        if self.item:
            self.requests.abandon(self.item)

    def finish(self, code: int, body) -> None:
        if self.item:
            self.requests.finish(self.item, code, body)


def _run(view, ctx: AdminContext, params: dict, request, status: int, idempotent_create: bool):
    claim = _Idempotency(ctx, request) if idempotent_create else None
    stored = claim.begin(ctx, request) if claim else None
    if stored is not None:
        return json_response(stored[0], stored[1], {"Idempotent-Replayed": "true"})
    try:
        result = view(ctx, **params)
    except BaseException:
        if claim:
            claim.abandon()
        raise
    if isinstance(result, Response) and (claim is None or claim.item is None):
        return result  # a view that shapes its own response (binary image, CSV download)
    code, body = result if isinstance(result, tuple) else (status, result)
    if claim:
        claim.finish(code, body)
    return json_response(code, body)


# --- audit


def _created_account(response) -> str | None:
    try:
        body = json.loads(response.body)
    except (TypeError, ValueError):
        return None
    return body.get("account_id") if isinstance(body, dict) else None


def _audit(action, key, account_id, request, status, outcome, detail, request_id):
    from scrm.services import audit

    if account_id is not None and not ACCOUNT_ID.match(account_id):
        account_id = None  # not an account: file it under the platform

    audit.record(account_id if account_id is not None else (None if key.platform else key.account_id),
                 key_id=key.key_id, action=action, object=_actual_path(request), outcome=outcome, status=status,
                 method=request.method, detail=detail, request_id=request_id)


def _audit_failure(audit: str, key, account_id, request, response, request_id) -> None:
    err = json.loads(response.body)["error"]
    outcome = "denied" if response.status_code == errors.Forbidden.status else "error"
    _audit(audit, key, account_id, request, response.status_code, outcome, f"{err['code']}: {err['message']}",
           request_id)


# --- the route decorator


def _answer(bp, view, params: dict, role: str, audit: str | None, status: int, idempotent_create: bool,
            body_model=None):
    """One admin request: authenticate, authorize, check the body against the route's model (every wrong field
    reported at once), run the view; every error becomes JSON; audit either way."""
    request = bp.current_request
    request_id = (request.context or {}).get("requestId")
    account_id = params.get("account_id")
    key = None
    try:
        key = admin_auth.authenticate(request)
        scope = admin_auth.authorize(key, role, account_id)
        ctx = AdminContext(scope=scope, body=_parse_body(request) if request.method in BODY_METHODS else {},
                           query=dict(request.query_params or {}), idempotency_key=None, request=request,
                           key=key, path_params=params)
        if body_model is not None and request.method in ("POST", "PUT", "PATCH"):  # a PATCH: its partial model
            from scrm.contracts import parse  # pydantic: loaded by the first request with a body, not at import

            body_cls = model(body_model)
            parse(body_cls, ctx.body, context=_body_context(body_cls, account_id))
        response = _run(view, ctx, params, request, status, idempotent_create)
    except Exception as exc:  # every error becomes JSON; unexpected ones are logged
        response = error_for(exc, request_id)
        key = key or getattr(exc, "principal", None)  # a console session refused for CSRF is audited too
        if key is not None and audit:
            _audit_failure(audit, key, account_id, request, response, request_id)
        return response
    if audit:
        _audit(audit, key, account_id or _created_account(response), request, response.status_code,
               "ok" if response.status_code < 400 else "error", None, request_id)
    return response


def admin_route(bp, path: str, methods=("GET",), role: str = "read-only", audit: str | None = None,
                status: int = 200, idempotent_create: bool = False, *, body=None, answer=None, query=None,
                raises: tuple = (), paged: bool = False, media: dict | None = None, contract: bool = True):
    """Register `view(ctx, **path_params)` as an authenticated admin route on blueprint `bp`, and record it in
    the route table (functions/routes.py) the OpenAPI document is generated from.

    role: the least role the key needs ("read-only" < "operator" < "admin"; "platform": platform keys only).
    audit: action name recorded in the audit log (e.g. "channel.create"), for success and failure.
    status: the status of a plain (non-tuple) return. idempotent_create: honour the Idempotency-Key header.
    body / answer / query: the request body's, the success body's (a paged route's: its items') and the query
    parameters' models, as "module.Class" of scrm.contracts.
    raises: error classes the route may answer beyond 400/401/403/404. paged: takes ?limit and ?cursor.
    contract: False only for a local-stack route (local/console_control.py): left out of the route table, so
    of the OpenAPI document, because no deployed stage has it.
    """
    admin_auth.check_role(role)
    methods = [m.upper() for m in methods]
    audit = audit or (PERSONAL_DATA_READS.get(path) if methods == ["GET"] else None)

    def register(view):
        @functools.wraps(view)
        def handler(**params):
            return _answer(bp, view, params, role, audit, status, idempotent_create, body)

        for method in methods if contract else ():
            record(Route(path, method, view, role=role, body=body, answer=answer, status=status, query=query,
                         errors=tuple(raises), idempotent=idempotent_create, paged=paged, audit=audit,
                         media=dict(media or {})))
        bp.route(path, methods=methods, authorizer=authorizer if GATEWAY_AUTHORIZER else None)(handler)
        handler.admin_role = role
        handler.audit_action = audit
        return handler

    return register
