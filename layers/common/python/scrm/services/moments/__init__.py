"""Customer moments (客户朋友圈): create / preview / cancel / figures, and the scheduled publisher.

A moment is created scheduled (its content, its senders and customer tags, its time); at that time the content_push
schedule's tick (functions/content_push.py) reserves its customers' monthly counts (4 a month per customer, the
quota ledger), creates the WeCom task exactly once (add_moment_task, looked up with get_moment_list before any
resend), follows the job (get_moment_task_result) and pulls the figures (get_moment_task, get_moment_comments)
until the follow window ends.

Modules: deps (store, accounts, gateways, clock, the visible range and the monthly rules), admin (the admin use
cases and the view), publisher (the scheduled side). The store is scrm.stores.moments (bootstrap.moment_store).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from ... import bootstrap
from ...stores.moments.base import MomentStore
from ...tenancy import Scope
from ..pushes.deps import default_account, default_gateway
from .admin import MomentAdmin, view
from .deps import DELIVERY, MomentDeps, visible_customers
from .publisher import FOLLOW_SECONDS, LEASE_SECONDS, SETTLE_SECONDS, Publisher

__all__ = ["DELIVERY", "FOLLOW_SECONDS", "LEASE_SECONDS", "SETTLE_SECONDS", "MomentService", "Publisher",
           "run_scheduled", "service", "view", "visible_customers"]


class MomentService:
    """The moment use cases over one store (wiring only)."""

    def __init__(self, store: MomentStore, *, account_for: Callable = default_account,
                 gateway_for: Callable = default_gateway, clock: Callable[[], float] = time.time):
        self.deps = MomentDeps(store, account_for=account_for, gateway_for=gateway_for, clock=clock)
        self.admin = MomentAdmin(self.deps)
        self.publisher = Publisher(self.deps)
        self.create, self.get, self.list_page = self.admin.create, self.admin.get, self.admin.list_page
        self.preview, self.cancel, self.figures = self.admin.preview, self.admin.cancel, self.admin.figures
        self.run_due = self.publisher.run_due

    @property
    def store(self) -> MomentStore:
        return self.deps.store

    @property
    def calls(self) -> int:
        return self.deps.calls


def service(scope: Scope | None = None) -> MomentService:
    return MomentService(bootstrap.moment_store().scoped(scope or Scope.system()), clock=bootstrap.container().now)


def run_scheduled(time_left: Callable[[], float]) -> dict:
    return service().run_due(time_left=time_left)
