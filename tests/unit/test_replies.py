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
