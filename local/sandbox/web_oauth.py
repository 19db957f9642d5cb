"""WeChat web authorization (网页授权) and the JS-SDK ticket, as the Official Account platform serves them.

Official pages (the shapes copied here):
- 网页授权: https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/Wechat_webpage_authorization.html
  step 1 `https://open.weixin.qq.com/connect/oauth2/authorize?appid=APPID&redirect_uri=REDIRECT_URI&response_type=code
  &scope=SCOPE&state=STATE#wechat_redirect` (parameters checked in this order: WeChat matches the link strictly and
  shows "该链接无法访问" otherwise); WeChat then redirects to `redirect_uri?code=CODE&state=STATE`. A code works once
  and for 5 minutes. Step 2 `GET https://api.weixin.qq.com/sns/oauth2/access_token?appid=&secret=&code=
  &grant_type=authorization_code` -> {access_token, expires_in, refresh_token, openid, scope, is_snapshotuser?,
  unionid?}; errors 40029 invalid code, 40163 code been used, 41008 missing code, 40125 invalid appsecret.
- JS-SDK 附录1: https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/JS-SDK.html
  `GET https://api.weixin.qq.com/cgi-bin/ticket/getticket?access_token=ACCESS_TOKEN&type=jsapi` ->
  {"errcode": 0, "errmsg": "ok", "ticket": "...", "expires_in": 7200}.

snsapi_base never shows the user a page in WeChat (the client knows who is signed in). A browser outside WeChat
has no such user, so the sandbox's authorize page asks which user this browser is (a follower of the account, or
any openid) and then redirects exactly as WeChat would.
"""

from __future__ import annotations

import html
import urllib.parse

from .core import ApiError, rand_id

# "code作为换取access_token的票据，每次用户授权带上的code将不一样，code只能使用一次，5分钟未被使用自动过期"
CODE_SECONDS = 300
SCOPES = ("snsapi_base", "snsapi_userinfo")
AUTHORIZE_ORDER = ["appid", "redirect_uri", "response_type", "scope", "state"]
TICKET_SECONDS = 7200


class WebOAuth:
    """Codes and jsapi tickets of every OA app (held under the Sandbox lock, like all sandbox state)."""

    def __init__(self) -> None:
        self.codes: dict[str, dict] = {}  # code -> {appid, openid, scope, expires_at, used}
        self.tickets: dict[str, dict] = {}  # appid -> {ticket, expires_at}
        self.ticket_fetches: dict[str, int] = {}

    # ------------------------------------------------------------------ step 1: the authorize page
    @staticmethod
    def check_authorize(query: list[tuple[str, str]], apps: dict) -> dict:
        """The authorize link's parameters, or ApiError with what WeChat's error page says."""
        names = [k for k, _ in query]
        if names[:4] != AUTHORIZE_ORDER[:4] or (len(names) > 4 and names[4] != "state"):
            raise ApiError(10003, "该链接无法访问 (parameters missing or out of order: appid, redirect_uri, "
                                  "response_type, scope, state)")
        q = dict(query)
        if q["appid"] not in apps:
            raise ApiError(10016, "appid参数错误")
        if q["response_type"] != "code":
            raise ApiError(10004, "response_type参数错误")
        if q["scope"] not in SCOPES:
            raise ApiError(10005, "scope参数错误或没有scope权限")
        target = urllib.parse.urlsplit(q["redirect_uri"])
        if target.scheme not in ("http", "https") or not target.netloc:
            raise ApiError(10003, "redirect_uri参数错误")
        domain = apps[q["appid"]].cfg.get("oauth_domain")
        if domain and target.hostname != domain:  # 网页授权域名 set in the OA console
            raise ApiError(10003, "redirect_uri域名与后台配置不一致")
        if len(q.get("state", "")) > 128:
            raise ApiError(10003, "state参数错误 (at most 128 bytes)")
        return q

    @staticmethod
    def chooser_page(q: dict, followers: list[str]) -> bytes:
        """Which WeChat user this browser is: buttons for the account's followers, or any openid."""
        hidden = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                         for k, v in q.items())
        buttons = "".join(f'<button type="submit" name="openid" value="{html.escape(o)}">{html.escape(o)}</button>'
                          for o in followers)
        page = (
            '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width,initial-scale=1"><title>微信授权 (sandbox)</title>'
            '</head><body><h1>微信网页授权 (sandbox)</h1>'
            f'<p>appid {html.escape(q["appid"])}, scope {html.escape(q["scope"])}</p>'
            '<form method="get" action="authorize/confirm" id="who">' + hidden +
            '<p>以哪位用户的身份继续 / continue as:</p>' + buttons +
            '<p><label>openid <input name="openid" id="openid"></label>'
            '<button type="submit" id="continue">继续</button></p></form></body></html>')
        return page.encode("utf-8")

    def confirm(self, q: dict, openid: str, now: float) -> str:
        """Issue a code for `openid` and return where WeChat sends the browser: redirect_uri?code=&state=."""
        if not openid or len(openid) > 64:
            raise ApiError(40003, "invalid openid")
        code = rand_id(32)
        self.codes[code] = {"appid": q["appid"], "openid": openid, "scope": q["scope"],
                            "expires_at": now + CODE_SECONDS, "used": False}
        parts = urllib.parse.urlsplit(q["redirect_uri"])
        extra = urllib.parse.urlencode({"code": code, "state": q.get("state", "")})
        query = f"{parts.query}&{extra}" if parts.query else extra
        return urllib.parse.urlunsplit(parts._replace(query=query, fragment=""))

    # ------------------------------------------------------------------ step 2: code -> openid
    def exchange(self, app, q: dict, now: float) -> dict:
        if q.get("grant_type") != "authorization_code":
            raise ApiError(40002, "invalid grant_type")
        if q.get("secret") != app.cfg["secret"]:
            raise ApiError(40125, "invalid appsecret")
        code = q.get("code")
        if not code:
            raise ApiError(41008, "missing code")
        rec = self.codes.get(code)
        if rec is None or rec["appid"] != app.appid or rec["expires_at"] <= now:
            raise ApiError(40029, "invalid code")
        if rec["used"]:
            raise ApiError(40163, "code been used")
        rec["used"] = True
        # the web-authorization access_token is not an API token: only sns/userinfo takes it (not served here)
        return {"access_token": rand_id(86), "expires_in": 7200, "refresh_token": rand_id(86),
                "openid": rec["openid"], "scope": rec["scope"]}

    # ------------------------------------------------------------------ JS-SDK ticket
    def ticket(self, app, q: dict, now: float) -> dict:
        if q.get("type") != "jsapi":
            raise ApiError(40097, "invalid args, type must be jsapi")
        self.ticket_fetches[app.appid] = self.ticket_fetches.get(app.appid, 0) + 1
        rec = self.tickets.get(app.appid)
        if rec is None or rec["expires_at"] <= now:  # a ticket lives its 7200 s; fetching again returns it
            rec = {"ticket": rand_id(86, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"),
                   "expires_at": now + TICKET_SECONDS}
            self.tickets[app.appid] = rec
        return {"errcode": 0, "errmsg": "ok", "ticket": rec["ticket"], "expires_in": int(rec["expires_at"] - now)}
