"""Acting as WeChat towards our callback URL: XML bodies, signatures, AES envelopes, delivery.

The crypto is wechatpy's (the same code our handler uses to decrypt), so a mismatch here would
be a real protocol bug, not a sandbox quirk.
"""

from __future__ import annotations

import base64
import hashlib
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests
import xmltodict
from wechatpy.crypto import PrpCrypto
from wechatpy.enterprise.crypto import PrpCrypto as WeComPrpCrypto

from .core import rand_id

INT_FIELDS = {"CreateTime", "MsgId", "MsgID", "TotalCount", "FilterCount", "SentCount", "ErrorCount",
              "MenuId", "JoinScene", "QuitScene", "MemChangeCnt", "AgentID", "Status"}


def cdata(value: Any) -> str:
    # "]]>" cannot live inside CDATA; split it the standard way.
    return "<![CDATA[" + str(value).replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _bare_number(key: str, value: Any) -> bool:
    """Numbers go out without CDATA, as WeChat sends CreateTime, MsgId, counts and coordinates."""
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return True
    return key in INT_FIELDS and str(value).lstrip("-").isdigit()


def build_xml(fields: dict[str, Any]) -> str:
    """Render a flat WeChat event dict as XML (ints bare, strings in CDATA, lists as <Item>)."""
    parts = ["<xml>"]
    for key, value in fields.items():
        if value is None:
            continue
        if isinstance(value, (list, tuple)):
            inner = "".join(f"<Item>{cdata(v)}</Item>" for v in value)
            parts.append(f"<{key}>{inner}</{key}>")
        elif _bare_number(key, value):
            parts.append(f"<{key}>{value}</{key}>")
        else:
            parts.append(f"<{key}>{cdata(value)}</{key}>")
    parts.append("</xml>")
    return "".join(parts)


def sha1_sign(*items: str) -> str:
    return hashlib.sha1("".join(sorted(str(i) for i in items)).encode("utf-8")).hexdigest()


def encrypt(aes_key: str, plaintext: str, receive_id: str, wecom: bool = False) -> str:
    """AES-256-CBC envelope content (random16 + len + msg + id, PKCS7 to 32), base64."""
    crypto = (WeComPrpCrypto if wecom else PrpCrypto)(base64.b64decode(aes_key + "="))
    return crypto.encrypt(plaintext, receive_id).decode()


def decrypt(aes_key: str, ciphertext: str, receive_id: str, wecom: bool = False) -> str:
    crypto = (WeComPrpCrypto if wecom else PrpCrypto)(base64.b64decode(aes_key + "="))
    return crypto.decrypt(ciphertext, receive_id)


def nonce() -> str:
    return rand_id(10, "0123456789")


def oa_request(app: dict, xml: str, openid: str | None, encrypt_body: bool | None = None,
               timestamp: str | None = None) -> tuple[dict, str]:
    """Query params and body for one OA push, in the app's message mode, as WeChat sends them
    (https://developers.weixin.qq.com/doc/subscription/guide/dev/push/encryption.md):
    - `plain` (明文模式): the XML as is, signed by `signature` only;
    - `aes` (安全模式): `<xml><ToUserName>gh_...</ToUserName><Encrypt>...</Encrypt></xml>`, with `encrypt_type=aes`
      and `msg_signature` (over token, timestamp, nonce, Encrypt) added to the URL;
    - `compatible` (兼容模式): the plaintext fields *and* `Encrypt` in one body, the same two URL parameters.
    `encrypt_body` overrides the mode (True: aes, False: plain)."""
    ts = timestamp or str(int(time.time()))  # wall time: handlers reject stale timestamps
    nc = nonce()
    query = {"signature": sha1_sign(app["token"], ts, nc), "timestamp": ts, "nonce": nc}
    if openid:
        query["openid"] = openid
    mode = app.get("encrypt_mode") or "plain"
    if encrypt_body is not None:
        mode = "aes" if encrypt_body else "plain"
    if mode not in ("aes", "compatible"):
        return query, xml
    enc = encrypt(app["aes_key"], xml, app["appid"])
    if mode == "compatible":
        body = xml[:xml.rindex("</xml>")] + f"<Encrypt>{cdata(enc)}</Encrypt></xml>"
    else:
        body = build_xml({"ToUserName": app.get("original_id") or "", "Encrypt": enc})
    query["encrypt_type"] = "aes"
    query["msg_signature"] = sha1_sign(app["token"], ts, nc, enc)
    return query, body


def wecom_request(corp: dict, xml: str, timestamp: str | None = None) -> tuple[dict, str]:
    ts = timestamp or str(int(time.time()))
    nc = nonce()
    enc = encrypt(corp["aes_key"], xml, corp["corpid"], wecom=True)
    body = build_xml({"ToUserName": corp["corpid"], "AgentID": corp.get("agentid") or "", "Encrypt": enc})
    return {"msg_signature": sha1_sign(corp["token"], ts, nc, enc), "timestamp": ts, "nonce": nc}, body


def open_reply(raw: str, token: str, aes_key: str, receive_id: str, wecom: bool = False) -> dict:
    """Decrypt a passive reply if it is an <Encrypt> envelope; report whether its signature held."""
    out: dict[str, Any] = {"reply": raw, "reply_encrypted": False}
    if "<Encrypt>" not in raw:
        return out
    try:
        doc = xmltodict.parse(raw)["xml"]
        enc = doc["Encrypt"]
        out["reply_encrypted"] = True
        out["reply_signature_ok"] = sha1_sign(token, doc.get("TimeStamp", ""), doc.get("Nonce", ""),
                                              enc) == doc.get("MsgSignature")
        out["reply"] = decrypt(aes_key, enc, receive_id, wecom=wecom)
    except Exception as exc:  # a broken reply is a finding to report, not a sandbox crash
        out["reply_error"] = repr(exc)
    return out


def post(url: str, query: dict, body: str, timeout: float) -> dict:
    started = time.monotonic()
    full = url + ("&" if "?" in url else "?") + urllib.parse.urlencode(query)
    try:
        r = requests.post(full, data=body.encode("utf-8"), timeout=timeout,
                          headers={"Content-Type": "text/xml"})
        return {"status": r.status_code, "body": r.text,
                "elapsed_ms": round((time.monotonic() - started) * 1000, 1)}
    except requests.RequestException as exc:
        # WeChat treats a timeout (5 s) or a broken connection as "no reply" and retries.
        return {"status": None, "body": "", "error": type(exc).__name__,
                "elapsed_ms": round((time.monotonic() - started) * 1000, 1)}


def deliver(url: str, query: dict, body: str, deliveries: int = 1, concurrent: bool = False,
            timeout: float = 5.0, retry_on_failure: int = 0) -> dict:
    """Send the identical request `deliveries` times (forced retries) and summarise.

    With `retry_on_failure=3` a delivery that times out or fails is re-sent up to 3 more times,
    which is WeChat's behaviour when our handler misses the 5-second deadline.
    """
    n = max(1, int(deliveries or 1))
    if concurrent and n > 1:
        with ThreadPoolExecutor(max_workers=n) as pool:
            results = list(pool.map(lambda _: post(url, query, body, timeout), range(n)))
    else:
        results = [post(url, query, body, timeout) for _ in range(n)]
    for _ in range(int(retry_on_failure or 0)):
        if results[-1]["status"] == 200:
            break
        results.append(post(url, query, body, timeout))
    first = results[0]
    return {"status": first["status"], "body": first["body"], "elapsed_ms": first["elapsed_ms"],
            "error": first.get("error"), "deliveries": results, "query": query, "request_body": body}


def get(url: str, query: dict, timeout: float = 5.0) -> dict:
    started = time.monotonic()
    try:
        r = requests.get(url, params=query, timeout=timeout)
        return {"status": r.status_code, "body": r.text,
                "elapsed_ms": round((time.monotonic() - started) * 1000, 1)}
    except requests.RequestException as exc:
        return {"status": None, "body": "", "error": type(exc).__name__,
                "elapsed_ms": round((time.monotonic() - started) * 1000, 1)}
