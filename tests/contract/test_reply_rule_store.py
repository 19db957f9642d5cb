"""The reply rule store's contract, for the in-memory twin and DynamoDB (moto) alike: a rule is created only under
a free id and replaced only when it exists, settings set and removed, everything in one load, tenancy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from scrm.domain.instants import answer_time
from scrm.errors import Conflict, Forbidden, NotFound
from scrm.tenancy import Scope
from tests.contract.stores import IMPLEMENTATIONS, make_store

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
A = "acct-a"
SCOPE = Scope.system(A)


@pytest.fixture(params=IMPLEMENTATIONS)
def store(request):
    return make_store(request, "reply_rules", "ReplyRuleStore")


def rule(text: str = "你好", **values) -> dict:
    return {"match": "exact", "keywords": ["hi", "你好"], "priority": 2, "enabled": True, "name": "",
            "reply": {"type": "text", "content": text}, **values}


def stored(rule_id: str, body: dict, at: datetime) -> dict:
    return {"rule_id": rule_id, **body, "updated_at": answer_time(at)}


def test_a_rule_is_created_under_a_free_id_only(store):
    made = store.create_rule(SCOPE, A, "r1", rule(name="问候"), T0)
    assert made == stored("r1", rule(name="问候"), T0) == store.get_rule(SCOPE, A, "r1")
    with pytest.raises(Conflict):
        store.create_rule(SCOPE, A, "r1", rule("other"), T0)
    assert store.get_rule(SCOPE, A, "r1")["reply"]["content"] == "你好"


def test_a_rule_is_replaced_only_when_it_exists(store):
    with pytest.raises(NotFound):
        store.replace_rule(SCOPE, A, "r1", rule(), T0)
    assert store.get_rule(SCOPE, A, "r1") is None and store.list_rules(SCOPE, A) == []
    store.create_rule(SCOPE, A, "r1", rule(), T0)
    later = T0 + timedelta(minutes=5)
    changed = rule("再见", match="contains", keywords=["bye"], enabled=False, priority=0)
    assert store.replace_rule(SCOPE, A, "r1", changed, later) == stored("r1", changed, later)
    assert store.list_rules(SCOPE, A) == [stored("r1", changed, later)]


def test_delete_says_whether_there_was_a_rule(store):
    store.create_rule(SCOPE, A, "r1", rule(), T0)
    assert store.delete_rule(SCOPE, A, "r1") is True
    assert store.delete_rule(SCOPE, A, "r1") is False
    assert store.get_rule(SCOPE, A, "r1") is None


def test_one_load_gives_rules_and_settings(store):
    store.create_rule(SCOPE, A, "r2", rule("b"), T0)
    store.create_rule(SCOPE, A, "r1", rule("a"), T0)
    store.create_rule(Scope.system("acct-b"), "acct-b", "r9", rule("other account"), T0)
    store.put_setting(SCOPE, A, "welcome", {"type": "text", "content": "欢迎关注"}, T0)
    store.put_setting(SCOPE, A, "default", {"type": "text", "content": "稍后回复"}, T0)
    rules, settings = store.load_replies(SCOPE, A)
    assert sorted(r["rule_id"] for r in rules) == ["r1", "r2"]
    assert settings == {"welcome": {"type": "text", "content": "欢迎关注"},
                        "default": {"type": "text", "content": "稍后回复"}}
    store.put_setting(SCOPE, A, "default", None, T0)
    store.put_setting(SCOPE, A, "default", None, T0)  # idempotent
    assert store.get_setting(SCOPE, A, "default") is None
    assert store.get_setting(SCOPE, A, "welcome") == {"type": "text", "content": "欢迎关注"}
    assert store.load_replies(SCOPE, A)[1] == {"welcome": {"type": "text", "content": "欢迎关注"}}


def test_another_accounts_rules_are_out_of_reach(store):
    store.create_rule(SCOPE, A, "r1", rule(), T0)
    other = Scope(account_id="acct-b", key_id="acct-b.k1", role="admin")
    for call in (lambda: store.load_replies(other, A), lambda: store.list_rules(other, A),
                 lambda: store.get_rule(other, A, "r1"), lambda: store.create_rule(other, A, "r2", rule(), T0),
                 lambda: store.replace_rule(other, A, "r1", rule("pwned"), T0),
                 lambda: store.delete_rule(other, A, "r1"), lambda: store.get_setting(other, A, "welcome"),
                 lambda: store.put_setting(other, A, "welcome", {"type": "text", "content": "x"}, T0)):
        with pytest.raises(Forbidden):
            call()
    assert store.get_rule(SCOPE, A, "r1") == stored("r1", rule(), T0)
    assert store.get_setting(SCOPE, A, "welcome") is None
