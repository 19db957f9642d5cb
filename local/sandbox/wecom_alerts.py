"""WeCom 发送应用消息 (`message/send`) details the sandbox honours beyond recording the message (wecom.py):
the textcard's required fields and the duplicate check.

From https://developer.work.weixin.qq.com/document/path/90236:
"支持重复消息检查，当指定 "enable_duplicate_check": 1开启: 表示在一定时间间隔内，
同样内容（请求json）的消息，不会重复收到；时间间隔可通过duplicate_check_interval指定，默认1800秒"
(at most 4 hours). The page does not say what a suppressed repeat answers; the sandbox answers it as a
success with the first message's msgid and records no second message (`corp.app_messages` holds what
members received; the repeats suppressed are counted). A textcard needs `title`, `description` and `url`.
"""

from __future__ import annotations

import json

from .core import ApiError

DEFAULT_INTERVAL, MAX_INTERVAL = 1800, 4 * 3600


def check(body: dict) -> None:
    if body.get("msgtype") == "textcard":
        card = body.get("textcard") or {}
        missing = [k for k in ("title", "description", "url") if not card.get(k)]
        if missing:
            raise ApiError(40058, f"invalid parameter, textcard.{missing[0]} is required")
    if body.get("msgtype") == "text" and not (body.get("text") or {}).get("content"):
        raise ApiError(40058, "invalid parameter, text.content is required")


def repeat_of(corp, body: dict, now: float) -> str | None:
    """The msgid of the same request body sent within the duplicate-check interval, or None (then remember it)."""
    if int(body.get("enable_duplicate_check") or 0) != 1:
        return None
    try:
        interval = int(body.get("duplicate_check_interval") or DEFAULT_INTERVAL)
    except (TypeError, ValueError):
        raise ApiError(40058, "invalid parameter, duplicate_check_interval") from None
    if not 0 < interval <= MAX_INTERVAL:
        raise ApiError(40058, "invalid parameter, duplicate_check_interval at most 14400")
    seen = corp.__dict__.setdefault("app_message_bodies", {})  # canonical body -> (msgid, sent at)
    key = json.dumps(body, sort_keys=True, ensure_ascii=False)
    hit = seen.get(key)
    if hit and now - hit[1] < interval:
        corp.__dict__["app_message_repeats"] = corp.__dict__.get("app_message_repeats", 0) + 1
        return hit[0]
    return None


def remember(corp, body: dict, msgid: str, now: float) -> None:
    if int(body.get("enable_duplicate_check") or 0) == 1:
        corp.__dict__.setdefault("app_message_bodies", {})[json.dumps(body, sort_keys=True, ensure_ascii=False)] = (
            msgid, now)


def sent(corp) -> dict:
    """GET /_sandbox/wecom/<corpid>/app-messages: what members received, and the repeats suppressed."""
    return {"messages": list(corp.app_messages), "repeats_suppressed": corp.__dict__.get("app_message_repeats", 0)}
