"""The verification page of a members-only group code (/m/{account_id}/{channel_id}): who may see the code.

The customer signs in through WeChat (网页授权 snsapi_base, https://developers.weixin.qq.com/doc/offiaccount/
OA_Web_Apps/Wechat_webpage_authorization.html) on the Official Account the code names (`sign_in_account`): the
code comes back to our page, is exchanged for the openid (scrm.gateway.official_account.oauth_openid) and the page
gets a user token signed with the group code's account's key and bound to this code (`m.<channel_id>`), so a token
of another page or account is refused. The page shows the privacy notice naming the data controller (the company's
WeCom account, `controller_of`); the customer agrees (`consent: true`, else 400 `consent_required`, nothing looked up
nor counted) and types member id and phone: a match with the member list
records `verified` (once per person) and answers the code's QR; a mismatch is refused, logged and counted
`refused`. Every check costs one try, at most TRIES_PER_HOUR per openid per hour (a conditional counter in the
store), so member ids cannot be walked through; a verified person sees the code again without a try.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

from ... import bootstrap
from ...config import settings
from ...domain import jssdk
from ...domain import members as rules
from ...errors import NotFound, WeChatUnavailable
from ...observability import logger
from ...tenancy import Scope
from ..campaigns.common import DrawRefused
from ..campaigns.page import STATE
from ..campaigns.user_tokens import OAUTH_CODE_MESSAGES, _oa_account, authenticate, check_account, issue_user_token
from .common import hashed, members_only_code, store

PAGE_PATH = re.compile(r"^/m/(?P<account_id>[A-Za-z0-9_-]{1,64})/(?P<channel_id>[A-Za-z0-9_-]{1,64})/?$")
QR_SCALE = 5


def token_scope(channel_id: str) -> str:
    return f"m.{channel_id}"


def _code(account_id: str, channel_id: str) -> dict:
    """The members-only code a user request names (the account is checked first: unknown ids cost no secret read)."""
    check_account(account_id)
    try:
        return members_only_code(account_id, channel_id)
    except NotFound:
        raise DrawRefused("unknown_code", "no such members-only group code", status=404) from None


def controller_of(account_id: str) -> dict:
    """Who collects the member id and phone (the data controller the privacy notice names): the company's WeCom
    account whose group the code opens, by the name it was registered under."""
    from ..channels import common

    account = common.account_of(account_id, allow_disabled=True)
    return {"account_id": account_id, "name": account.name or account_id, "platform": "wecom"}


def privacy_notice(controller: dict) -> str:
    return (f"{controller['name']}（企业微信）收集你填写的会员号和手机号，"
            "仅用于核对你是否为其会员、以向你展示会员群的入群码；"
            "手机号只以加密摘要保存、不保存号码本身，验证记录可按你的要求导出或删除。")


def public_code(account_id: str, channel_id: str) -> dict:
    """What the page shows before sign-in: the code's name and the privacy notice naming the data controller (no QR,
    no member data)."""
    channel = _code(account_id, channel_id)
    controller = controller_of(account_id)
    return {"channel_id": channel_id, "name": channel["definition"].get("name"), "members_only": True,
            "controller": controller, "privacy_notice": privacy_notice(controller)}


def _own_page(account_id: str, channel_id: str, url, base_url: str) -> str:
    """`url` if it is this code's own page under our origin (else the sign-in would be an open redirect)."""
    page = jssdk.signed_url(url) if isinstance(url, str) and len(url) <= 2048 else None
    prefix = base_url.rstrip("/")
    m = PAGE_PATH.match(page[len(prefix):]) if page and page.startswith(prefix + "/m/") else None
    if m is None or m["account_id"] != account_id or m["channel_id"] != channel_id or "?" in page:
        raise DrawRefused("foreign_url", f"redirect_uri must be this code's page {prefix}/m/{account_id}/"
                          f"{channel_id}", status=400)
    return page


def sign_in_url(account_id: str, channel_id: str, redirect_uri, state, base_url: str) -> dict:
    """WeChat's authorize URL (snsapi_base) on the code's sign-in OA, returning to this code's page."""
    from ...gateway import gateway_for

    channel = _code(account_id, channel_id)
    oa = _oa_account(channel["definition"]["sign_in_account"])
    page = _own_page(account_id, channel_id, redirect_uri, base_url)
    if not isinstance(state, str) or not STATE.match(state):
        raise DrawRefused("bad_state", "state must be 8-128 letters, digits, '-' or '_'", status=400)
    return {"url": gateway_for(oa).authorize_url(settings().oauth_base_url, page, state)}


def login(account_id: str, channel_id: str, code: str, now: float | None = None) -> dict:
    """Exchange the OAuth code (on the sign-in OA) for the openid, and a token bound to this code."""
    from ...gateway import gateway_for
    from ...gateway.official_account import OAuthCodeRefused

    channel = _code(account_id, channel_id)
    oa = _oa_account(channel["definition"]["sign_in_account"])
    try:
        openid = gateway_for(oa).oauth_openid(code)
    except OAuthCodeRefused as exc:
        raise DrawRefused("bad_oauth_code", OAUTH_CODE_MESSAGES.get(exc.errcode, OAUTH_CODE_MESSAGES[40029]),
                          status=401) from None
    issued = issue_user_token(account_id, openid, kind="oauth", campaign_id=token_scope(channel_id), now=now)
    return {"token": issued["token"], "expires_at": issued["expires_at"]}


def _reveal(account_id: str, channel: dict, verification: dict, replayed: bool) -> dict:
    """The code's QR as a data: URI of an SVG (WeCom's image wrapped; the page's CSP allows no other origin)."""
    from ..channels import qr_image

    try:
        svg, _ = qr_image(Scope.system(account_id), account_id, channel["channel_id"], "svg", QR_SCALE)
    except Exception as exc:  # WeCom's image could not be fetched: the person stays verified, the page retries
        logger().warning("group code image unavailable", extra={"channel_id": channel["channel_id"],
                                                                  "error": type(exc).__name__})
        raise WeChatUnavailable("the group code's image is unavailable right now; try again") from None
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return {"verified": True, "replayed": replayed, "channel_id": channel["channel_id"],
            "name": channel["definition"].get("name"), "qr_image": f"data:image/svg+xml;base64,{data}",
            "qr_code": channel["qr_code"], "member_id": verification["member_id"]}


def _mismatch(account_id: str, channel_id: str, openid: str, reason: str) -> DrawRefused:
    store().count(Scope.system(account_id), account_id, channel_id, "refused")
    # no member id, phone or openid in the log: a keyed digest of the openid lets repeated refusals be grouped
    who = hashlib.sha256(f"{account_id}:{openid}".encode()).hexdigest()[:16]
    logger().info("member verification refused", extra={"account_id": account_id, "channel_id": channel_id,
                                                         "reason": reason, "who": who})
    return DrawRefused("member_mismatch", "会员号与手机号不匹配，请核对后重试", status=403)


def verify(account_id: str, channel_id: str, token: str | None, body: dict, now: float | None = None) -> dict:
    """Check member id and phone against the member list; a match reveals the group code (see the module)."""
    now = bootstrap.container().now() if now is None else now
    openid = authenticate(account_id, token_scope(channel_id), token, now=now)
    channel = _code(account_id, channel_id)
    scope, db = Scope.system(account_id), store()
    done = db.verification(scope, account_id, channel_id, openid)
    if done is not None:  # verified before: the code again, no try spent
        return _reveal(account_id, channel, done, replayed=True)
    if body.get("consent") is not True:  # no member data is looked at (nor a try spent) before the person agreed
        notice = privacy_notice(controller_of(account_id))
        raise DrawRefused("consent_required", f"请先阅读并同意个人信息说明：{notice}",
                          status=400)
    if not db.take_try(scope, account_id, openid, rules.hour_of(now), rules.TRIES_PER_HOUR):
        raise DrawRefused("too_many_tries", f"尝试次数过多，请一小时后再试（每小时最多 {rules.TRIES_PER_HOUR} 次）",
                          status=429)
    member_id, phone = body.get("member_id"), rules.normal_phone(body.get("phone"))
    if not isinstance(member_id, str) or not rules.MEMBER_ID.match(member_id.strip()) or phone is None:
        raise _mismatch(account_id, channel_id, openid, "malformed")
    member_id = member_id.strip()
    member = db.get_members(scope, account_id, [member_id]).get(member_id)
    given = hashed(account_id, phone)
    if member is None or not hmac.compare_digest(member["phone_hash"] or "", given):
        raise _mismatch(account_id, channel_id, openid, "unknown member" if member is None else "phone differs")
    db.record_verified(scope, account_id, channel_id, openid, member_id, now)
    return _reveal(account_id, channel, {"member_id": member_id}, replayed=False)
