"""Typed errors. Each names what is wrong so operators never have to read a traceback."""


class ScrmError(Exception):
    """Base of every error this project raises on purpose."""

    code = "error"


class ConfigError(ScrmError):
    """The environment or an account's configuration is missing or malformed."""

    code = "config_error"


class UnknownAccount(ScrmError):
    code = "unknown_account"

    def __init__(self, account_id: str):
        super().__init__(f"unknown account {account_id!r}: register it with the admin API first")
        self.account_id = account_id


class AccountDisabled(ScrmError):
    code = "account_disabled"

    def __init__(self, account_id: str):
        super().__init__(f"account {account_id!r} is disabled")
        self.account_id = account_id


class WeChatError(ScrmError):
    """A WeChat/WeCom API answered with a non-zero errcode (after any retries we allow)."""

    code = "wechat_error"

    def __init__(self, errcode, errmsg: str, endpoint: str = ""):
        self.errcode = errcode
        self.errmsg = errmsg
        self.endpoint = endpoint
        self.data: dict = {}  # the JSON body WeChat answered, when it carries more than errcode/errmsg
        super().__init__(f"WeChat API {endpoint or '?'} failed: errcode={errcode} errmsg={errmsg}")


class WeChatRateLimited(WeChatError):
    code = "wechat_rate_limited"


class WeChatBusy(WeChatError):
    code = "wechat_busy"


class WeChatTokenInvalid(WeChatError):
    code = "wechat_token_invalid"


class WeChatUnavailable(ScrmError):
    """The WeChat endpoint could not be reached (connection refused, DNS, timeout) or gave no usable answer.
    Retryable: the admin API answers 503, workers try again later."""

    code = "wechat_unavailable"

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

    def __init__(self, message: str, field: str | None = None, details: dict | None = None):
        super().__init__(message)
        self.field = field
        self.details = details or {}


class NotFound(ScrmError):
    code = "not_found"


class Conflict(ScrmError):
    code = "conflict"


class Forbidden(ScrmError):
    code = "forbidden"


class KeyOfDisabledAccount(Forbidden):
    """An admin key of a disabled account: refused (403) until a platform admin enables the account."""

    code = "account_disabled"

    def __init__(self, account_id: str):
        super().__init__(f"account {account_id!r} is disabled: its keys are refused until a platform admin "
                         f"enables it (POST /accounts/{account_id}/enable)")
        self.account_id = account_id


class RateLimited(ScrmError):
    code = "rate_limited"


class Unauthorized(ScrmError):
    """No, a malformed, unknown, expired or revoked credential: the admin API answers 401."""

    code = "unauthorized"
