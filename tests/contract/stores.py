"""One store per test, the in-memory twin or the DynamoDB implementation (under the `aws` moto fixture), for the
contract tests parametrized over IMPLEMENTATIONS."""

from __future__ import annotations

import importlib

IMPLEMENTATIONS = ["memory", "dynamo"]


def make_store(request, capability: str, name: str):
    """`Memory<name>` of scrm.stores.<capability>, or `Dynamo<name>` of its dynamo module, for `request.param`."""
    if request.param == "memory":
        return getattr(importlib.import_module(f"scrm.stores.{capability}"), f"Memory{name}")()
    request.getfixturevalue("aws")
    return getattr(importlib.import_module(f"scrm.stores.{capability}.dynamo"), f"Dynamo{name}")()
