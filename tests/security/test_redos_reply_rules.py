"""Attack: ReDoS through a regex reply rule.

An operator stores a pattern that backtracks exponentially (`((a+))+$`, `(a|aa)+$`, `(a|a)+$`, `a*a*...b`:
all of them slipped past the old nested-quantifier guard) and a user sends a short message of `a`s: Python's
`re` held the shared callback Lambda for 10.7 s on 26 characters, before the inbox write.

What we hold: regex rules run in RE2, whose search is linear (at most message bytes x program size steps,
no backtracking); each pattern and each account's regex rules have a bounded program, so the steps one
message can cost an account are bounded by construction. Patterns RE2 cannot express are refused at
creation with the field named, and stored ones are skipped (and logged), never raised into the callback.
Nothing here times anything: the engine and the budgets are asserted, and the hostile matches simply return.
"""

from __future__ import annotations

import time

import pytest
import re2

from scrm.domain.replies import Rule, choose, validate_rule
from scrm.errors import ValidationError

HOSTILE_PATTERNS = [r"((a+))+$", r"(a|aa)+$", r"(a|a)+$", "a*" * 30 + "b"]
HOSTILE_MESSAGES = ["a" * 26 + "!", "a" * 1999 + "!"]  # the issue's; the longest the rules see (2,000 chars)
REPLY = {"type": "text", "content": "matched"}


def body(*keywords, match="regex", **extra):
    return {"match": match, "keywords": list(keywords), "reply": REPLY, **extra}


def hostile_rule(pattern, rule_id="r"):
    stored = validate_rule(body(pattern))  # refused here would also be a pass; RE2 accepts all four
    return Rule(rule_id=rule_id, match=stored["match"], keywords=tuple(stored["keywords"]), reply=stored["reply"])


@pytest.mark.parametrize("pattern", HOSTILE_PATTERNS)
def test_hostile_pattern_runs_in_re2_within_its_step_bound(pattern):
    rule = hostile_rule(pattern)
    # The engine first: with Python's re the matches below would not return (this is how the old code fails).
    assert rule.patterns and all(isinstance(p, re2._Regexp) for p in rule.patterns)
    from scrm.domain.replies import MAX_REGEX_PROGRAM, MAX_REGEX_TEXT_BYTES, regex_text

    assert all(p.programsize <= MAX_REGEX_PROGRAM for p in rule.patterns)
    for message in HOSTILE_MESSAGES:
        searched = regex_text(message)
        assert len(searched) <= MAX_REGEX_TEXT_BYTES
        steps_bound = len(searched) * rule.program_size  # RE2 never revisits a (byte, instruction) pair
        assert steps_bound <= MAX_REGEX_TEXT_BYTES * MAX_REGEX_PROGRAM
        assert choose([rule], message) is None  # ends in '!', so none of them matches
    assert choose([rule], "a" * 2048) is rule or pattern.endswith("b")


def test_a_whole_account_of_hostile_rules_is_bounded():
    """The most an account can make one message cost: its enabled regex programs times the message bytes."""
    from scrm.domain.replies import MAX_REGEX_PROGRAM_PER_ACCOUNT, MAX_REGEX_TEXT_BYTES, matchable
    from scrm.services.replies import MAX_RULES

    rules = [Rule(f"r{i:03d}", "regex", tuple(f"{p}|x{i}y{k}" for k, p in enumerate(HOSTILE_PATTERNS * 5)), REPLY)
             for i in range(MAX_RULES)]  # 200 rules x 20 distinct hostile keywords, far over the budget
    kept, skipped = matchable(rules)
    assert skipped and all("budget" in s["reason"] for s in skipped)
    assert sum(r.program_size for r in kept) <= MAX_REGEX_PROGRAM_PER_ACCOUNT
    assert all(isinstance(p, re2._Regexp) for r in kept for p in r.patterns)
    for message in HOSTILE_MESSAGES:
        assert choose(kept, message) is None
    assert MAX_REGEX_TEXT_BYTES * MAX_REGEX_PROGRAM_PER_ACCOUNT <= 2048 * 5_000  # the bound bench/replies.py times


def test_creating_rules_over_the_account_budget_is_refused(monkeypatch):
    from scrm.domain.replies import MAX_REGEX_PROGRAM_PER_ACCOUNT
    from scrm.services import replies as service
    from scrm.tenancy import Scope

    store = twin()
    monkeypatch.setattr(service, "_platform", lambda account_id: "oa")
    scope = Scope.system("acct-a")
    big = r"\p{L}{1}x"  # ~1,200 instructions: a few of these fill the budget
    created = 0
    with pytest.raises(ValidationError) as refused:
        for i in range(MAX_REGEX_PROGRAM_PER_ACCOUNT):
            service.create_rule(scope, "acct-a", body(f"{big}{i}"))
            created += 1
    assert refused.value.field == "keywords" and "RE2 instructions" in str(refused.value)
    assert 0 < created < 10 and len(store.rules) == created  # the refused rule left nothing behind
    disabled = service.create_rule(scope, "acct-a", body(f"{big}-off", enabled=False))  # costs nothing
    with pytest.raises(ValidationError):  # ...until it is enabled
        service.update_rule(scope, "acct-a", disabled["rule_id"], body(f"{big}-off"))


@pytest.mark.parametrize("pattern", [r"(a)\1", r"(?=a)a", r"(?<=a)b", r"(?P<x>a)(?P=x)", r"a++", r"(?>a+)b"])
def test_patterns_re2_cannot_express_are_refused_at_creation(pattern):
    with pytest.raises(ValidationError) as refused:
        validate_rule(body("fine", pattern))
    assert refused.value.field == "keywords[1]" and "not supported" in str(refused.value)


def test_stored_patterns_re2_refuses_are_skipped_and_logged_not_raised(monkeypatch):
    """Rules stored under Python's re (a backreference, \\Z) reach the callback path as non-matching."""
    from datetime import UTC, datetime

    from scrm import observability
    from scrm.services import replies as service
    from scrm.tenancy import Scope

    store, scope = twin(), Scope.system("acct-a")
    store.create_rule(scope, "acct-a", "legacy", {**body(r"(\w)\1", r"^hi\Z", "ok$"), "priority": 0, "enabled": True,
                                                  "name": ""}, datetime(2026, 3, 1, tzinfo=UTC))
    warnings = []
    monkeypatch.setattr(observability.logger(), "warning", lambda msg, extra=None: warnings.append((msg, extra)))
    service.forget_cache("acct-a")
    (rule,) = service.settings_for("acct-a").rules
    assert choose([rule], "aa") is None and choose([rule], "hi") is None and choose([rule], "ok") is rule
    assert [w[1]["keyword"] for w in warnings] == [r"(\w)\1", r"^hi\Z"]
    assert all(w[1]["account_id"] == "acct-a" and w[1]["rule_id"] == "legacy" for w in warnings)
    listed = service.get_rule(scope, "acct-a", "legacy")  # the operator sees what does not run, and why
    assert [r["keyword"] for r in listed["refused_keywords"]] == [r"(\w)\1", r"^hi\Z"]
    service.forget_cache("acct-a")


def test_the_callback_answers_a_hostile_message_through_re2():
    """End to end through the callback use case: the rule set is hostile, the message is hostile."""
    from local.sandbox import callbacks as wx
    from scrm.accounts import Account
    from scrm.data.inbox import MemoryInbox
    from scrm.domain.replies import ReplySettings
    from scrm.services.callbacks import CallbackService

    token, aes = "tok12345abc", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
    oa = Account(account_id="acct-oa", kind="oa", app_id="wx1234567890abcdef", name="OA", original_id="gh_1",
                 app_secret="s", token=token, aes_key=aes)
    rules = tuple(hostile_rule(p, f"r{i}") for i, p in enumerate(HOSTILE_PATTERNS))
    assert all(isinstance(p, re2._Regexp) for r in rules for p in r.patterns)
    settings = ReplySettings(rules=rules, default={"type": "text", "content": "default"})
    sent = []
    svc = CallbackService(inbox=MemoryInbox(), enqueue=sent.append, clock=time.time, get_account=lambda _id: oa,
                          reply_settings=lambda _id: settings, welcome=lambda account, event: None)
    cfg = {"token": token, "aes_key": aes, "appid": oa.app_id, "original_id": "gh_1", "encrypt_mode": "aes"}
    for i, message in enumerate(HOSTILE_MESSAGES):
        xml = wx.build_xml({"ToUserName": "gh_1", "FromUserName": "o-user-1", "CreateTime": int(time.time()),
                            "MsgType": "text", "Content": message, "MsgId": 1000 + i})
        query, data = wx.oa_request(cfg, xml, "o-user-1")
        answer = svc.handle("oa", "acct-oa", "POST", query, data.encode())
        opened = wx.open_reply(answer.body, token, aes, oa.app_id)
        assert answer.status == 200 and "default" in opened["reply"]
    assert len(sent) == len(HOSTILE_MESSAGES)  # recorded and handed on, like any message


def twin():
    """The reply rule store's in-memory twin in the container (it honours the DynamoDB store's conditions)."""
    from datetime import UTC, datetime

    from scrm import bootstrap
    from scrm.stores.reply_rules import MemoryReplyRuleStore

    store = MemoryReplyRuleStore()
    bootstrap.reset(clock=lambda: datetime(2026, 3, 1, tzinfo=UTC).timestamp(), reply_rule_store=store)
    return store


def test_loading_an_account_compiles_a_bounded_amount_whatever_is_stored(monkeypatch):
    """Compile cost is bounded too: stored rules (before RE2) far over the budget are not all compiled."""
    from scrm.domain import replies

    compiled = []
    real = replies.compile_regex

    def counting(pattern):
        try:
            program = real(pattern)
        except replies.RegexRefused as why:
            compiled.append(replies.MAX_REGEX_PROGRAM if why.compiled else len(pattern))
            raise
        compiled.append(program.programsize)
        return program

    monkeypatch.setattr(replies, "compile_regex", counting)
    big, refused = r"[^!]{240}!", r".{1000}.{1000}"  # 1,925 instructions; too large for RE2's memory budget
    rules = [Rule(f"r{i:03d}", "regex", tuple(f"{big if i % 2 else refused}{k}" for k in range(20)), REPLY)
             for i in range(200)]
    kept, skipped = replies.matchable(rules)
    assert len(compiled) < 40  # of 4,000 stored keywords
    assert sum(compiled) <= 2 * replies.MAX_REGEX_PROGRAM_PER_ACCOUNT + replies.MAX_REGEX_PROGRAM
    assert sum(r.program_size for r in kept) <= replies.MAX_REGEX_PROGRAM_PER_ACCOUNT
    assert {s["rule_id"] for s in skipped if s["keyword"] is None} == {r.rule_id for r in rules} - \
        {r.rule_id for r in kept}
