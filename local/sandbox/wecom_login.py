"""WeCom web login (企业微信Web登录), as the sandbox plays it: the login page, the member's "scan", and the codes
`auth/getuserinfo` exchanges.

Official shapes copied here:
- the login link `GET /wwlogin/sso/login?login_type=CorpApp&appid=CORPID&agentid=AGENTID&redirect_uri=URLENCODED
  &state=STATE`; after the member allows it, WeCom redirects to `redirect_uri?code=CODE&state=STATE`, and to
  `redirect_uri?state=STATE` (no code) when they refuse (https://developer.work.weixin.qq.com/document/path/98171);
- `GET /cgi-bin/auth/getuserinfo?access_token=&code=`: `{errcode: 0, errmsg: "ok", userid}` for a member,
  `{errcode: 0, errmsg: "ok", openid, external_userid}` for anyone else; a code works once and for 5 minutes, else
  `{errcode: 40029, errmsg: "invalid code"}` (https://developer.work.weixin.qq.com/document/path/98177);
- a code is redeemed only with the access token of the app whose login made it (its agentid: gettoken with that
  app's own Secret): "跳转的域名须完全匹配access_token对应应用的可信域名,否则会返回50001错误" (98177, 权限说明). Any
  other token (the customer-contact Secret's, another app's) is answered `{errcode: 50001, errmsg: "redirect_uri
  unauthorized"}`, as WeCom answers when "登入产生code的应用...跟消费code的accesstoken所对应的应用...不是同一个"
  (WeCom's answer on https://developers.weixin.qq.com/community/enterprisewechat/doc/000ceaae764920b32c7ce0b8551c00);
  the code stays unused.
Instead of a QR code the page lists the corp's active staff, each with a button "以此身份扫码 / scan as".
"""

from __future__ import annotations

import html
import urllib.parse

from .core import ApiError, rand_id

CODE_SECONDS = 300  # "code只能使用一次,5分钟未被使用自动过期"
LOGIN_PATH = "/wwlogin/sso/login"
SCAN_PATH = "/wwlogin/sso/scan"


def mint_code(platform, corpid: str, who: dict) -> dict:
    """A login code for a member (`{"userid"}`) or a non-member (`{"openid", "external_userid"?}`), made by the
    login of app `who["agentid"]` (default: the corp's configured agentid; 40056 when it has none)."""
    corp = platform.app(corpid)
    agentid = str(who.get("agentid") or corp.cfg.get("agentid") or "")
    if not agentid:
        raise ApiError(40056, "invalid agentid")
    if who.get("userid"):
        platform._staff(corp, who["userid"])  # 60111 for one who is not an active member
        identity = {"userid": who["userid"]}
    elif who.get("openid"):
        identity = {"openid": who["openid"], **({"external_userid": who["external_userid"]}
                                                 if who.get("external_userid") else {})}
    else:
        raise ApiError(40058, "invalid parameter, userid or openid is required")
    code = rand_id(64)
    corp.login_codes[code] = {"identity": identity, "agentid": agentid, "expires_at": platform.now + CODE_SECONDS}
    return {"code": code, "expires_in": CODE_SECONDS}


def getuserinfo(platform, corp, query: dict) -> dict:
    code = query.get("code")
    if not code:
        raise ApiError(41008, "missing code")
    entry = corp.login_codes.get(code)
    if entry is None or entry["expires_at"] <= platform.now:
        corp.login_codes.pop(code, None)
        raise ApiError(40029, "invalid code")
    token = platform.sb.tokens.tokens.get(query.get("access_token") or "") or {}
    if token.get("agentid") != entry["agentid"]:  # not the token of the app whose login made the code
        raise ApiError(50001, "redirect_uri unauthorized")
    del corp.login_codes[code]  # single use
    return dict(entry["identity"])


def _page(title: str, body: str, status: int = 200) -> tuple[int, str, bytes]:
    doc = (f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
           f"</head><body><h1>{html.escape(title)}</h1>{body}</body></html>")
    return status, "text/html", doc.encode("utf-8")


def _error(message: str) -> tuple[int, str, bytes]:
    # WeCom shows "该链接无法访问" for a link whose parameters are wrong
    return _page("该链接无法访问 / this link cannot be opened", f"<p>{html.escape(message)}</p>", 400)


def login_page(platform, query: dict) -> tuple[int, str, bytes]:
    """The login page for a login link: one "scan as" button per active member of the corp."""
    if query.get("login_type") != "CorpApp":
        return _error("login_type must be CorpApp (a corp's own app)")
    corp = platform.apps.get(query.get("appid") or "")
    if corp is None:
        return _error(f"unknown appid (CorpID) {query.get('appid')!r}")
    want = str(corp.cfg.get("agentid") or "")
    if not query.get("agentid") or (want and query["agentid"] != want):
        return _error(f"agentid {query.get('agentid')!r} is not an app of this corp")
    redirect_uri = query.get("redirect_uri") or ""
    if not redirect_uri.startswith(("http://", "https://")):
        return _error("redirect_uri must be an http(s) URL")
    hidden = "".join(f'<input type="hidden" name="{k}" value="{html.escape(query.get(k) or "")}">'
                     for k in ("appid", "agentid", "redirect_uri", "state"))
    rows = []
    for userid, member in sorted(corp.staff.items()):
        if member["status"] != "active":
            continue
        rows.append(f'<li><form method="post" action="{SCAN_PATH}">{hidden}'
                    f'<input type="hidden" name="userid" value="{html.escape(userid)}">'
                    f'<button type="submit" data-userid="{html.escape(userid)}">以此身份扫码 / scan as '
                    f"{html.escape(member['name'])} ({html.escape(userid)})</button></form></li>")
    refuse = (f'<form method="post" action="{SCAN_PATH}">{hidden}<input type="hidden" name="refuse" value="1">'
              '<button type="submit" data-refuse="1">拒绝 / refuse</button></form>')
    return _page("企业微信登录 / WeCom login (sandbox)", f"<ul>{''.join(rows)}</ul>{refuse}")


def scan(platform, form: dict) -> tuple[int, str, bytes, str | None]:
    """A member allowed (or refused) the login: (status, type, body, Location to redirect_uri)."""
    corp = platform.apps.get(form.get("appid") or "")
    redirect_uri = form.get("redirect_uri") or ""
    if corp is None or not redirect_uri.startswith(("http://", "https://")):
        return (*_error("appid or redirect_uri is wrong"), None)
    params = {"state": form.get("state") or ""}
    if not form.get("refuse"):
        try:
            who = {"userid": form.get("userid"), "agentid": form.get("agentid")}
            params = {"code": mint_code(platform, corp.cfg["corpid"], who)["code"], **params}
        except ApiError as err:
            return (*_error(err.errmsg), None)
    sep = "&" if "?" in redirect_uri else "?"
    return 302, "text/plain", b"", f"{redirect_uri}{sep}{urllib.parse.urlencode(params)}"
