"""Journeys (SOP): a trigger (an OA follow, optionally through one channel; a WeCom customer added, optionally
through one contact way; a campaign prize won, optionally in one campaign; a WeCom customer group joined, optionally
one group or through one group code; a tag given, optionally one tag), then steps run once per person in order
(wait, a customer-service message within the follower's allowance, a template message within the daily cap, a
WeCom message once a day per customer, add or remove a tag), with exits (unfollowed, deleted the staff member,
reached the goal: a tag or a prize). Figures per step.

Modules: deps (stores, accounts, gateways, clock), admin (the admin use cases), triggers (the event handlers that
enrol and exit), steps (one step for one person: quota, WeChat call, outcome), runner (the minute schedule: claim,
run, record). The store is scrm.stores.journeys (bootstrap.journey_store); quotas and the customer-service
allowances are the pushes' (bootstrap.push_store), so journeys and pushes spend one budget.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from ... import bootstrap
from ...stores.journeys.base import JourneyStore
from ...tenancy import Scope
from ..events import on
from ..pushes.deps import default_account, default_gateway
from .admin import JourneyAdmin, entrant_view, view
from .deps import JourneyDeps
from .runner import Runner
from .steps import StepRunner
from .triggers import Triggers

__all__ = ["ENTRY_POINTS", "JourneyService", "Runner", "StepRunner", "Triggers", "entrant_view", "run_scheduled",
           "service", "tagged", "view"]


class JourneyService:
    """The journey use cases over one store (wiring only)."""

    def __init__(self, store: JourneyStore, pushes, *, account_for: Callable = default_account,
                 gateway_for: Callable = default_gateway, clock: Callable[[], float] = time.time):
        self.deps = JourneyDeps(store, pushes, account_for=account_for, gateway_for=gateway_for, clock=clock)
        self.admin = JourneyAdmin(self.deps)
        self.triggers = Triggers(self.deps)
        self.runner = Runner(self.deps)
        self.run_due = self.runner.run_due

    @property
    def store(self) -> JourneyStore:
        return self.deps.store

    @property
    def calls(self) -> int:
        return self.deps.calls


def service(scope: Scope | None = None) -> JourneyService:
    scope = scope or Scope.system()
    return JourneyService(bootstrap.journey_store().scoped(scope), bootstrap.push_store().scoped(scope),
                          clock=bootstrap.container().now)


def run_scheduled(time_left: Callable[[], float]) -> dict:
    return service().run_due(time_left=time_left)


@on("oa.subscribe", "oa.unsubscribe")
def on_follow_change(payload: dict) -> dict:
    return service(Scope.system(payload["account_id"])).triggers.on_oa(payload)


@on("wecom.change_external_contact.add_external_contact", "wecom.change_external_contact.del_follow_user",
    "wecom.change_external_contact.del_external_contact")
def on_customer_change(payload: dict) -> dict:
    return service(Scope.system(payload["account_id"])).triggers.on_wecom(payload)


@on("campaign.draw", "campaign.win")
def on_prize(payload: dict) -> dict:
    return service(Scope.system(payload["account_id"])).triggers.on_prize(payload)


@on("wecom.change_external_chat")
def on_group_change(payload: dict) -> dict:
    scope = Scope.system(payload["account_id"])
    return service(scope).triggers.on_group(payload, bootstrap.group_store(), scope)


def tagged(account_id: str, people: list[tuple[str, str | None]], tag_id) -> dict:
    """A tag was applied to these people ((openid or external userid, WeCom staff member or None)) outside a
    journey (a channel's tagging): tag_added journeys enrol them and journeys whose goal it is let them go. Safe
    to repeat (enrolment and exit are conditional writes)."""
    triggers = service(Scope.system(account_id)).triggers
    return {person: triggers.tagged(account_id, person, tag_id, staff=staff) for person, staff in people}


# What the event worker and the schedules run through this package (infra/access.py follows these).
ENTRY_POINTS = (on_follow_change, on_customer_change, on_prize, on_group_change, tagged, run_scheduled)
