"""Gateway core: wechatpy clients pointed at a configurable base URL, shared tokens, bounded retries.

wechatpy's own `auto_retry` recurses without bound when WeChat keeps answering 40001, and its token
fetch ignores API_BASE_URL; so auto_retry is off, tokens come from `TokenCache`, and `_request` is
wrapped by `call_with_policy`: one retry after a token refresh, short back-offs on -1 / 45009 / 45033,
and a typed error for everything else.

Two rules on top:
- An answer that is not a JSON object (wechatpy hands back the raw response for an HTML page or an empty
  body) is `WeChatBadAnswer`, a retryable `WeChatUnavailable`, never a success.
- Calls with no dedupe key (`NOT_IDEMPOTENT`: a second call acts twice) are never resent blindly: -1, a
  timeout, a broken connection, an HTTP 5xx or a non-JSON answer may hide a call WeChat did process, so they
  raise `AmbiguousOutcome` at once and the caller looks before resending. Only a token error (WeChat refused
  the call before doing anything) is retried for them.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable

from ..accounts import Account
from ..config import settings
from ..errors import (
    AmbiguousOutcome,
    WeChatBadAnswer,
    WeChatBusy,
    WeChatError,
    WeChatRateLimited,
    WeChatTokenInvalid,
    WeChatUnavailable,
)
from ..observability import wechat_call
from .tokens import TokenCache

TOKEN_ERRORS = {40001, 40014, 42001}
BUSY = {-1}
RATE_LIMITED = {45009, 45011, 45033}
BUSY_RETRIES = 2

# Endpoints whose repeat acts twice and that carry no dedupe key. Mass sends (clientmsgid), template
# messages (client_msg_id), welcome messages (a code works once: a repeat hears 41051) and tagging are safe
# to repeat; these are not.
NOT_IDEMPOTENT = frozenset({
    "externalcontact/add_msg_template",  # a second group-message task for the staff member
    "externalcontact/transfer_customer",
    "externalcontact/resigned/transfer_customer",
    "externalcontact/groupchat/transfer",
    "externalcontact/groupchat/onjob_transfer",
    "externalcontact/add_contact_way",  # a second contact way
    "message/custom/send",  # a customer-service message sent twice
    "message/send",  # a WeCom app message sent twice
    "menu/addconditional",  # a second conditional menu
    "externalcontact/add_corp_tag",  # a tag made again under a new id if its group was renamed meanwhile
    "externalcontact/add_moment_task",  # a second moment task (customers' 4-a-month allowance spent twice)
})


def endpoint_path(url_or_endpoint: str) -> str:
    """'https://host/cgi-bin/externalcontact/x?y' or 'externalcontact/x' -> 'externalcontact/x';
    'https://host/datacube/getusersummary' -> 'datacube/getusersummary'."""
    path = url_or_endpoint.split("?", 1)[0]
    if "/cgi-bin/" in path:
        path = path.split("/cgi-bin/", 1)[1]
    elif "/datacube/" in path:  # the OA's statistics live beside /cgi-bin/ (api.weixin.qq.com/datacube/...)
        path = "datacube/" + path.split("/datacube/", 1)[1]
    return path.strip("/")


def is_idempotent(endpoint: str) -> bool:
    return endpoint_path(endpoint) not in NOT_IDEMPOTENT


def classify(errcode, errmsg, endpoint) -> WeChatError:
    if errcode in TOKEN_ERRORS:
        return WeChatTokenInvalid(errcode, errmsg, endpoint)
    if errcode in RATE_LIMITED:
        return WeChatRateLimited(errcode, errmsg, endpoint)
    if errcode in BUSY:
        return WeChatBusy(errcode, errmsg, endpoint)
    return WeChatError(errcode, errmsg, endpoint)


def decoded_answer(result, endpoint: str) -> dict:
    """WeChat's answer as a dict, or WeChatBadAnswer: wechatpy returns the raw response when it is not JSON."""
    if isinstance(result, dict):
        return result
    status = getattr(result, "status_code", None)
    ctype = (getattr(result, "headers", None) or {}).get("Content-Type") or "no content type"
    size = len(getattr(result, "content", b"") or b"")
    what = "an empty body" if status is not None and not size else f"{size} bytes of {ctype}"
    raise WeChatBadAnswer(f"WeChat API {endpoint} answered HTTP {status or '?'} with {what}, not a JSON object",
                          endpoint=endpoint)


def call_with_policy(send: Callable[[dict], dict], kwargs: dict, endpoint: str, *, token: Callable[[], str],
                     invalidate: Callable[[str], None], backoff: float, sleep=time.sleep,
                     retry_ambiguous: bool | None = None) -> dict:
    """Run one API call under the retry policy. `send(kwargs)` performs the HTTP call with a token and
    returns wechatpy's answer. `retry_ambiguous=False` (the default for NOT_IDEMPOTENT endpoints) turns
    every outcome that may hide a processed call into AmbiguousOutcome instead of retrying it."""
    if retry_ambiguous is None:
        retry_ambiguous = is_idempotent(endpoint)
    refreshed = False
    busy_tries = 0
    while True:
        used = token()
        attempt = copy.deepcopy(kwargs)  # wechatpy mutates params/data in place
        attempt.setdefault("params", {})["access_token"] = used
        error = _attempt(send, attempt, endpoint, retry_ambiguous)
        if not isinstance(error, WeChatError):
            return error  # WeChat's answer
        if isinstance(error, WeChatTokenInvalid) and not refreshed:
            invalidate(used)  # refused before anything was done: safe to repeat even without a dedupe key
            refreshed = True
            continue
        if isinstance(error, WeChatBusy) and not retry_ambiguous:
            raise _ambiguous(endpoint, error)
        if isinstance(error, (WeChatBusy, WeChatRateLimited)) and busy_tries < BUSY_RETRIES and retry_ambiguous:
            sleep(backoff * (2 ** busy_tries))
            busy_tries += 1
            continue
        raise error


def _attempt(send: Callable[[dict], dict], attempt: dict, endpoint: str, retry_ambiguous: bool) -> dict | WeChatError:
    """One HTTP call: WeChat's answer, or the WeChatError it answered with (the caller decides on a retry).
    A failure with no errcode raises at once: WeChatUnavailable, or AmbiguousOutcome when the call may have
    taken effect and must not be resent."""
    import requests
    from wechatpy.exceptions import WeChatClientException

    def unavailable(message: str) -> WeChatUnavailable:
        error = WeChatUnavailable(message, endpoint=endpoint)
        return error if retry_ambiguous else _ambiguous(endpoint, error)

    try:
        return decoded_answer(send(attempt), endpoint)
    except WeChatClientException as exc:
        if exc.errcode is None:  # an HTTP-level failure (5xx, 4xx) with no WeChat errcode
            raise _http_failure(exc, endpoint, retry_ambiguous) from None
        error = classify(exc.errcode, exc.errmsg, endpoint)
        error.data = _body(exc)  # e.g. 45065 carries the msgid of the earlier mass send
        return error
    except WeChatBadAnswer as exc:
        if not retry_ambiguous:
            raise _ambiguous(endpoint, exc) from None
        raise
    except requests.Timeout:
        raise unavailable(f"WeChat API {endpoint} timed out") from None
    except requests.ConnectionError as exc:
        raise unavailable(f"WeChat API {endpoint} unreachable: {exc.__class__.__name__}") from None
    except requests.RequestException as exc:  # the answer broke off mid-body (chunked encoding, decoding)
        raise unavailable(f"WeChat API {endpoint} answer unreadable: {exc.__class__.__name__}") from None


def _http_failure(exc, endpoint: str, retry_ambiguous: bool) -> WeChatUnavailable:
    """An HTTP status with no errcode: a 4xx was refused before anything happened; a 5xx may hide a done call."""
    status = getattr(getattr(exc, "response", None), "status_code", "?")
    unavailable = WeChatUnavailable(f"WeChat API {endpoint} answered HTTP {status}", endpoint=endpoint)
    if not retry_ambiguous and not (isinstance(status, int) and 400 <= status < 500):
        return _ambiguous(endpoint, unavailable)
    return unavailable


def _ambiguous(endpoint: str, cause: Exception) -> AmbiguousOutcome:
    return AmbiguousOutcome(f"{cause} (may have taken effect; not resent: look before sending again)",
                            endpoint=endpoint, errcode=getattr(cause, "errcode", None),
                            errmsg=getattr(cause, "errmsg", None), cause=cause)


def _body(exc) -> dict:
    """The JSON body of a failed call (some errors carry data: 45065 msgid, add_msg_template fail_list)."""
    try:
        data = exc.response.json()
    except Exception:
        return {}
    return data if isinstance(data, dict) else {}


class Gateway:
    """Common shape of the OA and WeCom gateways. Subclasses say how to build the client and fetch a token."""

    platform = ""

    def __init__(self, account: Account, *, base_url: str | None = None, token_cache: TokenCache | None = None):
        self.account = account
        cfg = settings()
        self.base_url = (base_url or self.default_base_url(cfg)).rstrip("/")
        self.timeout = cfg.http_timeout
        self.backoff = cfg.retry_backoff
        self.tokens = token_cache or TokenCache()
        self._client = None
        self.clock = time.monotonic  # deadlines (tests inject their own)

    # --- subclass hooks
    def default_base_url(self, cfg) -> str:
        raise NotImplementedError

    def token_key(self) -> str:
        raise NotImplementedError

    def fetch_token(self) -> tuple[str, int]:
        raise NotImplementedError

    def make_client(self):
        raise NotImplementedError

    # --- shared behaviour
    @property
    def client(self):
        """The wechatpy client (built on first use: importing wechatpy costs ~100 ms)."""
        if self._client is None:
            self._client = self.make_client()
        return self._client

    def access_token(self) -> str:
        return self.tokens.get(self.token_key(), self.fetch_token)

    def invalidate(self, bad_token: str) -> None:
        self.tokens.invalidate(self.token_key(), bad_token)

    def _token_request(self, method: str, path: str, **kwargs) -> dict:
        """Token endpoints use no access_token; errors here are never retried by refreshing."""
        import requests

        url = f"{self.base_url}/cgi-bin/{path}"
        try:
            with wechat_call(path, self.platform):
                res = requests.request(method, url, timeout=self.timeout, **kwargs)
        except requests.RequestException as exc:
            raise WeChatUnavailable(f"WeChat token endpoint {url} unreachable: {exc.__class__.__name__}") from None
        try:
            data = res.json()
        except ValueError:
            raise WeChatUnavailable(f"WeChat token endpoint {url} answered HTTP {res.status_code}, not JSON") from None
        if data.get("errcode"):
            raise classify(int(data["errcode"]), data.get("errmsg", ""), path)
        return data

    def get(self, endpoint: str, **params) -> dict:
        return self.client.get(endpoint, params=params)

    def post(self, endpoint: str, data: dict, *, retry_ambiguous: bool | None = None) -> dict:
        """A plain POST for the APIs wechatpy lacks (transfer_customer, groupmsg v2, ...).

        retry_ambiguous: None follows NOT_IDEMPOTENT; False makes any outcome that may hide a processed call
        raise AmbiguousOutcome instead of being retried (for a call the caller knows has no dedupe key)."""
        return self.client.post(endpoint, data=data, retry_ambiguous=retry_ambiguous)


def _install_policy(cls):
    """Make a wechatpy client class take its token from the gateway and retry under our policy."""

    class PolicyClient(cls):
        def __init__(self, gateway: Gateway, *args, **kwargs):
            self._gateway = gateway
            super().__init__(*args, auto_retry=False, timeout=gateway.timeout, **kwargs)
            self.API_BASE_URL = f"{gateway.base_url}/cgi-bin/"

        @property
        def access_token(self):
            return self._gateway.access_token()

        def fetch_access_token(self):
            return {"access_token": self._gateway.access_token()}

        def _request(self, method, url_or_endpoint, **kwargs):
            parent = super()._request
            g = self._gateway
            retry_ambiguous = kwargs.pop("retry_ambiguous", None)
            path = endpoint_path(url_or_endpoint)
            with wechat_call(path, g.platform):  # one X-Ray subsegment per call, retries included
                return call_with_policy(lambda kw: parent(method, url_or_endpoint, **kw), kwargs, path,
                                        token=g.access_token, invalidate=g.invalidate, backoff=g.backoff,
                                        retry_ambiguous=retry_ambiguous)

    return PolicyClient
