"""Resolving events to channels (worker and callback paths): a scene or state to its channel, the channel's
definition, and the channel welcome the callback answers with. Reads are cached per container for a minute."""

from __future__ import annotations

from ...domain import channels as rules
from ...tenancy import Scope
from .common import cached, store


def definition(account_id: str, channel_id: str) -> dict | None:
    """The channel's definition with its kind and status, cached per container (None if unknown)."""
    def compute():
        channel = store().get_channel(Scope.system(account_id), account_id, channel_id, consistent=False)
        if channel is None:
            return None
        return {**channel["definition"], "channel_id": channel_id, "status": channel["status"]}

    if channel_id in rules.RESERVED_IDS:
        return None
    return cached(("def", account_id, channel_id), compute)


def resolve(account_id: str, kind: str, value: str) -> str | None:
    """Channel id owning an OA scene (`kind`="sc") or a WeCom state (`kind`="st"), or None."""
    if not value or len(value) > 128:
        return None
    return cached(("ptr", account_id, kind, value),
                  lambda: store().owner_of(Scope.system(account_id), account_id, kind, value))


def welcome_for(account, event: dict) -> dict | None:
    """Welcome provider (registered with scrm.services.callbacks): the channel's welcome content for an
    OA subscribe/SCAN with a channel scene (a passive reply) or a WeCom add with a channel state (the
    send_welcome_msg content), in scrm.domain.replies' content shape; None when the event has no
    channel or the channel has no welcome."""
    if account.kind == "oa":
        scene = rules.parse_event_key(event.get("Event", ""), event.get("EventKey"))
        channel_id = resolve(account.account_id, "sc", scene) if scene else None
    else:
        state = event.get("State") or ""
        channel_id = resolve(account.account_id, "st", state) if state else None
    defn = definition(account.account_id, channel_id) if channel_id else None
    if not defn or not defn.get("welcome") or defn.get("status") != "active":
        return None
    return welcome_content(defn["welcome"], account.kind)


def welcome_content(welcome: dict, platform: str) -> dict:
    link = welcome.get("link")
    if platform == "oa":
        if link and not welcome.get("text"):
            return {"type": "news", "articles": [{"title": link["title"], "description": link.get("description", ""),
                                                  "url": link["url"], "pic_url": link.get("picurl", "")}]}
        text = welcome["text"]
        if link:
            text = f"{text}\n{link['title']}: {link['url']}"
        return {"type": "text", "content": text}
    out: dict = {"type": "text", "content": welcome.get("text") or link["title"]}
    if link:
        out["attachments"] = [{"msgtype": "link", "link": {
            "title": link["title"], "url": link["url"], "desc": link.get("description", ""),
            "picurl": link.get("picurl", "")}}]
    return out
