"""JS-SDK permission signature (wx.config) and which page URLs we sign: pure rules, no I/O.

附录1-JS-SDK使用权限签名算法 (https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/JS-SDK.html): the fields
noncestr, jsapi_ticket, timestamp and url (the page's URL without '#' and what follows), sorted by name, joined as
`key=value&...` with raw (not URL-escaped) values, then SHA-1 in lowercase hex.
"""

from __future__ import annotations

import hashlib
import re
import urllib.parse

PAGE_PATH = re.compile(r"^/c/(?P<account_id>[A-Za-z0-9_-]{1,64})/(?P<campaign_id>[A-Za-z0-9_-]{1,64})/?$")


def signature(jsapi_ticket: str, noncestr: str, timestamp: int | str, url: str) -> str:
    fields = {"jsapi_ticket": jsapi_ticket, "noncestr": noncestr, "timestamp": str(timestamp), "url": url}
    string1 = "&".join(f"{name}={fields[name]}" for name in sorted(fields))
    return hashlib.sha1(string1.encode("utf-8")).hexdigest()


def signed_url(url: str) -> str:
    """What WeChat signs of a page URL: everything before '#'."""
    return url.split("#", 1)[0]


def own_page(url: str, base_url: str, account_id: str) -> str | None:
    """`url` without its fragment if it is one of this account's campaign pages under `base_url` (our public
    origin and path prefix), else None: we sign only our own pages, so a signature cannot be borrowed for another
    site's page."""
    if not isinstance(url, str) or len(url) > 2048:
        return None
    page = signed_url(url)
    try:
        parts, base = urllib.parse.urlsplit(page), urllib.parse.urlsplit(base_url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or parts.username or parts.password:
        return None
    if (parts.scheme, parts.netloc.lower()) != (base.scheme, base.netloc.lower()):
        return None
    prefix = base.path.rstrip("/")
    if not parts.path.startswith(prefix + "/"):
        return None
    m = PAGE_PATH.match(parts.path[len(prefix):])
    if m is None or m["account_id"] != account_id:
        return None
    return page
