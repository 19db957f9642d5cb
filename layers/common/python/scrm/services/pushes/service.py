"""PushService: the push use cases over one store, as the entry points and tests call them.

It wires the collaborators (each one concern, sharing one PushDeps: store, accounts, gateways, clock) and
forwards to them; it holds no logic of its own."""

from __future__ import annotations

import time
from collections.abc import Callable

from ...stores.pushes.base import PushStore
from .admin import PushAdmin, view
from .audience import Audience, Segments
from .deps import PushDeps, default_account, default_gateway
from .quotas import QuotaLedger
from .results import Results
from .scheduler import Scheduler
from .senders import BatchSender


class PushService:
    def __init__(self, store: PushStore, *, account_for: Callable = default_account,
                 gateway_for: Callable = default_gateway, clock: Callable[[], float] = time.time, contacts=None,
                 groups=None):
        self.deps = PushDeps(store, account_for=account_for, gateway_for=gateway_for, clock=clock,
                             contacts=contacts, groups=groups)
        self.audience = Audience(self.deps)
        self.ledger = QuotaLedger(self.deps)
        self.admin = PushAdmin(self.deps, self.audience, self.ledger)
        self.segments = Segments(self.deps)
        self.results = Results(self.deps)
        self.sender = BatchSender(self.deps, self.ledger)
        self.scheduler = Scheduler(self.deps, self.audience, self.sender, self.results)
        # the admin use cases
        self.preview, self.create, self.preview_push = self.admin.preview, self.admin.create, self.admin.preview_push
        self.confirm, self.cancel, self.get = self.admin.confirm, self.admin.cancel, self.admin.get
        self.batches, self.batches_page = self.admin.batches, self.admin.batches_page
        self.list, self.list_page = self.admin.list, self.admin.list_page
        self.create_segment, self.list_segments = self.segments.create_segment, self.segments.list_segments
        self.segments_page = self.segments.segments_page
        # the scheduler and what follows a send
        self.run_due, self.process_run, self._plan = self.scheduler.run_due, self.scheduler.process_run, \
            self.scheduler.plan
        self.poll_wecom_results = self.results.poll_wecom_results
        self.on_mass_finish, self.on_template_finish = self.results.on_mass_finish, self.results.on_template_finish
        self.on_interaction = self.results.on_interaction

    view = staticmethod(view)

    def refresh_results(self, scope, account_id: str, push_id: str) -> dict:
        """Collect a push's WeCom group-message results now (the admin's "refresh"), then the push."""
        self.get(scope, account_id, push_id)  # tenancy and 404 first
        self.poll_wecom_results(account_id, push_id)
        return self.get(scope, account_id, push_id)

    @property
    def store(self) -> PushStore:
        return self.deps.store

    @property
    def clock(self) -> Callable[[], float]:
        return self.deps.clock

    @property
    def calls(self) -> int:
        """WeChat calls this service made (figures for the benchmark)."""
        return self.deps.calls
