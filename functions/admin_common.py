"""Shared plumbing for every admin API route: authentication, roles, tenancy, JSON errors, audit, idempotency,
cursor pagination.

THE OPENAPI DOCUMENT IS `functions/openapi.yaml` (shipped with the functions, served at GET /openapi.json and
GET /openapi.yaml). Add every route you create there: path, parameters, request body schema, responses (reuse
`components`: parameters AccountId/Limit/Cursor/IdempotencyKey, responses BadRequest/Unauthorized/Forbidden/
NotFound/Conflict/RateLimited, schemas Error/Page). tests/integration/test_admin_openapi.py fails for any route
of `app.routes` that is missing there, and checks responses against it.

Usage, in `functions/<area>_api.py` (add the module to the tuple in app.py):

    from chalice import Blueprint
    from functions.admin_common import admin_route, page

    bp = Blueprint(__name__)

    @admin_route(bp, "/accounts/{account_id}/channels", methods=("POST",), role="operator",
                 audit="channel.create", status=201, idempotent_create=True)
    def create_channel(ctx, account_id):
        from scrm.services.channels import create   # lazy: keep the cold start small
        ctx.allow_only("name", "welcome")             # 400 naming an unexpected field
        return create(ctx.scope, account_id, name=ctx.field("name", max_length=64))

    @admin_route(bp, "/accounts/{account_id}/channels")
    def list_channels(ctx, account_id):
        from scrm.services.channels import query, view
        return page(lambda limit, start: query(ctx.scope, account_id, limit=limit, start=start), ctx, view=view)

Authentication is done here, inside every admin route, not by an API Gateway authorizer: it needs the path's
account_id for tenancy, must answer with our JSON errors (401 vs 403), must see a revocation at once (API
Gateway caches authorizer answers), and works the same in `chalice local`, `chalice.test.Client` and Lambda.
`authorizer` below is the same check as a Chalice built-in authorizer, for a stage that also wants API Gateway
to turn away key-less calls before they reach Lambda (register this module's `bp` and pass
`authorizer=authorizer` in `admin_route` via GATEWAY_AUTHORIZER); it is not attached by default.
"""

from __future__ import annotations

import base64
import functools
import json
from dataclasses import dataclass, field

from chalice import Blueprint, Response

from scrm import errors
from scrm.accounts import ACCOUNT_ID
from scrm.tenancy import ROLES, Scope

bp = Blueprint(__name__)
# The only routes that are not admin routes, on purpose; tests/integration/test_admin_api.py walks every other route
# of the app and expects admin_route's 401/403. Add a prefix here only for a route with its own authentication.
PUBLIC_PATHS = ("/health", "/openapi.json", "/openapi.yaml")
PUBLIC_PREFIXES = ("/wechat/",  # WeChat callbacks: signature, timestamp and appid checked by wechat_callback
                   "/u/")  # end-user (follower) routes: signed user tokens (scrm.domain.user_tokens)
GATEWAY_AUTHORIZER = False  # see the module docstring
PLATFORM_ROLE = "platform"  # route role: only platform keys (e.g. registering accounts)
BODY_METHODS = ("POST", "PUT", "PATCH", "DELETE")
DEFAULT_LIMIT, MAX_LIMIT = 50, 200
IDEMPOTENCY_KEY_MAX = 128
# Reads of customers' personal data are audited like changes (PIPL): the route's default `audit` action.
PERSONAL_DATA_READS = {
    "/accounts/{account_id}/contacts": "contact.read",
    "/accounts/{account_id}/campaigns/{campaign_id}/draws": "campaign.draws.read",
    "/accounts/{account_id}/reassignment/plans/{plan_id}/items": "reassignment_plan.items.read",
    "/accounts/{account_id}/reassignment/customers/{external_userid}": "reassignment.customer.read",
}


def _bearer(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise errors.Unauthorized("Authorization header must be 'Bearer <key>'")
    return value.strip()


@bp.authorizer(ttl_seconds=60, name="admin_key_authorizer")
def authorizer(auth_request):
    """Chalice built-in authorizer: allows any valid, unrevoked, unexpired key (tenancy and roles are checked
    by admin_route, which knows the path)."""
    from chalice import AuthResponse

    from scrm.services.admin_keys import authenticate

    try:
        key = authenticate(_bearer(auth_request.token))
    except errors.ScrmError:
        return AuthResponse(routes=[], principal_id="anonymous")
    return AuthResponse(routes=["*"], principal_id=key.key_id,
                        context={"key_id": key.key_id, "account_id": key.account_id, "role": key.role})


@dataclass
class AdminContext:
    scope: Scope
    body: dict
    query: dict
    idempotency_key: str | None
    request: object
    key: object = None  # scrm.services.admin_keys.KeyInfo
    path_params: dict = field(default_factory=dict)

    @property
    def platform(self) -> bool:
        """True for platform keys (may act on every account and register accounts)."""
        return bool(self.key and self.key.platform)

    @property
    def base_url(self) -> str:
        """Where this API is reached from outside (for callback URLs): SCRM_PUBLIC_BASE_URL, else the request."""
        import os

        configured = os.environ.get("SCRM_PUBLIC_BASE_URL")
        if configured:
            return configured.rstrip("/")
        headers = self.request.headers
        host = headers.get("host") or "localhost"
        proto = headers.get("x-forwarded-proto") or ("https" if ".amazonaws.com" in host else "http")
        stage = (self.request.context or {}).get("stage") if "execute-api" in host else None
        return f"{proto}://{host}" + (f"/{stage}" if stage else "")

    def allow_only(self, *names: str) -> None:
        extra = sorted(set(self.body) - set(names))
        if extra:
            raise errors.ValidationError(f"unexpected field {extra[0]!r}; allowed: {', '.join(names)}",
                                         field=extra[0])

    def field(self, name: str, kind: type | tuple = str, *, required: bool = True, default=None,
              max_length: int | None = None, min_length: int | None = None, choices=None, pattern=None,
              minimum=None, maximum=None):
        """Read and check one body field; a problem raises ValidationError naming it."""
        if name not in self.body or self.body[name] is None:
            if required:
                raise errors.ValidationError(f"{name} is required", field=name)
            return default
        value = self.body[name]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if (isinstance(value, bool) and bool not in kinds) or not isinstance(value, kinds):
            names = " or ".join(_TYPE_NAMES.get(k, k.__name__) for k in kinds)
            raise errors.ValidationError(f"{name} must be {names}", field=name)
        if isinstance(value, str | list | dict):
            if max_length is not None and len(value) > max_length:
                raise errors.ValidationError(f"{name} must be at most {max_length} long", field=name)
            if min_length is not None and len(value) < min_length:
                raise errors.ValidationError(f"{name} must be at least {min_length} long", field=name)
        if isinstance(value, int | float) and not isinstance(value, bool):
            if minimum is not None and value < minimum:
                raise errors.ValidationError(f"{name} must be >= {minimum}", field=name)
            if maximum is not None and value > maximum:
                raise errors.ValidationError(f"{name} must be <= {maximum}", field=name)
        if choices is not None and value not in choices:
            raise errors.ValidationError(f"{name} must be one of {', '.join(map(str, choices))}", field=name)
        if pattern is not None and isinstance(value, str):
            import re

            if not re.fullmatch(pattern, value):
                raise errors.ValidationError(f"{name} has an invalid format", field=name)
        return value

    def limit(self, default: int = DEFAULT_LIMIT, maximum: int = MAX_LIMIT) -> int:
        raw = self.query.get("limit")
        if raw in (None, ""):
            return default
        try:
            value = int(raw)
        except ValueError:
            raise errors.ValidationError("limit must be an integer", field="limit") from None
        if not 1 <= value <= maximum:
            raise errors.ValidationError(f"limit must be between 1 and {maximum}", field="limit")
        return value


_TYPE_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "true or false", dict: "an object",
               list: "a list"}


# --- JSON errors


def error_response(status: int, code: str, message: str, field_name: str | None = None,
                   details: dict | None = None, headers: dict | None = None) -> Response:
    err = {"code": code, "message": message}
    if field_name:
        err["field"] = field_name
    if details:
        err["details"] = details
    return json_response(status, {"error": err}, headers)


def json_response(status: int, body, headers: dict | None = None) -> Response:
    return Response(body=json.dumps(body, default=str), status_code=status,
                    headers={"Content-Type": "application/json", **(headers or {})})


def status_for(exc: Exception) -> int:
    """The HTTP status for an error raised by a use case."""
    e = errors
    for cls, status in ((e.ValidationError, 400), (e.Unauthorized, 401), (e.Forbidden, 403), (e.NotFound, 404),
                        (e.UnknownAccount, 404), (e.Conflict, 409), (e.AccountDisabled, 409),
                        (e.RateLimited, 429), (e.WeChatRateLimited, 429), (e.WeChatBusy, 503),
                        (e.WeChatTokenInvalid, 503), (e.WeChatUnavailable, 503), (e.WeChatError, 502),
                        (e.ConfigError, 503), (e.ScrmError, 400)):
        if isinstance(exc, cls):
            return status
    return 500


# Errors whose message is written for the caller: about their input, their rights, or WeChat (its own
# errcode/errmsg, which an admin needs, e.g. the IP to whitelist; WeChatUnavailable names the WeChat endpoint and
# the kind of failure, never exception text: gateway/base.py). Any other error's text may hold internals (SSM
# paths, IAM role ARNs, boto text): it is logged with the request id, and the answer carries only the code, a
# generic message and that id.
CLIENT_ERRORS = (errors.ValidationError, errors.Unauthorized, errors.Forbidden, errors.NotFound,
                 errors.UnknownAccount, errors.Conflict, errors.AccountDisabled, errors.RateLimited,
                 errors.WeChatError, errors.WeChatUnavailable)
GENERIC_MESSAGES = {
    "config_error": "the service is not configured correctly for this request; an operator can find the "
                    "cause in the logs under the request id",
}


def error_for(exc: Exception, request_id: str | None = None) -> Response:
    from chalice import ChaliceViewError

    if isinstance(exc, errors.ScrmError):
        status = status_for(exc)
        headers = {"WWW-Authenticate": 'Bearer realm="scrm-admin"'} if status == 401 else None
        if status == 429:
            headers = {"Retry-After": "1"}
        if not isinstance(exc, CLIENT_ERRORS):
            return _generic(exc, status, exc.code, request_id, headers)
        details = dict(getattr(exc, "details", None) or {})
        if isinstance(exc, errors.WeChatError):
            details.update(errcode=exc.errcode, errmsg=exc.errmsg)
        return error_response(status, exc.code, str(exc), getattr(exc, "field", None), details, headers)
    if isinstance(exc, ChaliceViewError):
        return error_response(exc.STATUS_CODE, type(exc).__name__.removesuffix("Error").lower() or "error",
                              str(exc))
    return _generic(exc, 500, "internal", request_id)


def _generic(exc: Exception, status: int, code: str, request_id: str | None, headers: dict | None = None
             ) -> Response:
    """A generic answer with a correlation id; the detail (message, type, cause) goes to the log only."""
    import uuid

    from scrm.observability import logger

    request_id = request_id or uuid.uuid4().hex
    extra = {"request_id": request_id, "error_code": code, "error_type": type(exc).__name__}
    if status >= 500 and not isinstance(exc, errors.ScrmError):
        logger().exception("admin API internal error", extra=extra)
    else:
        logger().error(f"admin API error {code}: {exc}", extra={**extra, "cause": repr(exc.__cause__)[:1000]})
    message = GENERIC_MESSAGES.get(code, "the request could not be completed")
    if code == "internal":
        message = "internal error; see the logs"
    return error_response(status, code, f"{message} (request id {request_id})", details={"request_id": request_id},
                          headers=headers)


# --- the route decorator


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


def _actual_path(request) -> str:
    path = request.path
    for name, value in (request.uri_params or {}).items():
        path = path.replace("{" + name + "}", value)
    return path


def admin_route(bp, path: str, methods=("GET",), role: str = "read-only", audit: str | None = None,
                status: int = 200, idempotent_create: bool = False):
    """Register `view(ctx, **path_params)` as an authenticated admin route on blueprint `bp`.

    role: the least role the key needs ("read-only" < "operator" < "admin"; "platform": platform keys only).
    audit: action name recorded in the audit log (e.g. "channel.create"), for success and failure.
    status: the status of a plain (non-tuple) return. idempotent_create: honour the Idempotency-Key header.
    """
    if role not in (*ROLES, PLATFORM_ROLE):
        raise ValueError(f"role must be one of {ROLES} or {PLATFORM_ROLE!r}")
    methods = [m.upper() for m in methods]
    audit = audit or (PERSONAL_DATA_READS.get(path) if methods == ["GET"] else None)

    def register(view):
        @functools.wraps(view)
        def handler(**params):
            request = bp.current_request
            request_id = (request.context or {}).get("requestId")
            key = None
            scope = None
            account_id = params.get("account_id")
            try:
                from scrm.services.admin_keys import authenticate

                key = authenticate(_bearer(request.headers.get("authorization")))
                scope = key.scope_for(account_id)
                if role == PLATFORM_ROLE and not key.platform:
                    raise errors.Forbidden("only a platform key may do this")
                if role != PLATFORM_ROLE and not scope.can(role):
                    raise errors.Forbidden(f"this needs the {role} role; key {key.key_id} is {key.role}")
                if account_id is not None:
                    scope.check(account_id)
                    if not ACCOUNT_ID.match(account_id):  # only platform keys get here with one
                        raise errors.NotFound(f"no account {account_id[:70]!r}")
                ctx = AdminContext(scope=scope, body=_parse_body(request) if request.method in BODY_METHODS else {},
                                   query=dict(request.query_params or {}), idempotency_key=None, request=request,
                                   key=key, path_params=params)
                response = _run(view, ctx, params, request)
            except Exception as exc:  # every error becomes JSON; unexpected ones are logged
                response = error_for(exc, request_id)
                if key is not None and audit:
                    err = json.loads(response.body)["error"]
                    _audit(audit, key, account_id, request, response.status_code,
                           "denied" if response.status_code == 403 else "error",
                           f"{err['code']}: {err['message']}", request_id)
                return response
            if audit:
                _audit(audit, key, account_id or _created_account(response), request, response.status_code,
                       "ok" if response.status_code < 400 else "error", None, request_id)
            return response

        def _run(view, ctx, params, request):
            item = None
            if idempotent_create:
                ctx.idempotency_key = request.headers.get("idempotency-key") or None
                if ctx.idempotency_key:
                    if len(ctx.idempotency_key) > IDEMPOTENCY_KEY_MAX:
                        raise errors.ValidationError(f"Idempotency-Key must be at most {IDEMPOTENCY_KEY_MAX} "
                                                     "characters", field="Idempotency-Key")
                    from scrm.services import admin_requests

                    item = admin_requests.item_id(ctx.scope.account_id, ctx.key.key_id, request.method,
                                                  _actual_path(request), ctx.idempotency_key)
                    presented = _bearer(request.headers.get("authorization")) or ""
                    stored = admin_requests.begin(item, admin_requests.body_hash(ctx.body, presented))
                    if stored is not None:
                        return json_response(stored[0], stored[1], {"Idempotent-Replayed": "true"})
            try:
                result = view(ctx, **params)
            except BaseException:
                if item:
                    from scrm.services import admin_requests

                    admin_requests.abandon(item)
                raise
            if isinstance(result, Response) and item is None:
                return result  # a view that shapes its own response (binary image, CSV download)
            code, body = result if isinstance(result, tuple) else (status, result)
            if item:
                from scrm.services import admin_requests

                admin_requests.finish(item, code, body)
            return json_response(code, body)

        bp.route(path, methods=methods, authorizer=authorizer if GATEWAY_AUTHORIZER else None)(handler)
        handler.admin_role = role
        handler.audit_action = audit
        return handler

    return register


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


# --- cursor pagination


def _cursor_scope(path: str) -> str:
    import hashlib

    return hashlib.sha256(path.encode()).hexdigest()[:12]


def encode_cursor(last_key: dict | None, path: str = "") -> str | None:
    """Opaque cursor: the last key, bound to the listing's path (a cursor of one account fails on another)."""
    if not last_key:
        return None
    raw = json.dumps({"k": last_key, "p": _cursor_scope(path)}, sort_keys=True, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, path: str = "") -> dict | None:
    if not cursor:
        return None
    bad = errors.ValidationError("cursor is not one this listing returned", field="cursor")
    try:
        value = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, TypeError):
        raise bad from None
    if (not isinstance(value, dict) or value.get("p") != _cursor_scope(path) or not isinstance(value.get("k"), dict)
            or not value["k"]):
        raise bad
    return value["k"]


def page(items_query, ctx: AdminContext, *, view=None, default_limit: int = DEFAULT_LIMIT,
         max_limit: int = MAX_LIMIT) -> dict:
    """`{"items": [...], "next_cursor": str|None}` for one page.

    items_query(limit=int, start=dict|None) returns a PynamoDB result iterator (query/scan with
    `limit=` and `last_evaluated_key=`) or a tuple (items, last_key). `view` maps each item to JSON.
    """
    limit = ctx.limit(default_limit, max_limit)
    path = _actual_path(ctx.request)
    start = decode_cursor(ctx.query.get("cursor"), path)
    try:
        result = items_query(limit=limit, start=start)
        if isinstance(result, tuple):
            items, last = result
            items = list(items)
        else:
            items = list(result)
            last = result.last_evaluated_key
    except errors.ScrmError:
        raise
    except Exception:
        if start is None:
            raise
        raise errors.ValidationError("cursor is not one this listing returned", field="cursor") from None
    return {"items": [view(i) for i in items] if view else items, "next_cursor": encode_cursor(last, path)}
