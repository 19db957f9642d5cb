"""HTTP front of the sandbox: routes platform APIs (/oa, /wecom) and the control API (/_sandbox).

One lock guards all state. Platform handlers never do I/O; anything that must reach our callback URL
(simulated user actions, transfer outcomes) is sent after the lock is released, because our handler
may call back into the sandbox (e.g. send_welcome_msg) while we wait for its reply.
"""

from __future__ import annotations

import html
import json
import re
import threading
import time
import urllib.parse
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from . import (  # noqa: F401  (wecom_tags, oa_datacube: their routes)
    callbacks,
    oa,
    oa_datacube,
    wecom,
    wecom_alerts,
    wecom_groups,
    wecom_login,
    wecom_moments,
    wecom_stats,
    wecom_tags,
)
from .core import ANSWERS, FAULT_MESSAGES, ApiError, CallLog, Clock, Faults, TokenStore

CONTROL: list[tuple[str, re.Pattern, str]] = []


class _Answered(Exception):
    """A fault chose the answer (a non-JSON body) before the platform handler ran."""


def control(method: str, pattern: str) -> Callable:
    def register(fn: Callable) -> Callable:
        CONTROL.append((method, re.compile("^" + pattern + "$"), fn.__name__))
        return fn
    return register


class Sandbox:
    """All sandbox state and behaviour, independent of HTTP (the server is a thin adapter)."""

    def __init__(self, frozen_clock: bool = False) -> None:
        self.frozen_clock = frozen_clock  # tests: the clock moves only when a test moves it (core.Clock)
        self.lock = threading.RLock()
        self.public_url = ""  # the server's own base URL (set by SandboxServer), for image URLs it hands out
        self._init_state()

    def _init_state(self) -> None:
        self.clock = Clock(frozen=self.frozen_clock)
        self.calls = CallLog()
        self.faults = Faults()
        self.tokens = TokenStore()
        self.oa = oa.OAPlatform(self)
        self.wecom = wecom.WeComPlatform(self)
        self.callback_timeout = 5.0  # WeChat drops the connection after 5 s

    def platform(self, name: str):
        return self.oa if name == "oa" else self.wecom

    # ------------------------------------------------------------------ platform APIs
    def api_call(self, platform: str, method: str, endpoint: str, query: dict,
                 raw_body: bytes) -> tuple[int, str, bytes]:
        """Serve one /oa or /wecom call: faults, token check, handler, call log. Returns (status, type, body)."""
        endpoint = endpoint.strip("/")
        token = query.get("access_token")
        with self.lock:
            info = self.tokens.tokens.get(token or "")
            app = info["app"] if info else (query.get("appid") or query.get("corpid"))
            fault = self.faults.take(platform, endpoint, app)
        if fault and fault.delay_ms:
            time.sleep(fault.delay_ms / 1000)  # outside the lock: a slow endpoint must not stall others
        body: Any = None
        status, ctype, payload = 200, "application/json", None
        try:
            body = _json_body(raw_body)
            if fault and fault.errcode is not None and not fault.apply:
                raise ApiError(fault.errcode, fault.errmsg or FAULT_MESSAGES.get(fault.errcode, "injected fault"))
            if fault and fault.answer and not fault.apply:
                result = {"answer": fault.answer}
                payload, ctype = ANSWERS[fault.answer]
                raise _Answered()
            with self.lock:
                if platform == "oa" and endpoint == "showqrcode":
                    img = self.oa.show_qrcode(query.get("ticket", ""))
                    status, ctype = (200, "image/jpeg") if img else (404, "text/plain")
                    payload = img or b"not found"
                    result: Any = {"image_bytes": len(img)} if img else {"status": 404}
                else:
                    args = body if isinstance(body, dict) else {}
                    result, app = self._dispatch(platform, method, endpoint, query, args)
            if fault and fault.apply and fault.errcode is not None:  # done, but WeChat says it failed
                raise ApiError(fault.errcode, fault.errmsg or FAULT_MESSAGES.get(fault.errcode, "injected fault"))
            if fault and fault.apply and fault.answer:  # done, but the answer is not JSON
                result = {"answer": fault.answer, "applied": result}
                payload, ctype = ANSWERS[fault.answer]
        except ApiError as err:
            result = err.body()
        except _Answered:
            pass
        if payload is None:
            result, payload = _json_answer(platform, result)
        with self.lock:
            self.calls.record(method=method, path=endpoint, platform=platform, app=app,
                              query={k: v for k, v in query.items() if k != "access_token"},
                              body=body, response=result, errcode=result.get("errcode", 0),
                              time=self.clock.now(), fault=fault.as_dict() if fault else None)
        self.flush_outbox()
        return status, ctype, payload

    def authorize(self, confirm: bool, raw_query: str) -> tuple:
        """open.weixin.qq.com/connect/oauth2/authorize (the sandbox's `/open` stands for that host): the page that
        asks which user this browser is, then (…/confirm) WeChat's 302 to redirect_uri?code=CODE&state=STATE.
        A bad link gets an error page, as WeChat shows one (the errcode and message are in it)."""
        query = urllib.parse.parse_qsl(raw_query, keep_blank_values=True)
        with self.lock:
            try:
                if confirm:
                    return 302, "text/plain", b"", self.oa.authorize_confirm(query)
                return 200, "text/html", self.oa.authorize_page(query)
            except ApiError as err:
                page = f"<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>错误</title></head>" \
                       f"<body><h1 id=\"error\">{err.errcode}: {html.escape(err.errmsg)}</h1></body></html>"
                return 400, "text/html", page.encode("utf-8")

    def wecom_qr(self, config_id: str) -> tuple[int, str, bytes]:
        """GET /wecom/qr/<config_id>.png: the image a contact way's qr_code points at. Faults on path "qr"
        (platform "wecom") apply: a delay, or any errcode makes the image host answer HTTP 503."""
        with self.lock:
            fault = self.faults.take("wecom", "qr", None)
        if fault and fault.delay_ms:
            time.sleep(fault.delay_ms / 1000)
        with self.lock:
            img = None if fault and fault.errcode is not None else self.wecom.qr_image(config_id)
            if fault and fault.errcode is not None:
                status, ctype, payload = 503, "text/plain", b"image host unavailable (injected fault)"
            elif img is None:
                status, ctype, payload = 404, "text/plain", b"not found"
            else:
                status, ctype, payload = 200, "image/png", img
            self.calls.record(method="GET", path="qr", platform="wecom", app=None, query={"config_id": config_id},
                              body=None, response={"status": status, "image_bytes": len(img or b"")},
                              errcode=0 if status == 200 else status, time=self.clock.now(),
                              fault=fault.as_dict() if fault else None)
        return status, ctype, payload

    def _dispatch(self, platform: str, method: str, endpoint: str, query: dict, body: dict) -> tuple[dict, str | None]:
        plat = self.platform(platform)
        route = plat.routes().get(endpoint)
        if route is None:
            raise ApiError(48001, f"api unauthorized, unknown endpoint {endpoint}")
        want, handler, auth = route
        if method != want:
            raise ApiError(43002 if want == "POST" else 43001, f"require {want} method")
        app = None
        if auth:
            app_id = self.tokens.check(platform, query.get("access_token"), self.clock.now())
            app = plat.apps.get(app_id)
            if app is None:  # the app was re-registered away
                raise ApiError(40001 if platform == "oa" else 40014, "invalid access_token")
        result = getattr(plat, handler)(app, query, body)
        return result, (app.cfg.get("appid") or app.cfg.get("corpid")) if app else (
            query.get("appid") or query.get("corpid") or body.get("appid"))

    # ------------------------------------------------------------------ outbound callbacks
    def flush_outbox(self) -> None:
        """Send callbacks queued by state changes (transfer outcomes) from a background thread."""
        with self.lock:
            items, self.wecom.outbox = self.wecom.outbox, []
        if items:
            threading.Thread(target=self._send_wecom_many, args=(items,), daemon=True).start()

    def _send_wecom_many(self, items: list[tuple[dict, str]]) -> None:
        for corp_cfg, xml in items:
            self.send_wecom(corp_cfg, xml)

    def send_oa(self, app_cfg: dict, xml: str, openid: str | None, spec: dict) -> dict:
        if not app_cfg.get("callback_url"):
            return {"status": None, "error": "no callback_url registered", "xml": xml}
        query, body = callbacks.oa_request(app_cfg, xml, openid, spec.get("encrypt"), spec.get("timestamp"))
        query.update(spec.get("query_overrides") or {})
        out = callbacks.deliver(app_cfg["callback_url"], query, body, spec.get("deliveries", 1),
                                bool(spec.get("concurrent")), float(spec.get("timeout", self.callback_timeout)),
                                int(spec.get("retry_on_failure", 0)))
        out.update(callbacks.open_reply(out["body"], app_cfg["token"], app_cfg.get("aes_key", ""), app_cfg["appid"]))
        out["xml"] = xml
        return out

    def send_wecom(self, corp_cfg: dict, xml: str, spec: dict | None = None) -> dict:
        spec = spec or {}
        if not corp_cfg.get("callback_url"):
            return {"status": None, "error": "no callback_url registered", "xml": xml}
        query, body = callbacks.wecom_request(corp_cfg, xml, spec.get("timestamp"))
        query.update(spec.get("query_overrides") or {})
        out = callbacks.deliver(corp_cfg["callback_url"], query, body, spec.get("deliveries", 1),
                                bool(spec.get("concurrent")), float(spec.get("timeout", self.callback_timeout)),
                                int(spec.get("retry_on_failure", 0)))
        out.update(callbacks.open_reply(out["body"], corp_cfg["token"], corp_cfg["aes_key"], corp_cfg["corpid"],
                                        wecom=True))
        out["xml"] = xml
        with self.lock:
            self.wecom.sent_callbacks.append({"xml": xml, "status": out["status"], "at": self.clock.now()})
        return out

    # ------------------------------------------------------------------ control API
    def handle_control(self, method: str, path: str, query: dict, body: dict) -> Any:
        for want, pattern, name in CONTROL:
            m = pattern.match(path)
            if m and re.fullmatch(want, method):
                return getattr(self, name)(body, query, *[urllib.parse.unquote(g) for g in m.groups()])
        raise LookupError(path)

    @control("POST", "/reset")
    def c_reset(self, body, q):
        with self.lock:
            self._init_state()
        return {"ok": True}

    @control("GET", "/clock")
    def c_clock(self, body, q):
        with self.lock:
            return {"now": self.clock.now(), "offset": self.clock.offset}

    @control("POST", "/clock/advance")
    def c_clock_advance(self, body, q):
        with self.lock:
            self.clock.advance(float(body.get("seconds", 0)))
            self.wecom.tick()
            out = {"now": self.clock.now(), "offset": self.clock.offset}
        self.flush_outbox()
        return out

    @control("POST", "/clock/set")
    def c_clock_set(self, body, q):
        with self.lock:
            self.clock.set(float(body["now"]))
            self.wecom.tick()
            out = {"now": self.clock.now(), "offset": self.clock.offset}
        self.flush_outbox()
        return out

    @control("GET", "/calls")
    def c_calls(self, body, q):
        with self.lock:
            calls = self.calls.query(q.get("path_contains"), q.get("platform"), q.get("app"))
            return {"count": len(calls), "counts": self.calls.counts(calls), "calls": list(calls)}

    @control("DELETE", "/calls")
    def c_calls_clear(self, body, q):
        with self.lock:
            self.calls.clear()
        return {"ok": True}

    @control("GET", "/faults")
    def c_faults(self, body, q):
        with self.lock:
            return {"faults": [f.as_dict() for f in self.faults.items]}

    @control("POST", "/faults")
    def c_faults_add(self, body, q):
        with self.lock:
            return self.faults.add(body).as_dict()

    @control("DELETE", "/faults")
    def c_faults_clear(self, body, q):
        with self.lock:
            self.faults.clear()
        return {"ok": True}

    @control("GET", "/stats")
    def c_stats(self, body, q):
        with self.lock:
            return {"token_fetches": dict(self.tokens.fetches), "tokens_minted": dict(self.tokens.minted),
                    "calls": len(self.calls.calls), "call_counts": self.calls.counts(self.calls.calls)}

    @control("GET", "/state")
    def c_state(self, body, q):
        with self.lock:
            return {"now": self.clock.now(), "oa": {k: a.summary() for k, a in self.oa.apps.items()},
                    "wecom": {k: c.summary() for k, c in self.wecom.apps.items()},
                    "faults": [f.as_dict() for f in self.faults.items], "calls": len(self.calls.calls)}

    # ---- OA control
    @control("POST", "/oa/apps")
    def c_oa_register(self, body, q):
        with self.lock:
            return self.oa.register(body)

    @control("POST", "/oa/([^/]+)/followers")
    def c_oa_followers(self, body, q, appid):
        with self.lock:
            return self.oa.bulk_followers(appid, body)

    @control("GET", "/oa/([^/]+)/followers/([^/]+)")
    def c_oa_follower(self, body, q, appid, openid):
        with self.lock:
            return self.oa.follower(appid, openid)

    @control("POST", "/oa/([^/]+)/events")
    def c_oa_event(self, body, q, appid):
        with self.lock:
            app, xml, openid = self.oa.user_event(appid, body)
            cfg = dict(app.cfg)
        out = self.send_oa(cfg, xml, openid, body)
        out["openid"] = openid
        return out

    @control("POST", "/oa/([^/]+)/menu/click")
    def c_oa_menu_click(self, body, q, appid):
        """A follower taps a menu entry by name (oa_menus.py): its signed CLICK or VIEW callback is delivered."""
        with self.lock:
            app, xml, openid = self.oa.menu_click(appid, body)
            cfg = dict(app.cfg)
        out = self.send_oa(cfg, xml, openid, body)
        out["openid"] = openid
        return out

    @control("POST", "/oa/([^/]+)/raw")
    def c_oa_raw(self, body, q, appid):
        with self.lock:
            cfg = dict(self.oa.app(appid).cfg)
        return self.send_oa(cfg, body.get("xml", ""), body.get("openid"), body)

    @control("POST", "/oa/([^/]+)/verify")
    def c_oa_verify(self, body, q, appid):
        with self.lock:
            cfg = dict(self.oa.app(appid).cfg)
        ts, nonce = str(int(time.time())), callbacks.nonce()
        echostr = body.get("echostr") or callbacks.nonce() + callbacks.nonce()
        query = {"signature": callbacks.sha1_sign(cfg["token"], ts, nonce), "timestamp": ts, "nonce": nonce,
                 "echostr": echostr, **(body.get("query_overrides") or {})}
        out = callbacks.get(cfg["callback_url"], query, float(body.get("timeout", self.callback_timeout)))
        return {**out, "echostr": echostr, "matched": out["status"] == 200 and out["body"] == echostr}

    @control("POST", r"/oa/([^/]+)/mass/(\d+)/finish")
    def c_oa_mass_finish(self, body, q, appid, msg_id):
        with self.lock:
            app, xml = self.oa.finish_mass(appid, int(msg_id), body.get("status", "send success"))
            cfg = dict(app.cfg)
        return self.send_oa(cfg, xml, None, body)

    # ---- WeCom control
    @control("POST", "/wecom/corps")
    def c_wecom_register(self, body, q):
        """`{corpid, secret (customer contact), token, aes_key, callback_url?, agentid?, agent_secret?, apps?}`:
        agentid and agent_secret are the self-built app whose web login makes login codes (only its token redeems
        them); `apps` ({AgentID: Secret}, merged into what the corp had) are more self-built apps. Each app's
        token is its own: message/send takes only the token of the app its agentid names."""
        with self.lock:
            return self.wecom.register(body)

    @control("POST", "/wecom/([^/]+)/events")
    def c_wecom_event(self, body, q, corpid):
        with self.lock:
            corp, xml, extra = self.wecom.event(corpid, body)
            cfg = dict(corp.cfg)
        out = self.send_wecom(cfg, xml, body)
        out.update(extra)
        return out

    @control("POST", "/wecom/([^/]+)/group-actions/(scan|leave|dismiss)")
    def c_wecom_group_action(self, body, q, corpid, action):
        """A customer scans a join way's code, leaves a group, or the group is dismissed (wecom_groups.py); the
        signed change_external_chat callback is sent like /events sends it."""
        with self.lock:
            corp, xml, extra = wecom_groups.act(self.wecom, corpid, action, body)
            cfg = dict(corp.cfg)
        out = self.send_wecom(cfg, xml, body)
        out.update(extra)
        return out

    @control("POST", "/wecom/([^/]+)/raw")
    def c_wecom_raw(self, body, q, corpid):
        with self.lock:
            cfg = dict(self.wecom.app(corpid).cfg)
        return self.send_wecom(cfg, body.get("xml", ""), body)

    @control("POST", "/wecom/([^/]+)/verify")
    def c_wecom_verify(self, body, q, corpid):
        with self.lock:
            cfg = dict(self.wecom.app(corpid).cfg)
        ts, nonce = str(int(time.time())), callbacks.nonce()
        plain = body.get("echostr") or callbacks.nonce() + callbacks.nonce()
        echostr = callbacks.encrypt(cfg["aes_key"], plain, cfg["corpid"], wecom=True)
        query = {"msg_signature": callbacks.sha1_sign(cfg["token"], ts, nonce, echostr), "timestamp": ts,
                 "nonce": nonce, "echostr": echostr, **(body.get("query_overrides") or {})}
        out = callbacks.get(cfg["callback_url"], query, float(body.get("timeout", self.callback_timeout)))
        return {**out, "echostr": echostr, "plaintext": plain, "matched": out["status"] == 200 and out["body"] == plain}

    @control("GET", "/wecom/([^/]+)/customers/([^/]+)")
    def c_wecom_customer(self, body, q, corpid, ext):
        with self.lock:
            return self.wecom.customer_view(corpid, ext)

    @control("(?:POST|GET)", "/wecom/([^/]+)/(staff|customers|groupchats|settings)")
    def c_wecom_collection(self, body, q, corpid, kind):
        with self.lock:
            return self.wecom.control_collection(corpid, kind, body)

    @control("POST", r"/wecom/([^/]+)/groupmsg/([^/]+)/confirm")
    def c_wecom_confirm(self, body, q, corpid, msgid):
        with self.lock:
            return self.wecom.confirm_groupmsg(corpid, msgid, body)

    @control("POST", "/wecom/([^/]+)/transfers/outcome")
    def c_wecom_transfer_outcome(self, body, q, corpid):
        with self.lock:
            out = self.wecom.transfer_outcome(corpid, body)
        self.flush_outbox()
        return out

    @control("POST", "/wecom/([^/]+)/login-codes")
    def c_wecom_login_code(self, body, q, corpid):
        """A web login code for `{"userid"}` (a member) or `{"openid", "external_userid"}` (anyone else), as if
        they had scanned the login QR code: for tests that skip the login page."""
        with self.lock:
            return wecom_login.mint_code(self.wecom, corpid, body)

    @control("POST", r"/wecom/([^/]+)/moments/([^/]+)/(publish|interactions)")
    def c_wecom_moment_action(self, body, q, corpid, moment_id, action):
        """A member publishes a moment task, or a customer comments on / likes it (wecom_moments.py)."""
        with self.lock:
            return wecom_moments.control(self.wecom, corpid, moment_id, action, body)

    @control("GET", "/wecom/([^/]+)/moments")
    def c_wecom_moments(self, body, q, corpid):
        with self.lock:
            return wecom_moments.overview(self.wecom, corpid)

    def wecom_login_page(self, query: dict) -> tuple[int, str, bytes]:
        with self.lock:
            return wecom_login.login_page(self.wecom, query)

    def wecom_login_scan(self, form: dict) -> tuple[int, str, bytes, str | None]:
        with self.lock:
            return wecom_login.scan(self.wecom, form)

    @control("GET", "/wecom/([^/]+)/transfers")
    def c_wecom_transfers(self, body, q, corpid):
        with self.lock:
            return {"transfers": list(self.wecom.app(corpid).transfers)}

    @control("(?:POST|GET)", "/oa/([^/]+)/datacube")
    def c_oa_datacube(self, body, q, appid):
        """An OA API's statistics rows of a day (oa_datacube.py): set them (POST) or list them (GET)."""
        with self.lock:
            return oa_datacube.control(self.oa, appid, body)

    @control("(?:POST|GET)", "/wecom/([^/]+)/stats")
    def c_wecom_stats(self, body, q, corpid):
        """Staff figures of a day (wecom_stats.py): set them (POST) or list them (GET)."""
        with self.lock:
            return wecom_stats.control(self.wecom, corpid, body)

    @control("GET", "/wecom/([^/]+)/app-messages")
    def c_wecom_app_messages(self, body, q, corpid):
        """The app messages members received (message/send), and the repeats the duplicate check suppressed."""
        with self.lock:
            return wecom_alerts.sent(self.wecom.app(corpid))


class Handler(BaseHTTPRequestHandler):
    sandbox: Sandbox  # set on the subclass made per server
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # keep test output quiet
        pass

    def _reply(self, status: int, ctype: str, payload: bytes, location: str | None = None) -> None:
        self.send_response(status)
        if location:
            self.send_header("Location", location)
        self.send_header("Content-Type", ctype + ("; charset=utf-8" if "json" in ctype or "text" in ctype else ""))
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        try:
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the caller timed out (a delay fault did its job)

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _login(self, method: str, path: str, query: dict, raw: bytes) -> bool:
        """WeCom's web login page and its scan (wecom_login.py); False for any other path."""
        if method == "GET" and path == wecom_login.LOGIN_PATH:
            self._reply(*self.sandbox.wecom_login_page(query))
            return True
        if method == "POST" and path == wecom_login.SCAN_PATH:
            form = dict(urllib.parse.parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
            status, ctype, payload, location = self.sandbox.wecom_login_scan(form)
            if location:
                self._redirect(location)
            else:
                self._reply(status, ctype, payload)
            return True
        return False

    def _handle(self, method: str) -> None:
        parsed = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(parsed.query, keep_blank_values=True))
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        path = parsed.path
        try:
            if self._login(method, path, query, raw):
                return
            if method == "GET" and path.startswith("/wecom/qr/") and path.endswith(".png"):
                self._reply(*self.sandbox.wecom_qr(path[len("/wecom/qr/"):-len(".png")]))
                return
            for prefix in ("oa", "wecom"):
                base = f"/{prefix}/cgi-bin/"
                if path.startswith(base):
                    self._reply(*self.sandbox.api_call(prefix, method, path[len(base):], query, raw))
                    return
            if path.startswith("/oa/datacube/"):  # the OA's statistics (api.weixin.qq.com/datacube/...)
                self._reply(*self.sandbox.api_call("oa", method, path[len("/oa/"):], query, raw))
                return
            if path.startswith("/oa/sns/"):  # web authorization's code exchange (api.weixin.qq.com/sns/...)
                self._reply(*self.sandbox.api_call("oa", method, path[len("/oa/"):], query, raw))
                return
            if method == "GET" and path in ("/open/connect/oauth2/authorize", "/open/connect/oauth2/authorize/confirm"):
                self._reply(*self.sandbox.authorize(path.endswith("/confirm"), parsed.query))
                return
            if path.startswith("/_sandbox/"):
                body = json.loads(raw.decode("utf-8")) if raw.strip() else {}
                try:
                    route = path[len("/_sandbox"):].rstrip("/") or "/"
                    result = self.sandbox.handle_control(method, route, query, body)
                except ApiError as err:
                    self._reply(400, "application/json", json.dumps(err.body(), ensure_ascii=False).encode())
                    return
                except LookupError:
                    self._reply(404, "application/json", b'{"error": "unknown control route"}')
                    return
                self._reply(200, "application/json", json.dumps(result, ensure_ascii=False, default=str).encode())
                return
            self._reply(404, "application/json", b'{"errcode": 404, "errmsg": "not found hint: [sandbox]"}')
        except (ValueError, KeyError, TypeError) as exc:
            self._reply(400, "application/json", json.dumps({"error": repr(exc)}).encode())

    def do_GET(self):
        self._handle("GET")

    def do_POST(self):
        self._handle("POST")

    def do_DELETE(self):
        self._handle("DELETE")


class SandboxServer:
    """Run a Sandbox over HTTP in a background thread: `SandboxServer(port=0).start().url`."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, sandbox: Sandbox | None = None,
                 frozen_clock: bool = False) -> None:
        self.sandbox = sandbox or Sandbox(frozen_clock=frozen_clock)
        handler = type("BoundHandler", (Handler,), {"sandbox": self.sandbox})
        self.httpd = ThreadingHTTPServer((host, port), handler)
        self.httpd.daemon_threads = True
        self.thread: threading.Thread | None = None
        self.sandbox.public_url = self.url

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> SandboxServer:
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="wechat-sandbox", daemon=True)
        self.thread.start()
        return self

    def serve_forever(self) -> None:
        self.httpd.serve_forever()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        if self.thread:
            self.thread.join(timeout=5)

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _json_body(raw_body: bytes):
    """A call's JSON body (None when empty); WeChat answers 47001 to one it cannot parse."""
    if not raw_body:
        return None
    try:
        return json.loads(raw_body.decode("utf-8"))
    except ValueError:
        raise ApiError(47001, "data format error") from None


def _json_answer(platform: str, result: dict) -> tuple[dict, bytes]:
    """(the answer as logged, its bytes): WeCom puts errcode 0 / errmsg ok on every success."""
    if "errcode" not in result and platform == "wecom":
        result = {"errcode": 0, "errmsg": "ok", **result}
    return result, json.dumps(result, ensure_ascii=False).encode("utf-8")
