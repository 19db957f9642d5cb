"""WeCom welcome messages: a new customer's first words, sent with the event's WelcomeCode in time.

WeCom accepts `send_welcome_msg` once per code and only within 20 s of the add event, so this worker
handler sends at once and skips (recording "missed") when the code is older than MAX_CODE_AGE_SECONDS.
A send that fails transiently (busy, rate-limited, timed out, an answer that is not JSON, 41096) is tried
again while the code is young: a code works once, so a retry either sends or hears 41051 and can never
welcome twice; 41050 means the window closed. WeCom's page for send_welcome_msg
(https://developer.work.weixin.qq.com/document/path/92137, third-party copy .../path/92599, note 5) says
41051 "代表欢迎语已成功下发，无需重试" (the welcome was delivered: by our earlier attempt, a retry inside
the gateway, or another app of the corp) and 41096 "welcome msg is being distributed" means another app
is sending it and it may still fail, "故调用方可以重试" (the caller may retry). The outcome is stored on the event's
inbox item: `welcome_status` (sent | missed | failed | no_content), `welcome_sent_at`, and the detail
(code age at send, error). Content: a channel-specific welcome from `scrm.services.callbacks`'s welcome
providers, else the account's welcome setting (`/accounts/{account_id}/welcome`).
"""

from __future__ import annotations

import time

from .. import accounts, bootstrap
from ..domain.replies import welcome_message
from ..errors import WeChatBusy, WeChatError, WeChatRateLimited, WeChatUnavailable
from ..gateway import gateway_for
from ..observability import logger
from ..tenancy import Scope
from .callbacks import channel_welcome
from .events import on
from .replies import settings_for

MAX_CODE_AGE_SECONDS = 18.0  # WeCom's window is 20 s; leave room for the call itself
CLOCK = time.time
PAUSE = time.sleep  # between our own attempts (the gateway's busy back-off comes on top); tests replace it
FIRST_PAUSE, MAX_PAUSE = 0.2, 2.0


def code_started_at(event: dict) -> float:
    """When the code's 20 s began: the earlier of our receipt and WeChat's CreateTime (if plausible)."""
    received = float(event.get("received_at") or CLOCK())
    try:
        created = float(event.get("CreateTime"))
    except (TypeError, ValueError):
        return received
    return created if received - 300 <= created <= received else received


def welcome_content(account, event: dict) -> dict | None:
    return channel_welcome(account, event) or settings_for(account.account_id).welcome


@on("wecom.change_external_contact.add_external_contact",
    "wecom.change_external_contact.add_half_external_contact")
def send_welcome(payload: dict) -> dict:
    event = payload.get("event") or {}
    code = event.get("WelcomeCode")
    if not code:  # WeCom sends none when the admin console has its own welcome, or the code went to add_half
        return {"welcome": "no_code"}
    account_id = payload["account_id"]
    scope = Scope.system(account_id)
    inbox = bootstrap.inbox()
    if not inbox.start_welcome(scope, account_id, payload["dedupe_key"]):
        return {"welcome": "already_handled"}
    started = code_started_at(event)
    age = CLOCK() - started
    if age > MAX_CODE_AGE_SECONDS:
        inbox.finish_welcome(scope, account_id, payload["dedupe_key"], "missed", detail=f"code age {age:.1f}s")
        logger().warning("welcome code too old", extra={"account_id": account_id, "age_seconds": round(age, 1)})
        return {"welcome": "missed", "age": age}
    account = accounts.get(account_id)
    content = welcome_content(account, event)
    message = welcome_message(content) if content else {}
    if not message:
        inbox.finish_welcome(scope, account_id, payload["dedupe_key"], "no_content")
        return {"welcome": "no_content"}
    outcome, detail = _send_within_window(account, code, message, started)
    if outcome != "sent":
        inbox.finish_welcome(scope, account_id, payload["dedupe_key"], outcome, detail=detail)
        logger().warning("welcome not sent", extra={"account_id": account_id, "outcome": outcome, "error": detail})
        return {"welcome": outcome}
    sent_at = CLOCK()
    inbox.finish_welcome(scope, account_id, payload["dedupe_key"], "sent", sent_at=sent_at,
                         detail=f"code age {sent_at - started:.3f}s" + (f"; {detail}" if detail else ""))
    return {"welcome": "sent", "latency": sent_at - started}


CODE_USED, CODE_EXPIRED, CODE_BEING_DISTRIBUTED = 41051, 41050, 41096


def _send_within_window(account, code: str, message: dict, started: float) -> tuple[str, str]:
    """Send, retrying transient failures while the code is young. Returns (sent|missed|failed, detail)."""
    gateway = gateway_for(account)
    attempts = 0
    while True:
        attempts += 1
        try:
            gateway.send_welcome(code, message)
            return "sent", ""
        except WeChatError as exc:
            if exc.errcode == CODE_USED:  # WeCom: delivered, do not retry
                return "sent", ("an earlier attempt landed (41051 on retry)" if attempts > 1 else
                                "delivered already (41051: an earlier attempt or another app sent it)")
            if exc.errcode == CODE_EXPIRED:
                return "missed", str(exc)
            if exc.errcode != CODE_BEING_DISTRIBUTED and not isinstance(exc, (WeChatBusy, WeChatRateLimited)):
                return "failed", str(exc)
            error = exc  # busy, rate-limited or 41096 (another app is sending; may still fail): try again
        except WeChatUnavailable as exc:
            error = exc
        if CLOCK() - started > MAX_CODE_AGE_SECONDS:
            return "failed", f"{error} (gave up: code too old after {attempts} attempts)"
        PAUSE(min(MAX_PAUSE, FIRST_PAUSE * 2 ** (attempts - 1)))
