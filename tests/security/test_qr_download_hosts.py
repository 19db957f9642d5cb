"""Attack: a contact way's qr_code URL that is not WeCom's (SSRF into the VPC, a redirect to one, a slow drip).

WeComGateway.download fetches only from WeCom's image CDN (*.qpic.cn, over https) or the configured WeCom API
origin, never follows a redirect, and has one deadline for the whole download rather than one per read.
"""

from __future__ import annotations

import http.server
import threading

import pytest

from scrm.accounts import Account
from scrm.errors import WeChatUnavailable
from scrm.gateway.wecom import WeComGateway

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32


def _gateway(base_url: str) -> WeComGateway:
    account = Account(account_id="qr-corp", kind="wecom", app_id="ww0000000000qr01", name="corp",
                      app_secret="s" * 20, token="t" * 10, aes_key="a" * 43)
    return WeComGateway(account, base_url=base_url)


class _Server:
    """A local HTTP server whose answer a test chooses (plays both WeCom and an attacker's host)."""

    def __init__(self, handler):
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                handler(self)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self.hits: list[str] = []

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    servers = []

    def make(handler):
        s = _Server(handler)
        servers.append(s)
        return s

    yield make
    for s in servers:
        s.close()


def _png(req):
    req.send_response(200)
    req.send_header("Content-Type", "image/png")
    req.send_header("Content-Length", str(len(PNG)))
    req.end_headers()
    req.wfile.write(PNG)


@pytest.mark.parametrize("url", [
    "http://169.254.169.254/latest/meta-data/iam/security-credentials/",  # instance metadata
    "https://evil.example.com/qr.png",
    "https://qpic.cn.evil.example.com/qr.png",  # suffix tricks
    "https://evilqpic.cn/qr.png",
    "https://user@wework.qpic.cn/qr.png",
    "https://wework.qpic.cn:8443/qr.png",
    "ftp://wework.qpic.cn/qr.png",
    "file:///etc/passwd",
    "not a url",
])
def test_foreign_hosts_are_refused_before_any_request(url, monkeypatch):
    import requests

    monkeypatch.setattr(requests, "get", lambda *a, **k: pytest.fail(f"fetched {url}"))
    with pytest.raises(WeChatUnavailable, match="refused"):
        _gateway("https://qyapi.weixin.qq.com").download(url)


def test_wecom_cdn_is_fetched_over_https_without_redirects(monkeypatch):
    import requests

    seen = {}

    class Answer:
        status_code = 200
        headers = {"Content-Type": "image/png"}

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def iter_content(self, size):
            yield PNG

        def close(self):
            pass

    def get(url, **kwargs):
        seen.update(url=url, **kwargs)
        return Answer()

    monkeypatch.setattr(requests, "get", get)
    data, ctype = _gateway("https://qyapi.weixin.qq.com").download("http://p4.qpic.cn/wwpic/72xxxx/0")
    assert (data, ctype) == (PNG, "image/png")
    assert seen["url"] == "https://p4.qpic.cn/wwpic/72xxxx/0" and seen["allow_redirects"] is False


def test_a_redirect_from_the_wecom_origin_is_not_followed(server):
    inner = server(_png)

    def redirect(req):
        req.send_response(302)
        req.send_header("Location", f"{inner.url}/qr.png")
        req.end_headers()

    outer = server(redirect)
    with pytest.raises(WeChatUnavailable, match="redirect"):
        _gateway(outer.url).download(f"{outer.url}/wecom/qr/1.png")


def test_the_configured_wecom_origin_serves_images(server):
    s = server(_png)
    assert _gateway(s.url).download(f"{s.url}/wecom/qr/1.png") == (PNG, "image/png")


def test_a_slow_drip_is_cut_at_one_deadline_for_the_whole_download(server):
    stop = threading.Event()

    def drip(req):  # headers at once, then a byte now and then, never finishing: each read is quick
        req.send_response(200)
        req.send_header("Content-Type", "image/png")
        req.send_header("Content-Length", str(10 ** 6))
        req.end_headers()
        while not stop.is_set():
            try:
                req.wfile.write(b"\0")
                req.wfile.flush()
            except OSError:
                return
            stop.wait(0.01)

    s = server(drip)
    gw = _gateway(s.url)
    gw.timeout = 0.5  # per read, this drip would never time out
    try:
        with pytest.raises(WeChatUnavailable, match="longer than"):
            gw.download(f"{s.url}/wecom/qr/1.png")
    finally:
        stop.set()
