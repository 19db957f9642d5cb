"""The push use cases as functions/ and the event worker reach them: the store comes from the composition root
(a fake passed to `bootstrap.reset` is what every entry point uses), seen through the caller's scope; and a push
to 1,000 followers reserves its quota in ceil(1000/100) ledger transactions."""

from __future__ import annotations

import math

import pytest

from scrm import bootstrap
from scrm.errors import Forbidden
from scrm.services import pushes
from scrm.stores.pushes import TX_MAX, MemoryPushStore
from scrm.tenancy import Scope
from tests.unit.test_push_service import body, make, run_until_done


def test_a_push_to_1000_followers_reserves_in_10_round_trips():
    svc, store, gw, clock = make(followers=[f"o{i:05d}" for i in range(1000)])
    svc.create(Scope.system(), "acct", body())
    store.round_trips = 0
    run_until_done(svc, clock, max_ticks=2)
    assert len(gw.deliveries) == 1000
    assert store.round_trips == math.ceil(1000 / TX_MAX)


def test_the_entry_points_use_the_store_the_container_was_given():
    store = MemoryPushStore()
    bootstrap.reset(push_store=store)
    svc = pushes.service(Scope(account_id="acct", key_id="k1", role="operator"))
    assert svc.store.scope.account_id == "acct" and svc.store.pushes is store.pushes  # a view of the same data
    with pytest.raises(Forbidden):
        svc.list(svc.store.scope, "other")
    store.touch("acct", "o1", 100.0, "oa.text")
    pushes._on_interaction({"account_id": "acct", "kind": "oa.text",
                            "event": {"FromUserName": "o1", "CreateTime": "200"}})
    assert store.service_windows("acct", ["o1"])["o1"].message_at == 200.0
    assert pushes.run_scheduled(lambda: 600.0)["claimed"] == 0


def test_the_service_reads_the_containers_clock():
    bootstrap.reset(clock=lambda: 1234.0, push_store=MemoryPushStore())
    assert pushes.service().clock() == 1234.0


def test_the_container_makes_one_store_and_forgets_it_on_reset():
    bootstrap.reset(push_store=MemoryPushStore())
    assert bootstrap.push_store() is bootstrap.push_store()
    first = bootstrap.push_store()
    bootstrap.reset(push_store=MemoryPushStore())
    assert bootstrap.push_store() is not first
