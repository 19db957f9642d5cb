"""The idempotency persistence layer's contract, for the in-memory twin (scrm.stores.idempotency) and Powertools'
DynamoDB layer on moto alike, seen through `scrm.idempotency.once`: a retried payload has one effect and gets the
first result, a duplicate arriving while the first runs is refused as in progress, a failed run leaves nothing
behind, and each `once` keeps its own key."""

from __future__ import annotations

import pytest
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyKeyError,
)

from scrm import bootstrap, idempotency
from scrm.idempotency import once
from scrm.stores.idempotency.memory import MemoryPersistenceLayer
from tests.contract.stores import IMPLEMENTATIONS


@pytest.fixture(params=IMPLEMENTATIONS)
def layer(request):
    if request.param == "memory":
        made = MemoryPersistenceLayer()
    else:
        request.getfixturevalue("aws")
        made = idempotency.idempotency_persistence()  # Powertools' DynamoDB layer on moto's idempotency table
    bootstrap.reset(idempotency_persistence=made)
    return made


def event(key: str, account_id: str = "acct-a", **rest) -> dict:
    return {"account_id": account_id, "dedupe_key": key, **rest}


def test_a_retried_payload_has_one_effect_and_gets_the_first_result(layer):
    effects = []

    @once("contract_retry", key="[account_id, dedupe_key]")
    def apply(payload):
        effects.append(payload["dedupe_key"])
        return {"effect": len(effects)}

    assert apply(event("k1")) == {"effect": 1}
    assert apply(event("k1", received_again=True)) == {"effect": 1}  # the key, not the whole payload, decides
    assert apply(event("k1", account_id="acct-b")) == {"effect": 2}  # another account's event of the same key
    assert effects == ["k1", "k1"]


def test_a_duplicate_arriving_while_the_first_runs_is_refused_as_in_progress(layer):
    effects, refused = [], []

    @once("contract_in_progress", key="dedupe_key")
    def apply(payload):
        effects.append(payload["dedupe_key"])
        if len(effects) == 1:  # the queue delivers the same event again while this one is still running
            with pytest.raises(IdempotencyAlreadyInProgressError):
                apply(payload)
            refused.append(payload["dedupe_key"])
        return "applied"

    assert apply(event("k1")) == "applied"
    assert apply(event("k1")) == "applied"  # once finished, a duplicate gets the first result
    assert effects == ["k1"] and refused == ["k1"]


def test_a_failed_run_leaves_nothing_behind_so_its_retry_runs(layer):
    effects = []

    @once("contract_failure", key="dedupe_key")
    def apply(payload):
        effects.append(payload["dedupe_key"])
        if len(effects) == 1:
            raise RuntimeError("WeChat timed out")
        return "applied"

    with pytest.raises(RuntimeError):
        apply(event("k1"))
    assert apply(event("k1")) == "applied"
    assert apply(event("k1")) == "applied"
    assert effects == ["k1", "k1"]


def test_a_payload_without_its_key_is_refused_with_no_effect(layer):
    effects = []

    @once("contract_no_key", key="dedupe_key")
    def apply(payload):
        effects.append(payload)

    with pytest.raises(IdempotencyKeyError):
        apply({"account_id": "acct-a"})
    assert effects == []


def test_each_once_keeps_its_own_key_on_the_shared_layer(layer):
    """Powertools configures a persistence layer once, with the first config it sees: two `once` sharing one layer
    would both dedupe on the first one's key."""
    by_account, by_key = [], []

    @once("contract_by_account", key="account_id")
    def first(payload):
        by_account.append(payload["dedupe_key"])

    @once("contract_by_key", key="dedupe_key")
    def second(payload):
        by_key.append(payload["dedupe_key"])

    first(event("k1"))
    first(event("k2"))
    second(event("k1"))
    second(event("k2"))
    assert by_account == ["k1"] and by_key == ["k1", "k2"]
