r"""Passive replies as rules: keyword and menu-click rules, which one wins, and the reply XML.

Pure (no I/O). A reply content is `{"type": "text", "content": "..."}` or
`{"type": "news", "articles": [{"title", "description", "pic_url", "url"}, ...]}`. For WeCom welcome
messages the content is `{"type": "text", "content": "...", "attachments": [<send_welcome_msg attachment>]}`.

Rule matching: enabled rules only; highest `priority` first; on equal priority exact beats contains beats
regex, then the older rule id. `exact` and `contains` compare case-insensitively after trimming.

Regex rules run in RE2 (google-re2), a linear-time engine: no backtracking, so no pattern/message pair can
take more than (message bytes x program size) steps, and every cost is bounded up front:
- a pattern is at most MAX_REGEX_LEN characters, compiles within REGEX_MAX_MEM and to at most
  MAX_REGEX_PROGRAM instructions; the enabled regex rules of an account total at most
  MAX_REGEX_PROGRAM_PER_ACCOUNT instructions (refused at creation; stored rules beyond it are skipped);
- a pattern is searched (unanchored, like `re.search`) in the first MAX_REGEX_TEXT_BYTES bytes (UTF-8) of
  the trimmed message, case-insensitively (Unicode simple case folding; `(?-i)` turns it off);
- the syntax is RE2's (https://github.com/google/re2/wiki/Syntax): no backreferences, lookaround,
  possessive or atomic groups, conditionals or `(?x)`; `\z` ends the text (Python's `\Z` is refused);
  `\d \w \s \b` are ASCII only (unlike Python's), use `\p{Han}`, `\p{L}`, `\p{N}` for Chinese and
  other scripts; `^`/`$` are the start/end of the message unless `(?m)`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from ..contracts import parse
from ..contracts import replies as contract
from ..contracts.replies import (  # noqa: F401 (the reply rules' names, re-exported)
    MATCH_TYPES,
    MAX_ARTICLES,
    MAX_KEYWORD_LEN,
    MAX_KEYWORDS,
    MAX_TEXT_BYTES,
    MAX_WELCOME_ATTACHMENTS,
    WECOM_TEXT_MAX_BYTES,
)
from .reply_patterns import (  # noqa: F401 (the reply rules' names, re-exported)
    MAX_REGEX_LEN,
    MAX_REGEX_PROGRAM,
    MAX_REGEX_PROGRAM_PER_ACCOUNT,
    MAX_REGEX_TEXT_BYTES,
    REGEX_MAX_MEM,
    RegexRefused,
    compile_regex,
    regex_text,
)

_SPECIFICITY = {"exact": 0, "contains": 1, "regex": 2}
MAX_MATCH_TEXT = 2000  # user text beyond this is not matched against rules (bounded work per event)


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
    def _compiled(self) -> tuple[tuple, tuple[tuple[str, str], ...]]:
        patterns, refused = [], []
        if self.match == "regex":
            for kw in self.keywords:
                try:
                    patterns.append(compile_regex(kw))
                except RegexRefused as why:  # refused on write; one stored before RE2 never matches
                    refused.append((kw, str(why)))
        return tuple(patterns), tuple(refused)

    @property
    def patterns(self) -> tuple:
        """The RE2 programs of a regex rule's keywords (those that compile within the budgets)."""
        return self._compiled[0]

    @property
    def refused(self) -> tuple[tuple[str, str], ...]:
        """(keyword, reason) for each keyword of a stored regex rule that RE2 will not run."""
        return self._compiled[1]

    @property
    def program_size(self) -> int:
        return sum(p.programsize for p in self.patterns)

    def matches(self, text) -> bool:
        """`text` is trimmed and case-folded for exact/contains; for regex it is `regex_text(trimmed)`."""
        if self.match == "exact":
            return any(text == kw.strip().casefold() for kw in self.keywords)
        if self.match == "contains":
            return any(kw.strip().casefold() in text for kw in self.keywords if kw.strip())
        if self.match == "regex":
            data = text if isinstance(text, bytes) else regex_text(text)
            return any(p.search(data) for p in self.patterns)
        return False


def _match_order(rule: Rule):
    return -rule.priority, _SPECIFICITY.get(rule.match, 9), rule.rule_id


def matchable(rules) -> tuple[tuple[Rule, ...], list[dict]]:
    """The rules an account matches with, compiled, and what was left out and why (for the log).

    Regex keywords RE2 refuses are left out of their rule; enabled regex rules beyond the account's program
    budget (in match order, so the rules that would answer first are kept) are left out whole. Compiling is
    bounded as well, whatever is stored: at most twice the budget is compiled (a pattern refused for its size
    counting as a whole pattern), the remaining regex rules are left out uncompiled. Creation refuses all of this, so it
    only bites rules stored before RE2 and its budgets.
    """
    kept, skipped = [], []
    budget = MAX_REGEX_PROGRAM_PER_ACCOUNT
    compile_left = 2 * MAX_REGEX_PROGRAM_PER_ACCOUNT
    for rule in sorted(rules, key=_match_order):
        if rule.match != "regex" or not rule.enabled:
            kept.append(rule)
            continue
        patterns, refused, cost = [], [], 0
        for kw in rule.keywords:
            if cost > budget or compile_left <= 0:
                break
            try:
                pattern = compile_regex(kw)
            except RegexRefused as why:
                refused.append((kw, str(why)))
                compile_left -= MAX_REGEX_PROGRAM if why.compiled else len(kw)
                continue
            patterns.append(pattern)
            cost += pattern.programsize
            compile_left -= pattern.programsize
        skipped += [{"rule_id": rule.rule_id, "keyword": kw, "reason": why} for kw, why in refused]
        if cost > budget or len(patterns) + len(refused) < len(rule.keywords):
            skipped.append({"rule_id": rule.rule_id, "keyword": None,
                            "reason": f"over the account's budget of {MAX_REGEX_PROGRAM_PER_ACCOUNT} RE2 "
                                      "instructions for regex rules"})
            continue
        budget -= cost
        rule.__dict__["_compiled"] = (tuple(patterns), tuple(refused))  # cached_property's slot: compiled once
        kept.append(rule)
    return tuple(kept), skipped


def regex_program_size(rules) -> int:
    """RE2 instructions of the enabled regex rules among `rules` (stored dicts or Rule)."""
    total = 0
    for r in rules:
        match, enabled, keywords = (r.match, r.enabled, r.keywords) if isinstance(r, Rule) else \
            (r.get("match"), r.get("enabled", True), r.get("keywords") or ())
        if match == "regex" and enabled:
            for kw in keywords:
                try:
                    total += compile_regex(kw).programsize
                except RegexRefused:
                    continue  # never matched, costs nothing
    return total


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
    searched = regex_text(folded)  # encoded once for every regex rule
    candidates = sorted((r for r in rules if r.enabled and r.match in _SPECIFICITY), key=_match_order)
    for rule in candidates:
        if rule.matches(searched if rule.match == "regex" else folded_ci):
            return rule
    return None


def answer_text(settings: ReplySettings, text) -> tuple[Rule | None, dict | None]:
    """What an Official Account answers a follower's text message: the keyword rule that matches and its reply,
    else no rule and the default reply (None: nothing). The callback and the admin "test this message" preview
    both decide through here."""
    rule = choose(settings.rules, text if isinstance(text, str) else "")
    return (rule, rule.reply) if rule else (None, settings.default)


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
    """A reply content (contracts.replies.ReplyContent) at `field_name`, as stored."""
    return _stored_reply(parse(contract.ReplyContent, content, at=field_name, context={"platform": platform}),
                         platform)


def _stored_reply(c: contract.ReplyContent, platform: str) -> dict:
    if c.type == "news":
        return {"type": "news", "articles": [a.model_dump() for a in c.articles]}
    out = {"type": "text", "content": c.content}
    if platform == "wecom" and c.attachments:
        out["attachments"] = list(c.attachments)
    return out


def validate_rule(body) -> dict:
    """A rule as stored (match, keywords, reply, priority, enabled, name), or ValidationError naming every field
    that is wrong (contracts.replies.ReplyRuleBody: a regex keyword RE2 refuses is named `keywords[i]`)."""
    rule = parse(contract.ReplyRuleBody, body, context={"platform": "oa"})
    return {"match": rule.match, "keywords": list(rule.keywords), "reply": _stored_reply(rule.reply, "oa"),
            "priority": rule.priority, "enabled": rule.enabled, "name": rule.name}


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
