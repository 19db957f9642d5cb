"""The admin console's static files and Swagger UI, served by the API itself (no CDN: consoles in China cannot
count on one).

    GET /console                          the single-page app (functions/static/console/index.html)
    GET /console/assets/{name}            its own files (allowlisted by name pattern and presence, flat)
    GET /console/vendor/{package}/{name}  a vendored npm file (functions/static/vendor/manifest.json lists them)
    GET /docs                             Swagger UI over /openapi.json

Every answer carries the Content-Security-Policy below (no inline script or style anywhere: the pages load
their code from these routes), nosniff, no referrer, and cache headers: vendored paths carry the package's
version, so they are immutable; our own files are revalidated (ETag). Files are read once per container.
"""

from __future__ import annotations

import hashlib
import json
import re
from functools import cache
from pathlib import Path

from chalice import Blueprint, Response

from functions.answers import error_for
from functions.routes import public_route
from scrm import errors

bp = Blueprint(__name__)
STATIC = Path(__file__).resolve().with_name("static")
CONSOLE_DIR = STATIC / "console"
VENDOR_DIR = STATIC / "vendor"

# img-src https: for the pictures operators give vote options (shown as on the campaign page); scripts stay ours
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: data: blob:; "
       "connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
CONTENT_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
                 ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml", ".txt": "text/plain; charset=utf-8"}
ASSET_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}\.(js|css|svg)$")  # our own files: flat, lower-case, typed
REVALIDATE = "no-cache"  # may be stored, but asked again (ETag) so a deploy shows at once
IMMUTABLE = "public, max-age=31536000, immutable"


def security_headers() -> dict:
    return {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
            "X-Frame-Options": "DENY"}


@cache
def _read(path: Path) -> tuple[str, str]:
    """(text, ETag) of a static file, once per container."""
    text = path.read_text(encoding="utf-8")
    return text, '"' + hashlib.sha256(text.encode()).hexdigest()[:32] + '"'


@cache
def _vendored() -> dict[str, set[str]]:
    """{"<name>@<version>": {served file names}} from the manifest: the only vendor files served."""
    manifest = json.loads((VENDOR_DIR / "manifest.json").read_text())
    return {f"{p['name']}@{p['version']}": {f["as"] for f in p["files"]} for p in manifest["packages"]}


def _content_type(name: str) -> str:
    suffix = Path(name).suffix
    if suffix in CONTENT_TYPES:
        return CONTENT_TYPES[suffix]
    return "text/plain; charset=utf-8" if name.upper().startswith(("LICENSE", "NOTICE")) else "application/octet-stream"


def _file(path: Path, cache_control: str) -> Response:
    text, etag = _read(path)
    headers = {**security_headers(), "Content-Type": _content_type(path.name), "Cache-Control": cache_control,
               "ETag": etag}
    if (bp.current_request.headers or {}).get("if-none-match") == etag:
        return Response(body="", status_code=304, headers=headers)
    return Response(body=text, status_code=200, headers=headers)


def _not_found(what: str) -> Response:
    return error_for(errors.NotFound(f"no such {what}"), headers=security_headers())


@public_route(bp, "/console", media={"text/html": "text"})
def console_page():
    """The admin console (a single-page app; sign in with an admin key or WeCom's QR login)"""
    return _file(CONSOLE_DIR / "index.html", REVALIDATE)


@public_route(bp, "/console/assets/{name}", media={"text/javascript": "text", "text/css": "text"})
def console_asset(name):
    """One of the console's own files (its scripts and style sheet)"""
    path = CONSOLE_DIR / name
    if not ASSET_NAME.match(name) or not path.is_file():
        return _not_found("console file")
    return _file(path, REVALIDATE)


@public_route(bp, "/console/vendor/{package}/{name}", media={"text/javascript": "text", "text/css": "text"})
def vendor_file(package, name):
    """A front-end package file vendored from npm at a pinned version (`package` is `<name>@<version>`)"""
    if name not in _vendored().get(package, ()):
        return _not_found("vendored file")
    return _file(VENDOR_DIR / package / name, IMMUTABLE)


@public_route(bp, "/docs", media={"text/html": "text"})
def api_docs():
    """Swagger UI over this API's OpenAPI document (/openapi.json)"""
    return _file(CONSOLE_DIR / "docs.html", REVALIDATE)
