"""Reply rules and welcome settings: the use cases on the in-memory store (no moto), a fixed clock. The twin
honours the DynamoDB store's conditions (tests/contract/test_reply_rule_store.py); the admin API and the callback
path over moto stay in tests/integration/test_callbacks.py."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from scrm import accounts, bootstrap
from scrm.accounts import Account
from scrm.domain.instants import answer_time
from scrm.domain.replies import choose, choose_click, validate_rule
from scrm.errors import Forbidden, NotFound, UnknownAccount, ValidationError
from scrm.services import replies
from scrm.stores.reply_rules import MemoryReplyRuleStore
from scrm.tenancy import Scope
from tests.timing import Clock

START = 1_750_000_000.0
OA, CORP = "acct-oa", "acct-corp"


class World:
    def __init__(self, monkeypatch):
        self.clock = Clock(START)
        self.store = MemoryReplyRuleStore()
        bootstrap.reset(clock=self.clock, monotonic=self.clock, reply_rule_store=self.store)
        monkeypatch.setattr(accounts, "get", self.account)

    def account(self, account_id, **_):
        kinds = {OA: "oa", CORP: "wecom"}
        if account_id not in kinds:
            raise UnknownAccount(account_id)
        return Account(account_id, kinds[account_id], "wx0000000000000001", account_id)


@pytest.fixture
def world(monkeypatch):
    return World(monkeypatch)


def text(content: str) -> dict:
    return {"type": "text", "content": content}


def rule(*keywords, match="exact", **values) -> dict:
    return {"match": match, "keywords": list(keywords), "reply": text(values.pop("answer", "收到")), **values}


def test_a_rule_is_stored_under_a_new_id_and_answers_at_once(world):
    scope = Scope.system(OA)
    made = replies.create_rule(scope, OA, rule("你好", answer="您好！", priority=2, name="问候"))
    assert made["rule_id"].startswith("20250615")  # the rule id starts with the clock's time
    assert made["updated_at"] == answer_time(datetime.fromtimestamp(START, UTC))
    assert replies.get_rule(scope, OA, made["rule_id"]) == made
    assert choose(replies.settings_for(OA).rules, "你好").reply == text("您好！")
    listed = replies.list_rules(scope, OA)
    assert listed == {"items": [made], "next_cursor": None}


def test_the_callback_view_is_cached_and_a_write_through_the_service_forgets_it(world):
    scope = Scope.system(OA)
    replies.create_rule(scope, OA, rule("MENU_1", match="click", answer="菜单一"))
    assert choose_click(replies.settings_for(OA).rules, "MENU_1").reply == text("菜单一")
    world.store.create_rule(scope, OA, "behind", validate_rule(rule("hi")),  # another container's write
                            datetime.fromtimestamp(START, UTC))
    assert len(replies.settings_for(OA).rules) == 1  # cached
    world.clock.advance(replies.CACHE_SECONDS)
    assert len(replies.settings_for(OA).rules) == 2
    replies.delete_rule(scope, OA, "behind")
    assert len(replies.settings_for(OA).rules) == 1  # forgotten at once


def test_a_missing_rule_is_not_found_and_not_created(world):
    scope = Scope.system(OA)
    with pytest.raises(NotFound):
        replies.update_rule(scope, OA, "nope", rule("hi"))
    with pytest.raises(NotFound):
        replies.get_rule(scope, OA, "nope")
    with pytest.raises(NotFound):
        replies.delete_rule(scope, OA, "nope")
    assert world.store.rules == {}


def test_an_update_replaces_the_rule(world):
    scope = Scope.system(OA)
    made = replies.create_rule(scope, OA, rule("hi"))
    world.clock.advance(60)
    changed = replies.update_rule(scope, OA, made["rule_id"], rule("bye", match="contains", enabled=False))
    assert (changed["match"], changed["keywords"], changed["enabled"]) == ("contains", ["bye"], False)
    assert changed["updated_at"] == answer_time(datetime.fromtimestamp(START + 60, UTC))
    assert replies.settings_for(OA).rules[0].enabled is False


def test_reply_rules_are_for_official_accounts_only(world):
    with pytest.raises(ValidationError) as refused:
        replies.create_rule(Scope.system(CORP), CORP, rule("hi"))
    assert refused.value.field == "account_id" and world.store.rules == {}


def test_an_account_holds_at_most_max_rules(world, monkeypatch):
    monkeypatch.setattr(replies, "MAX_RULES", 3)
    scope = Scope.system(OA)
    for n in range(3):
        replies.create_rule(scope, OA, rule(f"k{n}"))
    with pytest.raises(ValidationError, match="at most 3"):
        replies.create_rule(scope, OA, rule("k3"))
    assert len(world.store.rules) == 3


def test_the_welcome_and_default_reply_are_set_and_removed(world):
    scope = Scope.system(OA)
    assert replies.put_welcome(scope, OA, {"welcome": text("欢迎关注"), "default_reply": text("稍后回复")}) == {
        "welcome": text("欢迎关注"), "default_reply": text("稍后回复")}
    assert replies.settings_for(OA).welcome == text("欢迎关注")
    assert replies.get_welcome(scope, OA) == {"welcome": text("欢迎关注"), "default_reply": text("稍后回复")}
    replies.put_welcome(scope, OA, {"welcome": text("新欢迎")})
    assert replies.get_welcome(scope, OA) == {"welcome": text("新欢迎"), "default_reply": None}
    assert replies.settings_for(OA).default is None
    with pytest.raises(ValidationError) as refused:
        replies.put_welcome(Scope.system(CORP), CORP, {"default_reply": text("x")})
    assert refused.value.field == "default_reply"
    with pytest.raises(ValidationError):
        replies.put_welcome(scope, OA, {"greeting": text("x")})


def test_another_accounts_rules_are_out_of_reach(world):
    made = replies.create_rule(Scope.system(OA), OA, rule("hi"))
    other = Scope(account_id=CORP, key_id=f"{CORP}.k1", role="admin")
    for call in (lambda: replies.list_rules(other, OA), lambda: replies.get_rule(other, OA, made["rule_id"]),
                 lambda: replies.update_rule(other, OA, made["rule_id"], rule("pwned")),
                 lambda: replies.delete_rule(other, OA, made["rule_id"]),
                 lambda: replies.create_rule(other, OA, rule("x")),
                 lambda: replies.put_welcome(other, OA, {"welcome": text("x")})):
        with pytest.raises(Forbidden):
            call()
    assert [r["keywords"] for r in replies.list_rules(Scope.system(OA), OA)["items"]] == [["hi"]]
