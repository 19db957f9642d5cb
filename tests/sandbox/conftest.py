"""Fixtures: one sandbox per module (reset per test), a tiny callback receiver per test, wechatpy clients."""

from __future__ import annotations

import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from wechatpy import WeChatClient, parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.enterprise import WeChatClient as WeComClient
from wechatpy.enterprise.crypto import WeChatCrypto as WeComCrypto
from wechatpy.utils import check_signature

from local.sandbox import SandboxClient, SandboxServer

AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
OA = {"appid": "wxsandbox000001", "secret": "oa-secret", "token": "oatoken", "aes_key": AES_KEY,
      "original_id": "gh_sandbox00001"}
CORP = {"corpid": "wwsandbox000001", "secret": "corp-secret", "token": "wecomtoken",
        "aes_key": "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"}


class Receiver:
    """Our side of the callback, verified and decrypted with wechatpy exactly as a handler would."""

    def __init__(self) -> None:
        self.events: list[dict] = []
        self.on_event = None  # optional hook(platform, msg_dict) -> reply body
        self.delay = 0.0
        receiver = self

        class H(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def _send(self, code: int, body: str) -> None:
                data = body.encode()
                self.send_response(code)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                u = urllib.parse.urlsplit(self.path)
                q = dict(urllib.parse.parse_qsl(u.query))
                try:
                    if u.path == "/oa":
                        check_signature(OA["token"], q["signature"], q["timestamp"], q["nonce"])
                        return self._send(200, q["echostr"])
                    crypto = WeComCrypto(CORP["token"], CORP["aes_key"], CORP["corpid"])
                    return self._send(200, crypto.check_signature(q["msg_signature"], q["timestamp"], q["nonce"],
                                                                  q["echostr"]))
                except Exception as exc:
                    return self._send(403, repr(exc))

            def do_POST(self):
                u = urllib.parse.urlsplit(self.path)
                q = dict(urllib.parse.parse_qsl(u.query))
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                try:
                    if u.path == "/oa":
                        check_signature(OA["token"], q["signature"], q["timestamp"], q["nonce"])
                        if q.get("encrypt_type") == "aes":
                            xml = WeChatCrypto(OA["token"], OA["aes_key"], OA["appid"]).decrypt_message(
                                raw, q["msg_signature"], q["timestamp"], q["nonce"])
                        else:
                            xml = raw.decode()
                    else:
                        xml = WeComCrypto(CORP["token"], CORP["aes_key"], CORP["corpid"]).decrypt_message(
                            raw, q["msg_signature"], q["timestamp"], q["nonce"])
                except Exception as exc:
                    return self._send(403, repr(exc))
                import xmltodict

                record = {"platform": u.path.strip("/"), "query": q, "xml": xml,
                          "data": xmltodict.parse(xml)["xml"], "content_type": self.headers["Content-Type"]}
                if record["platform"] == "oa":
                    record["msg"] = parse_message(xml)
                receiver.events.append(record)
                if receiver.delay:
                    threading.Event().wait(receiver.delay)
                reply = receiver.on_event(record) if receiver.on_event else "success"
                return self._send(200, reply)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def server():
    srv = SandboxServer(port=0, frozen_clock=True).start()
    yield srv
    srv.stop()


@pytest.fixture
def receiver():
    # one per test: a slow handler still running from an earlier test (a delivery WeChat gave up on) can only
    # record into that test's receiver, never into the next test's events
    r = Receiver()
    yield r
    r.stop()


@pytest.fixture
def client(server, receiver) -> SandboxClient:
    c = SandboxClient(server.url)
    c.reset()
    receiver.events.clear()
    receiver.on_event = None
    receiver.delay = 0.0
    c.register_oa(callback_url=receiver.url + "/oa", **OA)
    c.register_wecom(callback_url=receiver.url + "/wecom", **CORP)
    return c


def oa_client(base_url: str, appid: str = OA["appid"], secret: str = OA["secret"]) -> WeChatClient:
    """wechatpy pointed at the sandbox the way reference §4.4 prescribes."""

    class SandboxOAClient(WeChatClient):
        API_BASE_URL = base_url + "/oa/cgi-bin/"

        def fetch_access_token(self):
            return self._fetch_access_token(url=base_url + "/oa/cgi-bin/token", params={
                "grant_type": "client_credential", "appid": self.appid, "secret": self.secret})

    return SandboxOAClient(appid, secret, auto_retry=False)


def wecom_client(base_url: str, corpid: str = CORP["corpid"], secret: str = CORP["secret"]) -> WeComClient:
    class SandboxWeComClient(WeComClient):
        API_BASE_URL = base_url + "/wecom/cgi-bin/"

        def fetch_access_token(self):
            return self._fetch_access_token(url=base_url + "/wecom/cgi-bin/gettoken",
                                            params={"corpid": self.corp_id, "corpsecret": self.secret})

    return SandboxWeComClient(corpid, secret, auto_retry=False)
