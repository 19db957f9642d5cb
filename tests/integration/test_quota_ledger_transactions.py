"""The quota ledger on moto: reservations go in transactions of at most 100 conditional writes, a transaction a
row at quota cancels is retried without that row, and the counts stay exact (never over the limit, reruns free)."""

from __future__ import annotations

import math

import botocore.client
import pytest

from scrm.stores.pushes.dynamo import DynamoPushStore
from scrm.tenancy import Scope

TTL = 2_000_000_000


@pytest.fixture
def dynamo_calls(aws, monkeypatch):
    calls: list[str] = []
    original = botocore.client.BaseClient._make_api_call

    def counting(self, operation, params):
        if self.meta.service_model.service_name == "dynamodb":
            calls.append(operation)
        return original(self, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", counting)
    return calls


def keys(n, prefix="r"):
    return [f"acct#mass#recipient#m202605#{prefix}{i:05d}" for i in range(n)]


def test_reserving_for_1050_recipients_takes_11_round_trips(dynamo_calls):
    store = DynamoPushStore(Scope.system())
    granted = store.reserve_many("acct", keys(1050), 4, "p1#1", TTL)
    assert granted == [True] * 1050
    assert dynamo_calls == ["TransactWriteItems"] * math.ceil(1050 / 100)
    assert store.used_many("acct", keys(1050)) == dict.fromkeys(keys(1050), 1)


def test_a_row_at_quota_is_left_out_and_the_rest_retried_once(dynamo_calls):
    store = DynamoPushStore(Scope.system())
    full = keys(250)[::50]  # 5 recipients already at quota (limit 1), spread over 3 transactions
    assert store.reserve_many("acct", full, 1, "earlier#1", TTL) == [True] * 5
    dynamo_calls.clear()
    granted = store.reserve_many("acct", keys(250), 1, "p2#1", TTL)
    assert [k for k, ok in zip(keys(250), granted, strict=True) if not ok] == full
    # each of the 3 transactions is cancelled once (the reasons name every row at quota) and retried once
    assert dynamo_calls == ["TransactWriteItems"] * 6
    used = store.used_many("acct", keys(250))
    assert set(used.values()) == {1} and len(used) == 250


def test_a_rerun_of_the_same_holder_keeps_its_slots_and_takes_no_more(dynamo_calls):
    store = DynamoPushStore(Scope.system())
    ks = keys(120)
    assert store.reserve_many("acct", ks, 4, "p3#1", TTL) == [True] * 120
    assert store.reserve_many("acct", ks, 4, "p3#1", TTL) == [True] * 120  # a crash rerun: granted, not counted
    assert set(store.used_many("acct", ks).values()) == {1}
    store.release_many("acct", ks[:30], "p3#1")
    store.release_many("acct", ks[:30], "p3#1")  # releasing twice gives back once
    used = store.used_many("acct", ks)
    assert [used.get(k, 0) for k in ks] == [0] * 30 + [1] * 90


def test_limit_zero_grants_nobody(dynamo_calls):
    store = DynamoPushStore(Scope.system())
    assert store.reserve_many("acct", keys(3), 0, "p4#1", TTL) == [False] * 3
    assert store.used_many("acct", keys(3)) == {}
