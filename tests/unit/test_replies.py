"""Passive reply rules: which rule wins, validation of admin input, and CDATA-safe reply XML."""

import pytest
import xmltodict
from hypothesis import given, settings
from hypothesis import strategies as st

from scrm.domain.replies import Rule, choose, choose_click, render, validate_reply, validate_rule, welcome_message
from scrm.errors import ValidationError


def rule(rule_id, match, *keywords, priority=0, enabled=True, text=None):
    return Rule(rule_id=rule_id, match=match, keywords=keywords, reply={"type": "text", "content": text or rule_id},
                priority=priority, enabled=enabled)


def test_exact_contains_regex():
    rules = [rule("a", "exact", "Hello"), rule("b", "contains", "price"), rule("c", "regex", r"^order\s*\d+$")]
    assert choose(rules, "  hello ").rule_id == "a"
    assert choose(rules, "what is the PRICE?").rule_id == "b"
    assert choose(rules, "order 123").rule_id == "c"
    assert choose(rules, "hello there") is None
    assert choose(rules, "") is None


def test_priority_then_specificity_then_age():
    rules = [rule("2", "contains", "hi"), rule("1", "exact", "hi"), rule("3", "regex", "h.")]
    assert choose(rules, "hi").rule_id == "1"  # same priority: exact beats contains beats regex
    rules.append(rule("9", "regex", "h.", priority=5))
    assert choose(rules, "hi").rule_id == "9"  # priority first
    assert choose([rule("b", "contains", "x"), rule("a", "contains", "x")], "x").rule_id == "a"


def test_disabled_and_click_rules():
    rules = [rule("a", "exact", "hi", enabled=False), rule("m", "click", "MENU_1"), rule("n", "click", "MENU_1",
                                                                                           priority=1)]
    assert choose(rules, "hi") is None
    assert choose(rules, "MENU_1") is None  # click rules answer CLICK events, not text
    assert choose_click(rules, "MENU_1").rule_id == "n"
    assert choose_click(rules, "MENU_2") is None


def test_validate_rule():
    ok = validate_rule({"match": "regex", "keywords": [r"^a\d+$"], "reply": {"type": "text", "content": "x"},
                        "priority": 3})
    assert ok["match"] == "regex" and ok["priority"] == 3 and ok["enabled"] is True
    bad_bodies = [
        ({"match": "fuzzy", "keywords": ["a"], "reply": {"type": "text", "content": "x"}}, "match"),
        ({"match": "exact", "keywords": [], "reply": {"type": "text", "content": "x"}}, "keywords"),
        ({"match": "exact", "keywords": [""], "reply": {"type": "text", "content": "x"}}, "keywords[0]"),
        ({"match": "regex", "keywords": ["("], "reply": {"type": "text", "content": "x"}}, "keywords[0]"),
        ({"match": "regex", "keywords": [r"(a)\1"], "reply": {"type": "text", "content": "x"}}, "keywords[0]"),
        ({"match": "exact", "keywords": ["a"], "reply": {"type": "image"}}, "reply.type"),
        ({"match": "exact", "keywords": ["a"], "reply": {"type": "text", "content": ""}}, "reply.content"),
        ({"match": "exact", "keywords": ["a"], "reply": {"type": "text", "content": "x"}, "priority": True},
         "priority"),
        ({"match": "exact", "keywords": ["a"], "reply": {"type": "news", "articles": [{"title": "t"}] * 9}},
         "reply.articles"),
        ({"match": "exact", "keywords": ["a"], "reply": {"type": "news", "articles": [{"title": "t",
                                                                                       "url": "javascript:x"}]}},
         "reply.articles[0].url"),
    ]
    for body, field in bad_bodies:
        with pytest.raises(ValidationError) as exc:
            validate_rule(body)
        assert exc.value.field == field, body


def test_wecom_welcome_content():
    content = validate_reply({"type": "text", "content": "hi", "attachments": [
        {"msgtype": "link", "link": {"title": "t", "url": "https://x"}}]}, "welcome", "wecom")
    assert welcome_message(content) == {"text": {"content": "hi"},
                                        "attachments": [{"msgtype": "link", "link": {"title": "t", "url": "https://x"}}]}
    with pytest.raises(ValidationError):
        validate_reply({"type": "news", "articles": [{"title": "t"}]}, "welcome", "wecom")
    with pytest.raises(ValidationError):
        validate_reply({"type": "text", "content": "x", "attachments": [{"msgtype": "exe"}]}, "welcome", "wecom")


def test_news_reply_article_limits():
    content = {"type": "news", "articles": [{"title": f"t{i}", "url": "https://x"} for i in range(8)]}
    to_message = xmltodict.parse(render(content, to_user="o", from_user="gh", create_time=1,
                                        replying_to_message=True))["xml"]
    to_event = xmltodict.parse(render(content, to_user="o", from_user="gh", create_time=1,
                                      replying_to_message=False))["xml"]
    assert to_message["ArticleCount"] == "1"
    assert to_event["ArticleCount"] == "8" and len(to_event["Articles"]["item"]) == 8


@settings(max_examples=500, deadline=None)
@given(text=st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=200),
       openid=st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40))
def test_text_reply_is_cdata_safe(text, openid):
    xml = render({"type": "text", "content": text}, to_user=openid, from_user="gh_1", create_time=5,
                 replying_to_message=True)
    doc = xmltodict.parse(xml, strip_whitespace=False)["xml"]
    assert doc["Content"] == text
    assert doc["ToUserName"] == openid
    assert set(doc) == {"ToUserName", "FromUserName", "CreateTime", "MsgType", "Content"}


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=300), keywords=st.lists(st.text(min_size=1, max_size=10), min_size=1, max_size=3))
def test_contains_agrees_with_python(text, keywords):
    r = rule("a", "contains", *keywords)
    expected = any(k.strip().casefold() in text.strip()[:2000].casefold() for k in keywords if k.strip())
    assert (choose([r], text) is not None) == expected


# ---------------------------------------------------------------- regex rules in RE2 (attacks: tests/security)

_ATOMS = ["a", "b", "A", "1", " ", "中", ".", "[ab]", "[^a]", "[a-b1]", r"\d", r"\s", r"\.", "!"]


@st.composite
def simple_patterns(draw, depth=0):
    """A family of patterns both engines read the same way (no \\w or \\b, which RE2 keeps ASCII-only)."""
    if depth >= 2 or draw(st.booleans()):
        body = "".join(draw(st.lists(st.sampled_from(_ATOMS), min_size=1, max_size=3)))
    else:
        parts = draw(st.lists(simple_patterns(depth=depth + 1), min_size=1, max_size=3))
        body = draw(st.sampled_from(["(?:{})", "({})"])).format("|".join(parts))
    quant = draw(st.sampled_from(["", "", "*", "+", "?", "*?", "{1,2}", "{2}"]))
    if quant and not body.endswith(")") and len(body) > 1 and not body.startswith("["):
        body = f"(?:{body})"
    pattern = draw(st.sampled_from(["", "^"])) + body + quant + draw(st.sampled_from(["", "$"]))
    return pattern if pattern.strip() else "a" + pattern  # a blank keyword is refused before any engine


@settings(max_examples=400, deadline=None)
@given(pattern=simple_patterns(), text=st.text(alphabet="abAB1 中!.", max_size=12))
def test_re2_and_python_re_agree_on_simple_patterns(pattern, text):
    import re

    expected = re.search(pattern, text.strip(), re.IGNORECASE) is not None  # what rules matched before RE2
    assert (choose([rule("r", "regex", pattern)], text) is not None) is expected, (pattern, text)


def test_documented_differences_from_python_re():
    """RE2's classes are ASCII: Chinese needs \\p{Han}; end of text is \\z."""
    assert choose([rule("w", "regex", r"^\w+$")], "你好") is None
    assert choose([rule("h", "regex", r"^\p{Han}+$")], "你好").rule_id == "h"
    assert choose([rule("z", "regex", r"价格\z")], "问价格").rule_id == "z"
    assert choose([rule("i", "regex", r"(?-i)^Hi$")], "hi") is None  # case-insensitive unless turned off
    assert choose([rule("s", "regex", "order")], "my ORDER please").rule_id == "s"  # a search, not a match


@pytest.mark.parametrize(("pattern", "says"), [
    (r"(a)\1", "backreferences"),
    (r"(?P<x>a)(?P=x)", "backreferences (?P=name)"),
    (r"(?=a)", "lookahead"),
    (r"(?!a)", "negative lookahead"),
    (r"(?<=a)b", "lookbehind"),
    (r"(?>a)", "atomic groups"),
    (r"a++", "possessive"),
    (r"(?(1)a|b)", "conditionals"),
    (r"(?x) a", "verbose mode"),
    (r"a\Z", r"use \z"),
    (r"a{1001}", "at most 1000"),
    (r".{1000}.{1000}", "does not compile within 256 KiB"),  # over RE2's memory budget
    (r"\p{L}\p{L}", "RE2 instructions, at most 2000"),  # under max_mem, over the program budget
    (r"(", "not a valid regular expression"),
])
def test_refusal_names_the_keyword_and_says_why(pattern, says):
    with pytest.raises(ValidationError) as refused:
        validate_rule({"match": "regex", "keywords": ["ok", pattern], "reply": {"type": "text", "content": "x"}})
    assert refused.value.field == "keywords[1]"
    assert says in str(refused.value), str(refused.value)


def test_regex_rules_see_at_most_2048_bytes_whole_characters():
    from scrm.domain.replies import MAX_REGEX_TEXT_BYTES, regex_text

    assert MAX_REGEX_TEXT_BYTES == 2048
    cut = regex_text("中" * 1000)  # 3 bytes each: 682 whole characters
    assert len(cut) == 2046 and cut.decode() == "中" * 682
    assert choose([rule("t", "regex", r"^中+$")], "中" * 1000 + "x").rule_id == "t"  # the x is past the cut
