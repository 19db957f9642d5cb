"""Gateway core: wechatpy clients pointed at a configurable base URL, shared tokens, bounded retries.

wechatpy's own `auto_retry` recurses without bound when WeChat keeps answering 40001, and its token
fetch ignores API_BASE_URL; so auto_retry is off, tokens come from `TokenCache`, and `_request` is
wrapped by `call_with_policy`: one retry after a token refresh, short back-offs on -1 / 45009 / 45033,
and a typed error for everything else.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable

from ..accounts import Account
from ..config import settings
from ..errors import WeChatBusy, WeChatError, WeChatRateLimited, WeChatTokenInvalid, WeChatUnavailable
from .tokens import TokenCache

TOKEN_ERRORS = {40001, 40014, 42001}
BUSY = {-1}
RATE_LIMITED = {45009, 45011, 45033}
BUSY_RETRIES = 2


def classify(errcode, errmsg, endpoint) -> WeChatError:
    if errcode in TOKEN_ERRORS:
        return WeChatTokenInvalid(errcode, errmsg, endpoint)
    if errcode in RATE_LIMITED:
        return WeChatRateLimited(errcode, errmsg, endpoint)
    if errcode in BUSY:
        return WeChatBusy(errcode, errmsg, endpoint)
    return WeChatError(errcode, errmsg, endpoint)


def call_with_policy(send: Callable[[dict], dict], kwargs: dict, endpoint: str, *, token: Callable[[], str],
                     invalidate: Callable[[str], None], backoff: float, sleep=time.sleep) -> dict:
    """Run one API call under the retry policy. `send(kwargs)` performs the HTTP call with a token."""
    import requests
    from wechatpy.exceptions import WeChatClientException

    refreshed = False
    busy_tries = 0
    while True:
        used = token()
        attempt = copy.deepcopy(kwargs)  # wechatpy mutates params/data in place
        attempt.setdefault("params", {})["access_token"] = used
        try:
            return send(attempt)
        except WeChatClientException as exc:
            if exc.errcode is None:  # an HTTP-level failure (5xx, 4xx) with no WeChat errcode
                status = getattr(getattr(exc, "response", None), "status_code", "?")
                raise WeChatUnavailable(f"WeChat API {endpoint} answered HTTP {status}") from None
            error = classify(exc.errcode, exc.errmsg, endpoint)
            error.data = _body(exc)  # e.g. 45065 carries the msgid of the earlier mass send
        except requests.Timeout:
            raise WeChatUnavailable(f"WeChat API {endpoint} timed out") from None
        except requests.ConnectionError as exc:
            raise WeChatUnavailable(f"WeChat API {endpoint} unreachable: {exc.__class__.__name__}") from None
        if isinstance(error, WeChatTokenInvalid) and not refreshed:
            invalidate(used)
            refreshed = True
            continue
        if isinstance(error, (WeChatBusy, WeChatRateLimited)) and busy_tries < BUSY_RETRIES:
            sleep(backoff * (2 ** busy_tries))
            busy_tries += 1
            continue
        raise error


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

    def post(self, endpoint: str, data: dict) -> dict:
        """A plain POST for the APIs wechatpy lacks (transfer_customer, groupmsg v2, ...)."""
        return self.client.post(endpoint, data=data)


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
            return call_with_policy(lambda kw: parent(method, url_or_endpoint, **kw), kwargs,
                                    url_or_endpoint, token=g.access_token, invalidate=g.invalidate,
                                    backoff=g.backoff)

    return PolicyClient


def gateway_for(account: Account, **kwargs) -> Gateway:
    if account.kind == "oa":
        from .official_account import OfficialAccountGateway

        return OfficialAccountGateway(account, **kwargs)
    from .wecom import WeComGateway

    return WeComGateway(account, **kwargs)
