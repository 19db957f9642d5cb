"""The campaign page in WeChat's browser: where it sends the browser to sign in, and its JS-SDK configuration.

Both only ever point at or sign our own campaign pages (scrm.domain.jssdk.own_page): the sign-in would otherwise be
an open redirect carrying a fresh OAuth code to another site, and a JS-SDK signature could be borrowed for another
site's page.
"""

from __future__ import annotations

import re
import secrets

from ...config import settings
from ...domain import jssdk
from .common import DrawRefused, _now
from .user_tokens import _oa_account

STATE = re.compile(r"^[A-Za-z0-9_-]{8,128}$")  # 网页授权: state is a-zA-Z0-9, at most 128 bytes


def _own_page(account_id: str, url, base_url: str, field: str) -> str:
    page = jssdk.own_page(url, base_url, account_id)
    if page is None:
        raise DrawRefused("foreign_url", f"{field} must be one of this account's campaign pages under {base_url}/c/",
                          status=400)
    return page


def sign_in_url(account_id: str, redirect_uri, state, base_url: str) -> dict:
    """WeChat's authorize URL (snsapi_base) that returns the browser to our page with ?code=&state=."""
    from ...gateway import gateway_for

    account = _oa_account(account_id)
    page = _own_page(account_id, redirect_uri, base_url, "redirect_uri")
    if not isinstance(state, str) or not STATE.match(state):
        raise DrawRefused("bad_state", "state must be 8-128 letters, digits, '-' or '_'", status=400)
    return {"url": gateway_for(account).authorize_url(settings().oauth_base_url, page, state)}


def jssdk_config(account_id: str, url, base_url: str, now: float | None = None) -> dict:
    """What `wx.config` takes for this page: appId, timestamp, nonceStr and the 附录1 signature."""
    from ...gateway import gateway_for

    account = _oa_account(account_id)
    page = _own_page(account_id, url, base_url, "url")
    timestamp = int(_now(now))
    nonce = secrets.token_hex(8)
    ticket = gateway_for(account).jsapi_ticket()
    return {"appId": account.app_id, "timestamp": timestamp, "nonceStr": nonce,
            "signature": jssdk.signature(ticket, nonce, timestamp, page)}
