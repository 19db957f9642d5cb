"""Passive-reply requests: a keyword or menu-click rule, and an account's welcome and default reply.

A regex keyword must compile in RE2 within its budgets (scrm.domain.reply_patterns, the ReDoS defence): one RE2
refuses is named `keywords[i]` with the reason. What a reply may hold depends on the account's platform, read
from the validation context (`{"platform": "wecom"}`: text plus send_welcome_msg attachments, no news).
Unknown fields are ignored, as the hand-written validators did.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import BeforeValidator, Field, ValidationInfo, model_validator

from ..domain.reply_patterns import MAX_REGEX_LEN, RegexRefused, compile_regex
from .fields import Document, StrictBody, refuse
from .pushes import attachment_problems

MATCH_TYPES = ("exact", "contains", "regex", "click")
MAX_KEYWORDS = 20
MAX_KEYWORD_LEN = 100
MAX_TEXT_BYTES = 2048  # WeChat passive text replies must stay short
WECOM_TEXT_MAX_BYTES = 4000
MAX_ARTICLES = 8
MAX_WELCOME_ATTACHMENTS = 9
MAX_ARTICLE_FIELD = 1024

ArticleText = Annotated[str, Field(max_length=MAX_ARTICLE_FIELD)]


class Article(Document):
    """One news article (图文)."""

    title: ArticleText = Field(description="required, non-blank", examples=["新品上市"])
    description: ArticleText = ""
    pic_url: ArticleText = Field("", description="http(s) image URL")
    url: ArticleText = Field("", description="http(s) page opened on tap")

    @model_validator(mode="after")
    def _shape(self):
        problems = [] if self.title.strip() else [("title", "each article needs a title")]
        problems += [(key, "must be an http(s) URL") for key in ("pic_url", "url")
                     if getattr(self, key) and not getattr(self, key).startswith(("http://", "https://"))]
        refuse(problems, "Article")
        return self


class ReplyContent(Document):
    """A text reply, news articles (OA; 1 article when answering a message, up to 8 otherwise), or for WeCom
    welcomes text plus send_welcome_msg attachments."""

    type: Literal["text", "news"] = Field(description="text, or news (OA only)")
    content: str | None = Field(None, description=f"text: non-blank, at most {MAX_TEXT_BYTES} bytes (WeCom: "
                                                  f"{WECOM_TEXT_MAX_BYTES})", examples=["欢迎关注！"])
    articles: Annotated[list[Article], Field(min_length=1, max_length=MAX_ARTICLES)] | None = Field(
        None, description=f"news: 1..{MAX_ARTICLES} articles")
    attachments: Annotated[list[dict[str, Any]], Field(max_length=MAX_WELCOME_ATTACHMENTS)] | None = Field(
        None, description=f"WeCom welcome: at most {MAX_WELCOME_ATTACHMENTS} send_welcome_msg attachments")

    @model_validator(mode="after")
    def _by_type(self, info: ValidationInfo):
        wecom = (info.context or {}).get("platform") == "wecom"
        if self.type == "news":
            problems = [("type", "type must be text")] if wecom else \
                ([("articles", f"news needs 1-{MAX_ARTICLES} articles")] if self.articles is None else [])
        elif not isinstance(self.content, str) or not self.content.strip():
            problems = [("content", "text content must be a non-empty string")]
        elif len(self.content.encode("utf-8")) > (WECOM_TEXT_MAX_BYTES if wecom else MAX_TEXT_BYTES):
            problems = [("content", "text content is too long")]
        else:
            problems = attachment_problems(self.attachments or []) if wecom else []
        refuse(problems, "ReplyContent")
        return self


def _one_keyword(value):
    return [value] if isinstance(value, str) else value


class ReplyRuleBody(Document):
    """A reply rule (关键词回复): the highest priority enabled rule that matches answers; on equal priority exact
    beats contains beats regex, then the older rule."""

    match: Literal[MATCH_TYPES] = Field(description="exact, contains, regex, or click (keywords are menu "
                                                    "EventKeys)")
    keywords: Annotated[list[Annotated[str, Field(max_length=MAX_REGEX_LEN)]],
                        Field(min_length=1, max_length=MAX_KEYWORDS), BeforeValidator(_one_keyword)] = Field(
        description=(
            f"1..{MAX_KEYWORDS} (a single string is one keyword). exact/contains: case-insensitive after "
            f"trimming, at most {MAX_KEYWORD_LEN} characters each. regex: RE2 syntax "
            "(https://github.com/google/re2/wiki/Syntax), at most 200 characters each, run in a linear-time "
            "engine: searched anywhere in the first 2,048 bytes (UTF-8) of the trimmed message (like Python's "
            "re.search), case-insensitively unless the pattern says (?-i). \\d \\w \\s \\b are ASCII only: use "
            "\\p{Han}, \\p{L}, \\p{N} for Chinese and other scripts; \\z is the end of the message. Refused with 400 "
            "naming keywords[i]: what RE2 cannot express (backreferences, lookahead/lookbehind, atomic groups, "
            "possessive quantifiers, conditionals, (?x), \\Z), a repetition count over 1000, a pattern compiling "
            "to more than 2,000 RE2 instructions or 256 KiB; and with 400 naming keywords when the account's "
            "enabled regex rules would total more than 5,000 RE2 instructions."),
        examples=[["优惠", "coupon"]])
    reply: ReplyContent
    priority: Annotated[int, Field(ge=-1000, le=1000)] = Field(0, description="higher answers first")
    enabled: bool = True
    name: Annotated[str, Field(max_length=100)] = Field("", description="for the operator")

    @model_validator(mode="after")
    def _keywords(self):
        limit = MAX_REGEX_LEN if self.match == "regex" else MAX_KEYWORD_LEN
        problems = []
        for i, kw in enumerate(self.keywords):
            if not kw.strip() or len(kw) > limit:
                problems.append((("keywords", i),
                                 f"keyword must be a non-empty string of at most {limit} characters"))
            elif self.match == "regex":
                try:
                    compile_regex(kw)
                except RegexRefused as why:
                    problems.append((("keywords", i), str(why)))
        refuse(problems, "ReplyRuleBody")
        return self


class WelcomeSettings(Document):
    """What the account answers a new follower (or, for WeCom, a new customer) and any unmatched message;
    null clears one, an absent field keeps it."""

    PLATFORM_RULES: ClassVar[bool] = True  # the edge check passes the account's platform (a WeCom welcome's rules)
    welcome: ReplyContent | None = None
    default_reply: ReplyContent | None = None


class ReplyTestBody(StrictBody):
    """A message to test against the account's reply rules ("测试这条消息"): nothing is sent or recorded."""

    text: Annotated[str, Field(min_length=1, max_length=2048)] = Field(
        description="what a follower would send (matched like a real message: trimmed, the first 2,000 "
                    "characters)", examples=["优惠券"])
