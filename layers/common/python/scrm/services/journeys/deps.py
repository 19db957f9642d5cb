"""What the journey use cases share: the journey store, the push store (its quota ledger and the
customer-service allowances that interactions open: one budget with pushes), accounts and gateways, the clock, and the
count of WeChat calls made."""

from __future__ import annotations

import time
from collections.abc import Callable

from ... import errors
from ...stores.journeys.base import JourneyStore
from ..pushes.deps import default_account, default_gateway


class JourneyDeps:
    def __init__(self, store: JourneyStore, pushes, *, account_for: Callable = default_account,
                 gateway_for: Callable = default_gateway, clock: Callable[[], float] = time.time):
        self.store = store
        self.pushes = pushes  # a scrm.stores.pushes store: the quota ledger and the interactions
        self.account_for = account_for
        self.gateway_for = gateway_for
        self.clock = clock
        self.calls = 0

    def call(self, fn, *args, **kwargs):
        """Call WeChat (through a gateway method), counted."""
        self.calls += 1
        return fn(*args, **kwargs)

    def platform(self, account_id: str) -> str:
        account = self.account_for(account_id)
        if account.kind not in ("oa", "wecom"):
            raise errors.ValidationError("journeys need an official account or a WeCom corp", field="account_id")
        return account.kind
