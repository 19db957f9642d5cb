"""Custom menus as rules (pure): the wire form WeChat receives, its digest, and menu entries.

- `wire(buttons)`: the validated buttons (scrm.contracts.menus) as the JSON menu/create takes, holding only the
  fields each type uses, in a fixed order: what is published, stored in a version and republished on rollback.
- `digest(buttons)`: SHA-256 of the canonical JSON of the wire form; publishing the menu already published is
  a no-op (same digest).
- An entry is what one CLICK or VIEW callback names: `click:<EventKey>` for a click button, `view:<sha256(url)
  [:24]>` for a view button (a URL is up to 1,024 bytes; a key up to 128). `entries(buttons)` lists the menu's
  countable entries with their names (`会员/签到` for a sub-button), `entry_of(kind, event_key)` an event's.
"""

from __future__ import annotations

import hashlib
import json

FIELD_ORDER = ("type", "name", "key", "url", "appid", "pagepath", "media_id", "article_id")
KEEP = {"click": ("key",), "scancode_push": ("key",), "scancode_waitmsg": ("key",), "pic_sysphoto": ("key",),
        "pic_photo_or_album": ("key",), "pic_weixin": ("key",), "location_select": ("key",), "view": ("url",),
        "miniprogram": ("url", "appid", "pagepath"), "media_id": ("media_id",), "article_id": ("article_id",),
        "article_view_limited": ("article_id",)}


def _one(button: dict) -> dict:
    kind = button.get("type")
    out = {"type": kind} if kind else {}
    out["name"] = button["name"]
    for field in KEEP.get(kind, ()):
        out[field] = button[field]
    return out


def wire(buttons: list[dict]) -> list[dict]:
    """The buttons as menu/create's `button` array (validated input: every required field present)."""
    out = []
    for button in buttons:
        subs = button.get("sub_button") or []
        if subs:
            out.append({"name": button["name"], "sub_button": [_one(s) for s in subs]})
        else:
            out.append(_one(button))
    return out


def canonical(buttons: list[dict]) -> str:
    return json.dumps(buttons, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def digest(buttons: list[dict]) -> str:
    return hashlib.sha256(canonical(wire(buttons)).encode("utf-8")).hexdigest()


def entry_of(kind: str, event_key: str) -> str | None:
    """The entry a CLICK (`oa.click`) or VIEW (`oa.view`) event counts under; None for an empty key."""
    if not event_key:
        return None
    if kind == "oa.click":
        return "click:" + event_key if len(event_key.encode("utf-8")) <= 128 else \
            "click:#" + hashlib.sha256(event_key.encode("utf-8")).hexdigest()[:24]
    if kind == "oa.view":
        return "view:" + hashlib.sha256(event_key.encode("utf-8")).hexdigest()[:24]
    return None


def entries(buttons: list[dict]) -> list[dict]:
    """The countable entries of a menu in menu order: [{entry_id, kind, key|url, name}] (click and view buttons;
    a name of a sub-button is `<parent>/<name>`). A key used twice is one entry (WeChat sends the same event)."""
    out, seen = [], set()

    def add(button: dict, name: str):
        kind = button.get("type")
        if kind == "click":
            entry, extra = entry_of("oa.click", button["key"]), {"key": button["key"]}
        elif kind == "view":
            entry, extra = entry_of("oa.view", button["url"]), {"url": button["url"]}
        else:
            return
        if entry not in seen:
            seen.add(entry)
            out.append({"entry_id": entry, "kind": kind, **extra, "name": name})

    for button in buttons:
        subs = button.get("sub_button") or []
        if subs:
            for sub in subs:
                add(sub, f"{button['name']}/{sub['name']}")
        else:
            add(button, button["name"])
    return out


def from_selfmenu(info: dict) -> list[dict]:
    """get_current_selfmenu_info's `selfmenu_info.button` (sub-buttons under `sub_button.list`) in our wire form,
    to compare with what we published."""
    out = []
    for button in (info or {}).get("button") or []:
        subs = (button.get("sub_button") or {}).get("list") if isinstance(button.get("sub_button"), dict) else None
        if subs:
            out.append({"name": button.get("name"), "sub_button": [_known(s) for s in subs]})
        else:
            out.append(_known(button))
    return out


def _known(button: dict) -> dict:
    kind = button.get("type")
    out = {"type": kind} if kind else {}
    out["name"] = button.get("name")
    for field in KEEP.get(kind, ()):
        if field in button:
            out[field] = button[field]
    return out


def _shape(buttons: list[dict]) -> list:
    """What both sides show of a menu: names, types, keys and urls (WeChat's read-back names other fields its own
    way, e.g. a media_id under `value`)."""
    def one(b):
        return (b.get("name"), b.get("type"), b.get("key"), b.get("url"))

    return [(one(b), [one(s) for s in b.get("sub_button") or []]) for b in buttons]


def same_menu(shown: list[dict], published: list[dict]) -> bool:
    return _shape(shown) == _shape(published)
