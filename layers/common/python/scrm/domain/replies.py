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

import re2

from ..errors import ValidationError

MATCH_TYPES = ("exact", "contains", "regex", "click")
_SPECIFICITY = {"exact": 0, "contains": 1, "regex": 2}
MAX_KEYWORDS = 20
MAX_KEYWORD_LEN = 100
MAX_REGEX_LEN = 200
MAX_MATCH_TEXT = 2000  # user text beyond this is not matched against rules (bounded work per event)
MAX_REGEX_TEXT_BYTES = 2048  # RE2 works on UTF-8: regex rules see at most this many bytes of the message
# RE2 budgets. Time per search <= bytes x program size x a few ns (NFA fallback, measured by bench/replies.py).
MAX_REGEX_PROGRAM = 2_000  # instructions per pattern: \p{L} is 1,201, typical keyword patterns 10-60
MAX_REGEX_PROGRAM_PER_ACCOUNT = 5_000  # over an account's enabled regex rules: ~200 typical patterns
REGEX_MAX_MEM = 256 << 10  # RE2 max_mem per pattern (program + DFA cache): compile cost and memory bounded
MAX_TEXT_BYTES = 2048  # WeChat passive text replies must stay short
MAX_ARTICLES = 8
MAX_WELCOME_ATTACHMENTS = 9


class RegexRefused(ValueError):
    """A pattern the reply-rule engine (RE2, within its budgets) will not run; the message says why.

    `compiled` is true when RE2 got as far as building the program (refused for its size), a cost worth
    counting; syntax refusals are cheap.
    """

    def __init__(self, message: str, compiled: bool = False):
        super().__init__(message)
        self.compiled = compiled


def _re2_options() -> re2.Options:
    options = re2.Options()
    options.case_sensitive = False  # rules have always matched case-insensitively
    options.max_mem = REGEX_MAX_MEM
    options.log_errors = False  # refusals are answered or logged by us, not printed to stderr by RE2
    return options


_RE2_OPTIONS = _re2_options()
# What Python's `re` has and RE2 has not, keyed by the start of RE2's message, said in the operator's terms.
_UNSUPPORTED = (
    ("invalid escape sequence: \\Z", "\\Z is not supported: use \\z for the end of the message"),
    ("invalid perl operator: (?=", "lookahead (?=...) is not supported"),
    ("invalid perl operator: (?!", "negative lookahead (?!...) is not supported"),
    ("invalid perl operator: (?<", "lookbehind (?<=...) and (?<!...) are not supported"),
    ("invalid perl operator: (?P", "backreferences (?P=name) are not supported"),
    ("invalid perl operator: (?>", "atomic groups (?>...) are not supported"),
    ("invalid perl operator: (?(", "conditionals (?(...)...) are not supported"),
    ("invalid perl operator: (?#", "comments (?#...) are not supported"),
    ("invalid perl operator: (?x", "verbose mode (?x) is not supported"),
    ("bad repetition operator", "possessive quantifiers (*+, ++, ?+, {n}+) are not supported"),
    ("invalid repetition size", "a repetition count is at most 1000, nested counts included"),
    ("pattern too large", f"too complex: it does not compile within {REGEX_MAX_MEM // 1024} KiB"),
)


def _refusal(detail: str) -> str:
    reason = next((why for prefix, why in _UNSUPPORTED if detail.startswith(prefix)), None)
    if reason is None and detail.startswith("invalid escape sequence: \\") and detail[-1:].isdigit():
        reason = "backreferences (\\1 ...) are not supported"
    if reason is None:
        return f"not a valid regular expression (RE2 syntax): {detail}"
    return f"{reason} (RE2 syntax: {detail})"


def compile_regex(pattern: str) -> re2._Regexp:
    """The RE2 program a regex rule runs for `pattern`; RegexRefused when it cannot run within the budgets."""
    if not isinstance(pattern, str) or not pattern.strip() or len(pattern) > MAX_REGEX_LEN:
        raise RegexRefused(f"a pattern is a non-empty string of at most {MAX_REGEX_LEN} characters")
    try:
        compiled = re2.compile(pattern, _RE2_OPTIONS)
    except re2.error as exc:
        detail = exc.args[0].decode("utf-8", "replace") if exc.args and isinstance(exc.args[0], bytes) \
            else str(exc)
        raise RegexRefused(_refusal(detail), compiled=detail.startswith("pattern too large")) from None
    if compiled.programsize > MAX_REGEX_PROGRAM:
        raise RegexRefused(f"too complex: compiles to {compiled.programsize} RE2 instructions, at most "
                           f"{MAX_REGEX_PROGRAM}", compiled=True)
    return compiled


def regex_text(text: str) -> bytes:
    """What regex rules search: the first MAX_REGEX_TEXT_BYTES bytes of `text` in UTF-8, whole characters."""
    return text.encode("utf-8")[:MAX_REGEX_TEXT_BYTES].decode("utf-8", "ignore").encode("utf-8")


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
                compile_regex(kw)
            except RegexRefused as why:
                raise ValidationError(str(why), field=f"keywords[{i}]") from None
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
