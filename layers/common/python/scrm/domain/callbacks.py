"""Callback events, as rules: what a safe body is, how XML becomes a flat event, its kind and dedupe key.

Pure (no I/O). Kinds follow the project convention: OA events `oa.<Event lowercased>` (`oa.subscribe`,
`oa.scan`, `oa.click`, `oa.masssendjobfinish`, ...), OA messages `oa.<MsgType>` (`oa.text`, `oa.image`,
...; a *location message* is `oa.location_msg` so it does not collide with the LOCATION event
`oa.location`), WeCom `wecom.<Event>.<ChangeType>` (`wecom.change_external_contact.add_external_contact`).
Types not listed here are answered `success` and have no effect.
"""

from __future__ import annotations

import hashlib
import re

from .wechat_crypto import Malformed, TooLarge

MAX_BODY_BYTES = 64 * 1024
# Any markup declaration other than CDATA sections and comments: <!DOCTYPE, <!ENTITY, <!ATTLIST, ...
_DECLARATION = re.compile(rb"<!(?!\[CDATA\[|--)", re.IGNORECASE)
_PROCESSING = re.compile(rb"<\?(?!xml[\s?])", re.IGNORECASE)  # <?xml ...?> is fine, other PIs are not
# Text, not markup (a follower may type "<!" or "<?php"): CDATA sections and comments, lexed left to right as XML
# does, so a CDATA opener inside a comment cannot hide the markup that follows the comment.
_TEXT = re.compile(rb"<!--.*?-->|<!\[CDATA\[.*?\]\]>", re.DOTALL)

OA_EVENTS = frozenset({"subscribe", "unsubscribe", "scan", "click", "view", "location", "templatesendjobfinish",
                       "masssendjobfinish", "view_miniprogram", "scancode_push", "scancode_waitmsg",
                       "pic_sysphoto", "pic_photo_or_album", "pic_weixin", "location_select"})
OA_MESSAGES = frozenset({"text", "image", "voice", "video", "shortvideo", "location", "link", "file"})
WECOM_EVENTS = {
    "change_external_contact": frozenset({"add_external_contact", "add_half_external_contact",
                                          "edit_external_contact", "del_external_contact", "del_follow_user",
                                          "transfer_fail", "msg_audit_approved"}),
    "change_contact": frozenset({"create_user", "update_user", "delete_user", "create_party", "update_party",
                                 "delete_party", "update_tag"}),
    "change_external_chat": frozenset({"create", "update", "dismiss"}),
    "change_external_tag": frozenset({"create", "update", "delete", "shuffle"}),
}
# Fields that are lists in WeChat's XML (<MemChangeList><Item>a</Item></MemChangeList>); one item parses
# to a string and several to a list, so they are always made lists.
LIST_FIELDS = frozenset({"MemChangeList", "TagList", "DelTagList", "AddTagList"})
# Fields the kind and dedupe key are made of: a repeated one is refused rather than guessed.
KEY_FIELDS = ("ToUserName", "FromUserName", "CreateTime", "MsgType", "Event", "EventKey", "MsgId", "MsgID",
              "ChangeType", "UserID", "ExternalUserID", "ChatId", "UpdateDetail", "Id", "TagType", "Encrypt",
              "CurMemVer")


def check_body(body: bytes) -> None:
    """Refuse oversized bodies and any DTD, entity or processing instruction before parsing."""
    if len(body) > MAX_BODY_BYTES:
        raise TooLarge(f"body over {MAX_BODY_BYTES} bytes")
    markup = _TEXT.sub(b"", body)  # an unterminated section stays, and is refused below or by the parser
    if _DECLARATION.search(markup) or _PROCESSING.search(markup):
        raise Malformed("markup declarations are not accepted")


def _normalise(value):
    if value is None:
        return ""
    if isinstance(value, dict):
        value = {k: v for k, v in value.items() if not k.startswith(("@", "#"))}  # attributes, layout text
        if set(value) == {"Item"}:
            items = value["Item"]
            return [_normalise(i) for i in (items if isinstance(items, list) else [items])]
        return {k: _normalise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalise(v) for v in value]
    return value


class _Many(list):
    """Values of a child element that appears more than once (a list, as xmltodict would make it)."""


def _tree(raw: bytes):
    """The document as nested values, the way xmltodict + `_normalise` shape it (text, dicts, lists; attributes,
    layout whitespace and mixed-content text dropped; `<X><Item>..</Item></X>` a list), in one expat pass: a
    callback's XML is parsed twice (envelope, then message), and this is 3-4x cheaper than xmltodict."""
    from xml.parsers import expat

    parser = expat.ParserCreate()
    parser.buffer_text = True
    top: dict = {}
    stack: list = [[top, ""]]  # [children dict or None, text]

    def start(name, attrs):
        stack.append([{} if attrs else None, ""])

    def text(data):
        stack[-1][1] += data

    def end(name):
        children, value = stack.pop()
        if children is not None:
            if len(children) == 1 and "Item" in children and len(stack) > 1:  # a list field (not the root)
                items = children["Item"]
                value = list(items) if isinstance(items, _Many) else [items]
            else:
                value = children  # repeated children are _Many, a list
        siblings = stack[-1][0]
        if siblings is None:
            siblings = stack[-1][0] = {}
        if name not in siblings:
            siblings[name] = value
        elif isinstance(siblings[name], _Many):
            siblings[name].append(value)
        else:
            siblings[name] = _Many([siblings[name], value])

    def refuse(*_):
        raise ValueError("entities are not accepted")

    parser.StartElementHandler, parser.EndElementHandler, parser.CharacterDataHandler = start, end, text
    parser.EntityDeclHandler = parser.UnparsedEntityDeclHandler = parser.StartDoctypeDeclHandler = refuse
    parser.Parse(raw, True)
    return top


def parse(body: bytes | str, *, checked: bool = False) -> dict:
    """A WeChat XML document as a flat dict of its fields (strings, lists for list fields).
    `checked`: the caller has already run `check_body` on these bytes."""
    raw = body.encode("utf-8") if isinstance(body, str) else body
    if not checked:
        check_body(raw)
    from xml.parsers.expat import ExpatError

    try:
        doc = _tree(raw)
    except (ExpatError, ValueError, TypeError, LookupError, RecursionError) as exc:
        raise Malformed(f"not XML: {exc.__class__.__name__}") from None
    root = doc.get("xml")
    if not isinstance(root, dict):
        raise Malformed("no <xml> root")
    for key in KEY_FIELDS:
        if isinstance(root.get(key), list):
            raise Malformed(f"field {key} repeated")
    for key in LIST_FIELDS:
        if key in root:
            value = root[key]
            if isinstance(value, str):
                root[key] = [value] if value else []
            elif isinstance(value, dict):
                root[key] = []
    return root


def _text(event: dict, name: str) -> str:
    value = event.get(name, "")
    return value if isinstance(value, str) else ""


def kind_of(platform: str, event: dict) -> str | None:
    """The event's kind, or None when we do not handle this type (answered `success`, no effect)."""
    msg_type = _text(event, "MsgType").strip().lower()
    name = _text(event, "Event").strip().lower()
    if platform == "oa":
        if msg_type == "event":
            return f"oa.{name}" if name in OA_EVENTS else None
        if msg_type in OA_MESSAGES:
            return "oa.location_msg" if msg_type == "location" else f"oa.{msg_type}"
        return None
    if msg_type != "event" or name not in WECOM_EVENTS:
        return None
    change = _text(event, "ChangeType").strip().lower()
    return f"wecom.{name}.{change}" if change in WECOM_EVENTS[name] else None


def _bounded(key: str) -> str:
    # DynamoDB keys stay small and predictable: long keys (VIEW urls, odd EventKeys) are hashed.
    if len(key) <= 200:
        return key
    return key[:64] + "#" + hashlib.sha256(key.encode("utf-8")).hexdigest()


def dedupe_key(platform: str, event: dict) -> str:
    """WeChat's retry-dedupe identity: MsgId for messages; sender+time+event(+key) for events."""
    if platform == "oa":
        if _text(event, "MsgType").lower() != "event":
            msg_id = _text(event, "MsgId") or _text(event, "MsgID")
            if msg_id:
                return _bounded(f"msg:{msg_id}")
            return _bounded("msg:" + "|".join(_text(event, f) for f in ("FromUserName", "CreateTime", "MsgType")))
        parts = [_text(event, f) for f in ("FromUserName", "CreateTime", "Event", "EventKey")]
        msg_id = _text(event, "MsgID") or _text(event, "MsgId")  # the *JOBFINISH events carry MsgID
        if msg_id:
            parts.append(msg_id)
        return _bounded("evt:" + "|".join(parts))
    fields = ("Event", "ChangeType", "UserID", "ExternalUserID", "ChatId", "UpdateDetail", "Id", "TagType",
              "CreateTime")
    key = "wecom:" + "|".join(_text(event, f) for f in fields)
    if _text(event, "Event") == "change_external_chat" and (event.get("MemChangeList") or _text(event, "CurMemVer")):
        # two customers joining one group in the same second are two events: the member version after the change
        # (CurMemVer) and who changed tell them apart (https://developer.work.weixin.qq.com/document/path/92130)
        members = event.get("MemChangeList") or []
        key += "|" + _text(event, "CurMemVer") + "|" + ",".join(m for m in members if isinstance(m, str))
    return _bounded(key)


def scene_of(event: dict) -> str | None:
    """The QR scene of a subscribe-from-QR (EventKey `qrscene_<scene>`) or SCAN event, else None."""
    name = _text(event, "Event").lower()
    key = _text(event, "EventKey")
    if name == "subscribe" and key.startswith("qrscene_"):
        return key[len("qrscene_"):] or None
    if name == "scan" and key:
        return key
    return None


def is_message(event: dict) -> bool:
    return _text(event, "MsgType").lower() not in ("event", "")


def event_time(event: dict, fallback: float) -> int:
    """When the event happened: WeChat's CreateTime, else when we received it, else `fallback` (the clock's now);
    a value that is not a number is passed over, not trusted."""
    for key in ("CreateTime", "received_at"):
        try:
            if event.get(key) is not None:
                return int(float(event[key]))
        except (TypeError, ValueError):
            continue
    return int(fallback)
