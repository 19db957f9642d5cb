"""Content pushes: create / preview / confirm / cancel, the scheduled sender, and the result callbacks.

Exactly once, by construction:
1. The scheduler *claims* a due push with a conditional update (a lease). A second scheduler firing at the
   same time gets nothing; a dead one's lease runs out and the next tick resumes the run.
2. *Planning* resolves the audience once and writes every batch (recipients chunked, compressed) before
   any send; the plan header is written last, so a crash mid-planning just replans.
3. Each batch reserves quota in the ledger (conditional increments, idempotent per run), moves to
   `sending`, calls WeChat with a deterministic client message id and records the outcome. A batch found
   in `sending` after a crash has an unknown outcome: OA mass sends and template messages are resent with
   the same clientmsgid / client_msg_id (WeChat dedupes: 45065 returns the first msgid); WeCom has no
   dedupe key, so the sender first looks the message up with get_groupmsg_list_v2 and resends only if it
   is not there; customer-service messages put a once-marker per recipient before calling.
4. A run completes when every batch is terminal (sent / failed with a reason / skipped); a recurring push
   is then scheduled for its next occurrence.

The modules, one concern each: admin (the admin use cases), audience (resolution, left-out counts, segments),
quotas (the ledger's rules and reservations), scheduler (due pushes, leases, runs, recurrence), senders (one
batch: OA mass send, template and customer-service messages, WeCom group messages), results (callbacks, polled
WeCom outcomes, run figures); service.PushService wires them over one store (scrm.stores.pushes), which the
composition root provides (bootstrap.push_store). This module holds the entry points for functions/ and the
event worker.
"""

from __future__ import annotations

from collections.abc import Callable

from ... import bootstrap
from ...domain import service_window as window_rules
from ...tenancy import Scope
from ..events import on
from .admin import view
from .audience import Audience, ContactsChannelAudience, Segments
from .quotas import PREVIEW_EXACT_MAX, QuotaLedger
from .results import RESULT_POLL_DAYS, RESULT_POLL_SECONDS, Results
from .scheduler import LEASE_SECONDS, Scheduler
from .senders import MAX_ATTEMPTS, BatchSender, RateLimiter
from .service import PushService

# the events that open a customer-service allowance (a view menu or a location report opens none)
INTERACTION_KINDS = window_rules.OPENING_KINDS

__all__ = ["INTERACTION_KINDS", "LEASE_SECONDS", "MAX_ATTEMPTS", "PREVIEW_EXACT_MAX", "RESULT_POLL_DAYS",
           "RESULT_POLL_SECONDS", "Audience", "BatchSender", "ContactsChannelAudience", "PushService", "QuotaLedger",
           "RateLimiter", "Results", "Scheduler", "Segments", "default_store", "run_scheduled", "service", "view"]


# ================================================================ entry points for functions/


def default_store(scope: Scope):
    """The container's push store, seen through `scope` (tenancy is checked inside the store)."""
    return bootstrap.push_store().scoped(scope)


def service(scope: Scope | None = None) -> PushService:
    return PushService(default_store(scope or Scope.system()), clock=bootstrap.container().now)


def run_scheduled(time_left: Callable[[], float]) -> dict:
    return service().run_due(time_left=time_left)


@on("oa.masssendjobfinish")
def _on_mass_finish(payload: dict):
    account_id = payload["account_id"]
    return service(Scope.system(account_id)).on_mass_finish(account_id, payload.get("event") or {})


@on("oa.templatesendjobfinish")
def _on_template_finish(payload: dict):
    account_id = payload["account_id"]
    return service(Scope.system(account_id)).on_template_finish(account_id, payload.get("event") or {})


@on(*INTERACTION_KINDS)
def _on_interaction(payload: dict):
    account_id = payload["account_id"]
    service(Scope.system(account_id)).on_interaction(account_id, payload.get("kind", ""), payload.get("event") or {})
    return {"touched": True}
