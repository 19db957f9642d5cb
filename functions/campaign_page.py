"""The customers' campaign page (H5 in WeChat's browser) and its static files.

`GET /c/{account_id}/{campaign_id}` is the page a channel QR, a menu or a pushed link opens; everything it shows
comes from the /u/ API (functions/campaign_draw.py), called by its script: signing in through WeChat (snsapi_base),
the wheel, coupon codes, share-to-win. The files are in functions/static/campaign/ (no inline script or style, so
the Content-Security-Policy allows only our own files); the JS-SDK is our vendored copy, never res.wx.qq.com.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from chalice import Blueprint, Response

from functions.answers import error_for
from functions.routes import public_route
from scrm import errors

bp = Blueprint(__name__)
STATIC = Path(__file__).resolve().parent / "static"
JSSDK = "vendor/weixin-js-sdk@1.6.5/index.js"  # npm weixin-js-sdk 1.6.5 (MIT): the official jweixin 1.6.0
ASSETS = {  # name in /c/assets/ -> (file under static/, media type)
    "campaign.js": ("campaign/campaign.js", "text/javascript"),
    "campaign.css": ("campaign/campaign.css", "text/css"),
    "wx-module.js": ("campaign/wx-module.js", "text/javascript"),
    "jweixin.js": (JSSDK, "text/javascript"),
}
# images also from https: a vote option's picture may sit on the company's CDN (scripts stay our own files)
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: data: blob:; "
       "connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'")
HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff",
           # the page's URL carries WeChat's one-time code until the script removes it: never send it on
           "Referrer-Policy": "no-referrer"}
ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@cache
def _read(relative: str) -> str:
    return (STATIC / relative).read_text(encoding="utf-8")


def _not_found(message: str) -> Response:
    return error_for(errors.NotFound(message), headers=HEADERS)


@public_route(bp, "/c/{account_id}/{campaign_id}", methods=["GET"], media={"text/html": "text"})
def campaign_h5_page(account_id, campaign_id):
    """The campaign page (H5): signs the user in through WeChat, spins the wheel, shows coupon codes and
    share-to-win progress; Simplified Chinese first (`?lang=en` for English)"""
    if not (ID.match(account_id) and ID.match(campaign_id)):
        return _not_found("no such campaign page")
    return Response(body=_read("campaign/index.html"), status_code=200,
                    headers={"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-cache", **HEADERS})


@public_route(bp, "/c/assets/{name}", methods=["GET"],
              media={"text/javascript": "text", "text/css": "text"})
def campaign_h5_asset(name):
    """A static file of the campaign page (its script, style sheet and the vendored JS-SDK)"""
    asset = ASSETS.get(name)
    if asset is None:
        return _not_found("no such asset")
    relative, media = asset
    return Response(body=_read(relative), status_code=200,
                    headers={"Content-Type": f"{media}; charset=utf-8", "Cache-Control": "public, max-age=300",
                             **HEADERS})
