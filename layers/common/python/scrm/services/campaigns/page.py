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
from ...errors import NotFound
from ...tenancy import Scope
from .common import DrawRefused, _now, load_for_user, to_domain
from .user_tokens import _oa_account, check_account

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


FOLLOW_QR_SCALE = 5  # pixels per module: about 185 px for a WeChat ticket URL, shown at its own size


def follow_qr_svg(account_id: str, campaign_id: str) -> str:
    """The campaign's follow code (the QR of its `eligibility.follow_channel`, an oa_qr channel) as SVG, for the
    page to show a user who does not follow yet. Public: it is the code the account prints on its posters. The
    account is checked first (unknown ids cost no secret read); an unknown or draft campaign and a campaign with
    no follow channel are DrawRefused 404; an expired temporary code is the channel QR's Conflict (409)."""
    from ..channels import qr_image

    check_account(account_id)
    campaign = to_domain(load_for_user(account_id, campaign_id))
    if campaign.status == "draft":  # not published yet: the same answer as an unknown campaign
        raise DrawRefused("unknown_campaign", f"campaign {campaign_id!r} not found", status=404)
    if not campaign.follow_channel:
        raise DrawRefused("no_follow_channel", f"campaign {campaign_id!r} has no follow code", status=404)
    try:
        svg, _ = qr_image(Scope.system(account_id), account_id, campaign.follow_channel, "svg", FOLLOW_QR_SCALE)
    except NotFound:  # the channel is gone (it was checked when the campaign was saved)
        raise DrawRefused("no_follow_channel", f"campaign {campaign_id!r} has no follow code", status=404) from None
    return svg
