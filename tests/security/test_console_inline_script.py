"""Attack surface of the console's pages: an injected inline script or handler must be refused by the browser.
Every page and asset the API serves carries the strict Content-Security-Policy (no inline script or style, no
plugins, no framing, no base rewriting), nosniff and no-referrer; the pages themselves hold no inline script,
handler or style (so the policy needs no exception); file routes serve nothing beyond their allowlist."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

STRICT = {"default-src": "'self'", "script-src": "'self'", "style-src": "'self'", "object-src": "'none'",
          "frame-ancestors": "'none'", "base-uri": "'none'", "form-action": "'self'", "connect-src": "'self'"}


@pytest.fixture
def client(aws):
    from chalice.test import Client

    from app import app

    with Client(app) as c:
        yield c


def served_paths():
    from functions.console import ASSET_NAME, CONSOLE_DIR, _vendored

    yield "/console"
    yield "/docs"
    for p in sorted(CONSOLE_DIR.iterdir()):
        if ASSET_NAME.match(p.name):
            yield f"/console/assets/{p.name}"
    for package, names in sorted(_vendored().items()):
        for name in sorted(names):
            yield f"/console/vendor/{package}/{name}"


def policy(header: str) -> dict:
    return {d.split()[0]: " ".join(d.split()[1:]) for d in header.split(";") if d.strip()}


def test_every_served_page_and_asset_carries_the_strict_csp_nosniff_and_no_referrer(client):
    paths = list(served_paths())
    assert len(paths) >= 15
    for path in paths:
        res = client.http.get(path)
        assert res.status_code == 200, path
        csp = policy(res.headers["Content-Security-Policy"])
        for directive, value in STRICT.items():
            assert csp.get(directive) == value, (path, directive, csp)
        assert "'unsafe-inline'" not in res.headers["Content-Security-Policy"]
        assert "'unsafe-eval'" not in res.headers["Content-Security-Policy"]
        assert res.headers["X-Content-Type-Options"] == "nosniff"
        assert res.headers["Referrer-Policy"] == "no-referrer"
        immutable = "immutable" in res.headers["Cache-Control"]
        assert immutable == path.startswith("/console/vendor/"), path


class _Inline(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        names = dict(attrs)
        if tag == "script" and not names.get("src"):
            self.found.append("inline <script>")
        if tag == "style":
            self.found.append("<style>")
        self.found += [f"{tag} {n}=" for n in names if n.startswith("on") or n == "style"]
        if tag == "a" and (names.get("href") or "").lower().startswith("javascript:"):
            self.found.append("javascript: link")


@pytest.mark.parametrize("path", ["/console", "/docs"])
def test_pages_hold_no_inline_script_handler_or_style(client, path):
    res = client.http.get(path)
    parser = _Inline()
    parser.feed(res.body.decode())
    assert parser.found == []
    assert "text/html" in res.headers["Content-Type"]


def test_console_scripts_never_write_html_from_data():
    """The pages build the DOM with lib.js's h() (textContent); innerHTML, outerHTML, insertAdjacentHTML,
    document.write and eval-like calls appear nowhere in our own scripts."""
    from functions.console import CONSOLE_DIR

    banned = re.compile(r"\.innerHTML|\.outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function\(")
    for script in sorted(CONSOLE_DIR.glob("*.js")):
        hits = [line for line in script.read_text().splitlines() if banned.search(line)]
        assert hits == [], script.name


@pytest.mark.parametrize("path", [
    "/console/assets/..%2Fconsole.py", "/console/assets/%2E%2E%2Fadmin_api.py", "/console/assets/index.html",
    "/console/assets/App.js", "/console/assets/.hidden.js", "/console/assets/nope.js",
    "/console/vendor/echarts@6.1.0/package.json", "/console/vendor/echarts@6.1.0/..%2Fmanifest.json",
    "/console/vendor/echarts@5.0.0/echarts.min.js", "/console/vendor/manifest.json/x",
])
def test_file_routes_serve_only_their_allowlist(client, path):
    res = client.http.get(path)
    assert res.status_code == 404, (path, res.status_code)
    assert res.json_body["error"]["code"] == "not_found"
    assert "Content-Security-Policy" in res.headers
