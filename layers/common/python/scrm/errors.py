"""Typed errors. Each names what is wrong so operators never have to read a traceback.

THE ONE MAPPING FROM ERRORS TO HTTP lives here: every class carries its `status` (the HTTP status an API answers
it with) and whether its message is written for the caller (`for_caller`); `answer(exc, request_id)` turns any
exception into that status and the documented body `{"error": {"code", "message", "field"?, "details"?,
"request_id"?}}`. functions/answers.py (admin and user routes) and the callback refusals
(domain/wechat_crypto.py) use it; no module chooses a status by exception type itself
(tests/unit/test_error_mapping.py greps for that).
"""

from __future__ import annotations


class ScrmError(Exception):
    """Base of every error this project raises on purpose."""

    code = "error"
    status = 400
    # The message is written for the caller (about their input, their rights, or WeChat's own errcode/errmsg,
    # which an admin needs, e.g. the IP to whitelist). Any other error's text may hold internals (SSM paths, IAM
    # role ARNs, boto text): the answer carries only the code, a generic message and the request id.
    for_caller = False


class ConfigError(ScrmError):
    """The environment or an account's configuration is missing or malformed."""

    code = "config_error"
    status = 503


class UnknownAccount(ScrmError):
    code = "unknown_account"
    status = 404
    for_caller = True

    def __init__(self, account_id: str):
        super().__init__(f"unknown account {account_id!r}: register it with the admin API first")
        self.account_id = account_id


class AccountDisabled(ScrmError):
    code = "account_disabled"
    status = 409
    for_caller = True

    def __init__(self, account_id: str):
        super().__init__(f"account {account_id!r} is disabled")
        self.account_id = account_id


class NoAppSecret(ConfigError):
    """The account has no Secret for the self-built app a message is to go out as: nothing can be sent (WeCom
    would refuse any other token with 301002), so the caller records it as not sent instead of retrying."""

    def __init__(self, account_id: str, agentid):
        super().__init__(f"account {account_id} has no Secret for WeCom app {agentid}: set agent_secrets "
                         f'{{"{agentid}": "<the app\'s Secret>"}} (PATCH /accounts/{account_id}; the app\'s page in '
                         "WeCom's admin console shows its AgentId and Secret)")
        self.agentid = agentid


class WeChatError(ScrmError):
    """A WeChat/WeCom API answered with a non-zero errcode (after any retries we allow)."""

    code = "wechat_error"
    status = 502
    for_caller = True

    def __init__(self, errcode, errmsg: str, endpoint: str = ""):
        self.errcode = errcode
        self.errmsg = errmsg
        self.endpoint = endpoint
        self.data: dict = {}  # the JSON body WeChat answered, when it carries more than errcode/errmsg
        super().__init__(f"WeChat API {endpoint or '?'} failed: errcode={errcode} errmsg={errmsg}")


class WeChatRateLimited(WeChatError):
    code = "wechat_rate_limited"
    status = 429


class WeChatBusy(WeChatError):
    code = "wechat_busy"
    status = 503


class WeChatTokenInvalid(WeChatError):
    code = "wechat_token_invalid"
    status = 503


class WeChatUnavailable(ScrmError):
    """The WeChat endpoint could not be reached (connection refused, DNS, timeout) or gave no usable answer.
    Retryable: the admin API answers 503, workers try again later."""

    code = "wechat_unavailable"
    status = 503
    for_caller = True

    def __init__(self, message: str, *, endpoint: str = "", errcode=None, errmsg: str | None = None):
        super().__init__(message)
        self.endpoint = endpoint
        self.errcode = errcode  # -1 when WeChat said "system busy" on a call that is not retried blindly
        self.errmsg = errmsg


class WeChatBadAnswer(WeChatUnavailable):
    """WeChat (or something in front of it) answered HTTP 200 with a body that is not a JSON object: an HTML
    page, an empty body. Never a success: nothing may be recorded as done on such an answer."""


class AmbiguousOutcome(WeChatUnavailable):
    """A call with no dedupe key (add_msg_template, transfer_customer, ...) may or may not have taken effect:
    WeChat answered -1 (system busy), timed out, failed mid-answer or answered something that is not JSON.
    The gateway never resends such a call itself; the caller must look (get_groupmsg_list_v2,
    transfer_result, ...) before sending again. `cause` is the error that made it ambiguous."""

    def __init__(self, message: str, *, endpoint: str = "", errcode=None, errmsg: str | None = None,
                 cause: Exception | None = None):
        super().__init__(message, endpoint=endpoint, errcode=errcode, errmsg=errmsg)
        self.cause = cause


# --- errors the admin API turns into JSON responses (code, message, field details)


class ValidationError(ScrmError):
    """Bad input from a client: the admin API answers 400 naming the field."""

    code = "validation_error"
    status = 400
    for_caller = True

    def __init__(self, message: str, field: str | None = None, details: dict | None = None):
        super().__init__(message)
        self.field = field
        self.details = details or {}


class BadBody(ValidationError):
    """A body that is not a JSON object (malformed, not UTF-8, nested too deep): 400 naming `body`."""

    code = "bad_body"

    def __init__(self, message: str):
        super().__init__(message, field="body")


class PayloadTooLarge(ScrmError):
    """A body over the route's size limit: 413, refused before it is parsed."""

    code = "body_too_large"
    status = 413
    for_caller = True

    def __init__(self, message: str):
        super().__init__(message)
        self.field = "body"


class NotFound(ScrmError):
    code = "not_found"
    status = 404
    for_caller = True


class Conflict(ScrmError):
    code = "conflict"
    status = 409
    for_caller = True


class Forbidden(ScrmError):
    code = "forbidden"
    status = 403
    for_caller = True


class KeyOfDisabledAccount(Forbidden):
    """An admin key of a disabled account: refused (403) until a platform admin enables the account."""

    code = "account_disabled"

    def __init__(self, account_id: str):
        super().__init__(f"account {account_id!r} is disabled: its keys are refused until a platform admin "
                         f"enables it (POST /accounts/{account_id}/enable)")
        self.account_id = account_id


class CsrfFailed(Forbidden):
    """A change made with the console's session cookie without its CSRF token, or from another site: 403."""

    code = "csrf_failed"


class LoginStateInvalid(Forbidden):
    """A WeCom login callback whose state is missing, forged, used or expired (login CSRF): 403."""

    code = "login_state_invalid"


class NoConsoleRole(Forbidden):
    """A WeCom staff member signed in but no admin of the account gave them a console role: 403."""

    code = "no_console_role"


class RateLimited(ScrmError):
    code = "rate_limited"
    status = 429
    for_caller = True

    def __init__(self, message: str = "too many requests", retry_after: int = 1):
        super().__init__(message)
        self.retry_after = max(1, int(retry_after))  # seconds, for the answer's Retry-After


class Unauthorized(ScrmError):
    """No, a malformed, unknown, expired or revoked credential: the admin API answers 401."""

    code = "unauthorized"
    status = 401
    for_caller = True


# --- the one mapping to HTTP

INTERNAL = 500
GENERIC_MESSAGES = {
    "config_error": "the service is not configured correctly for this request; an operator can find the "
                    "cause in the logs under the request id",
    "internal": "internal error; see the logs",
}
GENERIC_MESSAGE = "the request could not be completed"


def status_of(exc: BaseException) -> int:
    """The HTTP status for `exc`: its class's (or its own) `status`; 500 for anything unexpected.

    A refusal that is not a ScrmError but carries an int `status` and a `reason` (the use cases' own refusal
    types) is answered with them too."""
    status = getattr(exc, "status", None)
    if isinstance(exc, ScrmError) or (isinstance(status, int) and isinstance(getattr(exc, "reason", None), str)):
        return int(status)
    return INTERNAL


def code_of(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None)
    if isinstance(reason, str) and not isinstance(exc, ScrmError):
        return reason
    return exc.code if isinstance(exc, ScrmError) else "internal"


def for_caller(exc: BaseException) -> bool:
    """Whether `exc`'s message may be shown to the caller (else it is logged and the answer is generic)."""
    if isinstance(exc, ScrmError):
        return exc.for_caller
    return status_of(exc) != INTERNAL  # a use case's refusal, written for the caller


def answer(exc: BaseException, request_id: str | None = None) -> tuple[int, dict]:
    """`(status, {"error": {"code", "message", "field"?, "details"?, "request_id"?}})` for any exception.

    An error for the caller keeps its message, `field` and `details` (a bad body's every error is
    `details["errors"]`, a list of {field, message}; a WeChat error adds its errcode/errmsg). Any other error
    answers a generic message naming the request id, also in `details.request_id`: its text stays in the log."""
    status, code = status_of(exc), code_of(exc)
    if not for_caller(exc):
        message = f"{GENERIC_MESSAGES.get(code, GENERIC_MESSAGE)} (request id {request_id})"
        err = {"code": code, "message": message, "details": {"request_id": request_id}}
    else:
        err = {"code": code, "message": str(exc)}
        if getattr(exc, "field", None):
            err["field"] = exc.field
        details = dict(getattr(exc, "details", None) or {})
        if isinstance(exc, WeChatError):
            details.update(errcode=exc.errcode, errmsg=exc.errmsg)
        if details:
            err["details"] = details
    if request_id:
        err["request_id"] = request_id
    return status, {"error": err}


def answer_headers(status: int, exc: BaseException | None = None) -> dict:
    """The headers an error answer of `status` carries (how to authenticate; when to retry)."""
    if status == 401:
        return {"WWW-Authenticate": 'Bearer realm="scrm-admin"'}
    if status == 429:
        return {"Retry-After": str(getattr(exc, "retry_after", 1))}
    return {}
