"""Passive replies as rules: keyword and menu-click rules, which one wins, and the reply XML.

Pure (no I/O). A reply content is `{"type": "text", "content": "..."}` or
`{"type": "news", "articles": [{"title", "description", "pic_url", "url"}, ...]}`. For WeCom welcome
messages the content is `{"type": "text", "content": "...", "attachments": [<send_welcome_msg attachment>]}`.

Rule matching: enabled rules only; highest `priority` first; on equal priority exact beats contains beats
regex, then the older rule id. `exact` and `contains` compare case-insensitively after trimming.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

from ..errors import ValidationError

MATCH_TYPES = ("exact", "contains", "regex", "click")
_SPECIFICITY = {"exact": 0, "contains": 1, "regex": 2}
MAX_KEYWORDS = 20
MAX_KEYWORD_LEN = 100
MAX_REGEX_LEN = 200
MAX_MATCH_TEXT = 2000  # user text beyond this is not matched against rules (bounded work per event)
MAX_TEXT_BYTES = 2048  # WeChat passive text replies must stay short
MAX_ARTICLES = 8
MAX_WELCOME_ATTACHMENTS = 9
# Nested quantifiers (e.g. (a+)+, (\w*)*) backtrack catastrophically; refuse them in admin input.
_NESTED_QUANTIFIER = re.compile(r"\((?:[^()\\]|\\.)*[+*}](?:[^()\\]|\\.)*\)\s*[+*{]")


@dataclass(frozen=True)
class Rule:
    rule_id: str
    match: str
    keywords: tuple[str, ...]
    reply: dict
    priority: int = 0
    enabled: bool = True
    name: str = ""

    @cached_property
    def patterns(self) -> tuple[re.Pattern, ...]:
        if self.match != "regex":
            return ()
        out = []
        for kw in self.keywords:
            try:
                out.append(re.compile(kw, re.IGNORECASE))
            except re.error:
                continue  # validated on write; a bad stored pattern never matches
        return tuple(out)

    def matches(self, text: str) -> bool:
        if self.match == "exact":
            return any(text == kw.strip().casefold() for kw in self.keywords)
        if self.match == "contains":
            return any(kw.strip().casefold() in text for kw in self.keywords if kw.strip())
        if self.match == "regex":
            return any(p.search(text) for p in self.patterns)
        return False


@dataclass(frozen=True)
class ReplySettings:
    """What one account answers: its rules, its follow welcome and its default reply."""

    rules: tuple[Rule, ...] = ()
    welcome: dict | None = None
    default: dict | None = None
    extra: dict = field(default_factory=dict)


def choose(rules, text: str) -> Rule | None:
    """The keyword rule answering `text`, if any."""
    folded = (text or "").strip()[:MAX_MATCH_TEXT]
    folded_ci = folded.casefold()
    candidates = sorted((r for r in rules if r.enabled and r.match in _SPECIFICITY),
                        key=lambda r: (-r.priority, _SPECIFICITY[r.match], r.rule_id))
    for rule in candidates:
        if rule.matches(folded if rule.match == "regex" else folded_ci):
            return rule
    return None


def choose_click(rules, event_key: str) -> Rule | None:
    """The menu-click rule for a CLICK event's EventKey, if any."""
    candidates = sorted((r for r in rules if r.enabled and r.match == "click"),
                        key=lambda r: (-r.priority, r.rule_id))
    for rule in candidates:
        if event_key in rule.keywords:
            return rule
    return None


# ---------------------------------------------------------------- validation (admin input)


def validate_reply(content, field_name: str = "reply", platform: str = "oa") -> dict:
    if not isinstance(content, dict):
        raise ValidationError("must be an object with a type", field=field_name)
    kind = content.get("type")
    if kind == "text":
        text = content.get("content")
        if not isinstance(text, str) or not text.strip():
            raise ValidationError("text content must be a non-empty string", field=f"{field_name}.content")
        if len(text.encode("utf-8")) > (4000 if platform == "wecom" else MAX_TEXT_BYTES):
            raise ValidationError("text content is too long", field=f"{field_name}.content")
        out = {"type": "text", "content": text}
        if platform == "wecom":
            attachments = content.get("attachments") or []
            if not isinstance(attachments, list) or len(attachments) > MAX_WELCOME_ATTACHMENTS:
                raise ValidationError(f"at most {MAX_WELCOME_ATTACHMENTS} attachments",
                                      field=f"{field_name}.attachments")
            for i, a in enumerate(attachments):
                if not isinstance(a, dict) or a.get("msgtype") not in ("image", "link", "miniprogram", "video",
                                                                         "file") or \
                        not isinstance(a.get(a.get("msgtype")), dict):
                    raise ValidationError("attachment needs msgtype and its payload",
                                          field=f"{field_name}.attachments[{i}]")
            if attachments:
                out["attachments"] = attachments
        return out
    if kind == "news" and platform == "oa":
        articles = content.get("articles")
        if not isinstance(articles, list) or not 1 <= len(articles) <= MAX_ARTICLES:
            raise ValidationError(f"news needs 1-{MAX_ARTICLES} articles", field=f"{field_name}.articles")
        clean = []
        for i, a in enumerate(articles):
            if not isinstance(a, dict) or not isinstance(a.get("title"), str) or not a["title"].strip():
                raise ValidationError("each article needs a title", field=f"{field_name}.articles[{i}].title")
            item = {}
            for key in ("title", "description", "pic_url", "url"):
                value = a.get(key, "")
                if not isinstance(value, str) or len(value) > 1024:
                    raise ValidationError("must be a string of at most 1024 characters",
                                          field=f"{field_name}.articles[{i}].{key}")
                item[key] = value
            for key in ("pic_url", "url"):
                if item[key] and not item[key].startswith(("http://", "https://")):
                    raise ValidationError("must be an http(s) URL", field=f"{field_name}.articles[{i}].{key}")
            clean.append(item)
        return {"type": "news", "articles": clean}
    allowed = "text" if platform == "wecom" else "text or news"
    raise ValidationError(f"type must be {allowed}", field=f"{field_name}.type")


def validate_rule(body) -> dict:
    """A rule as stored (match, keywords, reply, priority, enabled, name), or ValidationError."""
    if not isinstance(body, dict):
        raise ValidationError("body must be a JSON object")
    match = body.get("match")
    if match not in MATCH_TYPES:
        raise ValidationError(f"match must be one of {', '.join(MATCH_TYPES)}", field="match")
    keywords = body.get("keywords")
    if isinstance(keywords, str):
        keywords = [keywords]
    if not isinstance(keywords, list) or not 1 <= len(keywords) <= MAX_KEYWORDS:
        raise ValidationError(f"keywords must be a list of 1-{MAX_KEYWORDS} strings", field="keywords")
    clean = []
    for i, kw in enumerate(keywords):
        limit = MAX_REGEX_LEN if match == "regex" else MAX_KEYWORD_LEN
        if not isinstance(kw, str) or not kw.strip() or len(kw) > limit:
            raise ValidationError(f"keyword must be a non-empty string of at most {limit} characters",
                                  field=f"keywords[{i}]")
        if match == "regex":
            try:
                re.compile(kw)
            except re.error as exc:
                raise ValidationError(f"not a valid regular expression: {exc}", field=f"keywords[{i}]") from None
            if _NESTED_QUANTIFIER.search(kw):
                raise ValidationError("nested quantifiers are not allowed (catastrophic backtracking)",
                                      field=f"keywords[{i}]")
        clean.append(kw)
    priority = body.get("priority", 0)
    if isinstance(priority, bool) or not isinstance(priority, int) or not -1000 <= priority <= 1000:
        raise ValidationError("priority must be an integer from -1000 to 1000", field="priority")
    enabled = body.get("enabled", True)
    if not isinstance(enabled, bool):
        raise ValidationError("enabled must be true or false", field="enabled")
    name = body.get("name", "")
    if not isinstance(name, str) or len(name) > 100:
        raise ValidationError("name must be a string of at most 100 characters", field="name")
    return {"match": match, "keywords": clean, "reply": validate_reply(body.get("reply")), "priority": priority,
            "enabled": enabled, "name": name}


# ---------------------------------------------------------------- rendering


def cdata(value) -> str:
    """A CDATA section holding `value` verbatim, even if it contains `]]>`."""
    text = str(value).replace("]]>", "]]]]><![CDATA[>")
    return f"<![CDATA[{text}]]>"


def render(content: dict, *, to_user: str, from_user: str, create_time: int, replying_to_message: bool) -> str:
    """The passive reply XML for `content` (text or news)."""
    head = (f"<xml><ToUserName>{cdata(to_user)}</ToUserName><FromUserName>{cdata(from_user)}</FromUserName>"
            f"<CreateTime>{int(create_time)}</CreateTime>")
    if content.get("type") == "news":
        # One article when answering a user's message, up to eight otherwise (WeChat's rule).
        articles = list(content.get("articles") or [])[:1 if replying_to_message else MAX_ARTICLES]
        items = "".join(
            f"<item><Title>{cdata(a.get('title', ''))}</Title><Description>{cdata(a.get('description', ''))}"
            f"</Description><PicUrl>{cdata(a.get('pic_url', ''))}</PicUrl><Url>{cdata(a.get('url', ''))}</Url></item>"
            for a in articles)
        return f"{head}<MsgType>{cdata('news')}</MsgType><ArticleCount>{len(articles)}</ArticleCount>" \
               f"<Articles>{items}</Articles></xml>"
    return f"{head}<MsgType>{cdata('text')}</MsgType><Content>{cdata(content.get('content', ''))}</Content></xml>"


def welcome_message(content: dict) -> dict:
    """A WeCom send_welcome_msg body (without the code) from a welcome content."""
    out: dict = {}
    if content.get("content"):
        out["text"] = {"content": content["content"]}
    if content.get("attachments"):
        out["attachments"] = list(content["attachments"])[:MAX_WELCOME_ATTACHMENTS]
    return out
