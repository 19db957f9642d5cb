"""Quota policy and the ledger's reservation rule (in-memory store: same semantics as DynamoDB's)."""

import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scrm.domain import quotas
from scrm.errors import ConfigError, Forbidden
from scrm.stores.pushes import MemoryPushStore
from scrm.tenancy import Scope


def test_defaults_follow_current_docs():
    assert quotas.rules_for("oa", "subscription", "mass", env={}) == [quotas.QuotaRule("account", 1, "day")]
    assert quotas.rules_for("oa", "service", "mass", env={}) == [quotas.QuotaRule("recipient", 4, "month")]
    assert quotas.rules_for("wecom", "service", "groupmsg", env={}) == [quotas.QuotaRule("recipient", 1, "day")]
    # the template cap: 100,000 messages a day for the account (the official template message page)
    assert quotas.rules_for("oa", "service", "template", env={}) == [
        quotas.QuotaRule("account", 100_000, "day", "message")]


def test_a_message_cap_is_for_the_account_only():
    rule = {"scope": "recipient", "limit": 1, "period": "day", "unit": "message"}
    with pytest.raises(ConfigError):
        quotas.rules_for("oa", "service", "template", {"oa:*:template": [rule]}, env={})
    with pytest.raises(ConfigError):
        quotas.rules_for("oa", "service", "template", {"oa:*:template": [{**rule, "unit": "people"}]}, env={})


def test_env_then_account_options_override():
    env = {"wecom:*:groupmsg": [{"scope": "recipient", "limit": 4, "period": "month"}]}
    assert quotas.rules_for("wecom", "x", "groupmsg", env=env) == [quotas.QuotaRule("recipient", 4, "month")]
    acct = {"wecom:*:groupmsg": [{"scope": "recipient", "limit": 2, "period": "day"}]}
    assert quotas.rules_for("wecom", "x", "groupmsg", acct, env=env) == [quotas.QuotaRule("recipient", 2, "day")]
    assert quotas.rules_for("oa", "service", "mass", {"oa:service:mass": []}, env={}) == []
    with pytest.raises(ConfigError):
        quotas.rules_for("oa", "service", "mass", {"oa:service:mass": [{"scope": "x", "limit": 1, "period": "day"}]},
                         env={})


def test_periods_are_calendar_periods_in_china_time():
    # 2024-05-31 23:30 in Shanghai is 15:30 UTC: still May 31st there
    at = 1717169400
    assert quotas.period_key("day", at) == "d20240531"
    assert quotas.period_key("month", at) == "m202405"
    assert quotas.period_key("day", at + 3600) == "d20240601"
    r = quotas.QuotaRule("account", 1, "day")
    assert quotas.ledger_key("a", "mass", r, "d1", "o1") == quotas.ledger_key("a", "mass", r, "d1", "o2")
    assert quotas.ledger_key("a", "mass", quotas.QuotaRule("recipient", 4, "month"), "m", "o1") == \
        quotas.ledger_key("a", "mass", quotas.QuotaRule("recipient", 9, "month"), "m", "o1")


ops = st.lists(st.tuples(st.sampled_from(["reserve", "release"]), st.integers(0, 5), st.integers(0, 3)),
               max_size=80)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 4), ops)
def test_ledger_never_exceeds_its_limit_and_reservations_are_idempotent(limit, steps):
    store = MemoryPushStore()
    model: dict[str, set] = {}  # recipient -> holders
    for op, holder, recipient in steps:
        key, h = f"a#mass#recipient#m#{recipient}", f"push{holder}"
        if op == "reserve":
            got = store.reserve_many("a", [key], limit, h, 0)[0]
            held = model.setdefault(key, set())
            expect = h in held or len(held) < limit
            assert got == expect
            if got:
                held.add(h)
        else:
            store.release_many("a", [key], h)
            model.get(key, set()).discard(h)
        assert all(store.used_many("a", [k]).get(k, 0) == len(v) <= limit for k, v in model.items())


def test_two_pushes_racing_for_the_last_slot_only_one_gets_it():
    store = MemoryPushStore()
    key = "a#mass#recipient#m#o1"
    store.reserve_many("a", [key], 4, "earlier", 0)
    store.reserve_many("a", [key], 4, "earlier2", 0)
    store.reserve_many("a", [key], 4, "earlier3", 0)
    results = []
    threads = [threading.Thread(target=lambda h=h: results.append(store.reserve_many("a", [key], 4, h, 0)[0]))
               for h in ("p1", "p2", "p3", "p4")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False, False, False, True]


def test_store_enforces_tenancy():
    store = MemoryPushStore(Scope("acct-a", key_id="k1", role="operator"))
    with pytest.raises(Forbidden):
        store.reserve_many("acct-b", ["acct-b#x"], 1, "h", 0)
    with pytest.raises(Forbidden):
        store.get_push("acct-b", "p")
