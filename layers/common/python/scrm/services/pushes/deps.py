"""What the push use cases share: one store, how to find an account and its WeChat gateway, the clock, the
channel directory, and the count of WeChat calls made (figures for the benchmark)."""

from __future__ import annotations

import time
from collections.abc import Callable

from ...stores.pushes.base import PushStore


def default_account(account_id: str):
    from ... import accounts

    return accounts.get(account_id)


def default_gateway(account):
    from ...gateway import gateway_for

    return gateway_for(account)


class PushDeps:
    def __init__(self, store: PushStore, *, account_for: Callable = default_account,
                 gateway_for: Callable = default_gateway, clock: Callable[[], float] = time.time, contacts=None,
                 groups=None):
        self.store = store
        self.account_for = account_for
        self.gateway_for = gateway_for
        self.clock = clock
        self.contacts = contacts  # optional channel directory (audience.ContactsChannelAudience by default)
        self._groups = groups  # optional customer group store (scrm.stores.groups; the container's by default)
        self.calls = 0  # WeChat calls made

    @property
    def groups(self):
        """The customer groups capability's store: who owns which group, and which are dismissed."""
        if self._groups is None:
            from ... import bootstrap

            self._groups = bootstrap.group_store()
        return self._groups

    def call(self, fn, *args, **kwargs):
        """Call WeChat (through a gateway method), counted."""
        self.calls += 1
        return fn(*args, **kwargs)


def account_options(account) -> dict:
    return account.options or {}
