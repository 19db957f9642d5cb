"""Does an account's callback URL answer WeChat's GET check? The check WeChat's console runs when the URL is
saved, played by us: the console's "检查 / check" button (POST /accounts/{account_id}/callback-check) and
`python -m scrm_cli smoke --account` both use `verification_request`.

- Official Account (接入指南, https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/Access_Overview.html):
  `GET url?signature=&timestamp=&nonce=&echostr=`, signature = sha1 of the sorted Token, timestamp and nonce;
  the server answers the plaintext echostr, as is.
- WeCom (回调配置, 验证URL有效性, https://developer.work.weixin.qq.com/document/path/90930):
  `GET url?msg_signature=&timestamp=&nonce=&echostr=`, echostr encrypted with the EncodingAESKey (receiveid =
  corpid), msg_signature = sha1 of the sorted Token, timestamp, nonce and echostr; the server answers the
  decrypted text without quotes, BOM or newline.

Nothing is stored: the check changes no state (the callback route answers a GET without writing).
"""

from __future__ import annotations

import secrets
import time
import urllib.parse

TIMEOUT_SECONDS = 5.0  # WeChat's own check gives the URL about 5 s (WeCom asks for an answer within 1 s)
MAX_ANSWER = 4096  # an echo is short: read no more of whatever answers


def verification_request(kind: str, token: str, aes_key: str, app_id: str, *, timestamp: str | None = None,
                         nonce: str | None = None, echo: str | None = None) -> tuple[dict, str]:
    """(query parameters of WeChat's GET check, the text a correct server answers)."""
    from scrm.domain.wechat_crypto import Cipher, sign

    timestamp = timestamp or str(int(time.time()))
    nonce = nonce or secrets.token_hex(5)
    expected = echo or str(secrets.randbelow(10**18))
    if kind == "wecom":
        echostr = Cipher(aes_key, app_id).encrypt(expected)
        return {"msg_signature": sign(token, timestamp, nonce, echostr), "timestamp": timestamp, "nonce": nonce,
                "echostr": echostr}, expected
    return {"signature": sign(token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce,
            "echostr": expected}, expected


def check(scope, account_id: str, base_url: str, *, session=None, now: float | None = None) -> dict:
    """Run WeChat's GET check against the account's callback URL (as shown by its setup) and say how it went:
    {account_id, callback_url, ok, status, detail, checked_at}."""
    import requests

    from scrm.bootstrap import account_store
    from scrm.domain.instants import answer_time
    from scrm.services import admin_accounts

    rec = account_store().get_account(scope, account_id)
    setup = admin_accounts.setup(scope, account_id, base_url)
    url = setup["callback_url"]
    params, expected = verification_request(rec.kind, setup["token"], setup["aes_key"], rec.app_id)
    now = time.time() if now is None else now
    out = {"account_id": account_id, "callback_url": url, "ok": False, "status": None,
           "checked_at": answer_time(now)}
    http = session or requests.Session()
    try:  # our own URL only (built from the account, never from the request body); redirects are not followed
        res = http.get(f"{url}?{urllib.parse.urlencode(params)}", timeout=TIMEOUT_SECONDS, allow_redirects=False,
                       stream=True)
        answer = res.raw.read(MAX_ANSWER, decode_content=True).decode("utf-8", "replace")
        res.close()
    except requests.RequestException as exc:
        return {**out, "detail": f"the URL did not answer: {type(exc).__name__}"}
    out["status"] = res.status_code
    if res.status_code == 200 and answer == expected:
        return {**out, "ok": True, "detail": "the URL answered WeChat's check with the echo"}
    if res.status_code != 200:
        return {**out, "detail": f"HTTP {res.status_code}: {answer[:200]}"}
    return {**out, "detail": f"HTTP 200 but the answer is not the echo: {answer[:200]!r}"}
