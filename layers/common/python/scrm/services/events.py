"""Applying callback events in the workers, exactly once per event.

A queued event is `{"account_id", "platform": "oa"|"wecom", "kind", "dedupe_key", "event": {...}}`,
where `kind` is e.g. "oa.subscribe" or "wecom.change_external_contact.add_external_contact".
Feature modules register handlers with `@on("kind")`; `process_batch` runs each record's handlers
once per (account, dedupe key) (Powertools idempotency) and reports failed records for redelivery. The
account is part of the key: dedupe keys are only unique within an account (two WeCom corps can send the
same-looking `delete_user` of `zhangsan` in the same second, and each must be applied).
"""

from __future__ import annotations

import importlib
import json
from collections import defaultdict
from collections.abc import Callable

from ..idempotency import once, register_lambda_context
from ..observability import bind_context, bind_keys, flush_metrics
from ..queues import back_off
from .erased_events import drop_if_erased

# Modules that register handlers; imported on first use so a cold start pays only for what runs.
HANDLER_MODULES: list[str] = [
    "scrm.services.reassignment",
    "scrm.services.welcome",
    "scrm.services.attribution",
    "scrm.services.pushes",
    "scrm.services.menus.clicks",
    "scrm.services.tags",
    "scrm.services.groups.membership",
    "scrm.services.staff.alerts",
    "scrm.services.groups.leave_alerts",  # after membership: the group and its members as this event left them
    "scrm.services.followers",
    "scrm.services.segments.facts",  # after attribution: the contact (and its unionid) as this event left it
    "scrm.services.journeys",  # after pushes: a follow has touched the 48-hour window before a journey enrols
]

_HANDLERS: dict[str, list[Callable[[dict], object]]] = defaultdict(list)
_loaded = False


def on(*kinds: str):
    def register(fn):
        for kind in kinds:
            if fn not in _HANDLERS[kind]:
                _HANDLERS[kind].append(fn)
        return fn

    return register


def _load() -> None:
    global _loaded
    if not _loaded:
        for module in HANDLER_MODULES:
            importlib.import_module(module)
        _loaded = True


def handlers_for(kind: str) -> list[Callable[[dict], object]]:
    _load()
    found = list(_HANDLERS.get(kind, []))
    # A handler may subscribe to a family: "wecom.change_external_contact" sees every change type.
    family = kind.rsplit(".", 1)[0]
    while family and family != kind:
        found += [h for h in _HANDLERS.get(family, []) if h not in found]
        if "." not in family:
            break
        family = family.rsplit(".", 1)[0]
    return found


@once("apply_event", key="[account_id, dedupe_key]")
def apply_event(payload: dict) -> dict:
    results = {}
    for handler in handlers_for(payload["kind"]):
        results[handler.__module__ + "." + handler.__name__] = handler(payload)
    return {"handled": len(results)}


def apply(payload: dict) -> dict:
    if not payload.get("dedupe_key") or not payload.get("account_id"):
        raise ValueError("queued event without account_id or dedupe_key")
    if drop_if_erased(payload):  # a late event of a person erased since (PIPL): applying it would re-create them
        return {"handled": 0, "erased": True}
    return apply_event(payload)


def process_batch(event: dict, context=None) -> dict:
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    bind_context("event_worker", context)
    register_lambda_context(context)

    def record_handler(record):
        payload = json.loads(record.body)
        bind_keys(account_id=payload.get("account_id"), kind=payload.get("kind"))
        return apply(payload)

    try:
        result = process_partial_response(event=event, record_handler=record_handler,
                                          processor=BatchProcessor(event_type=EventType.SQS,
                                                                    raise_on_entire_batch_failure=False),
                                          context=context)
        # failed records come back after a growing delay, not the queue's fixed visibility timeout
        return back_off(event.get("Records") or [], [f["itemIdentifier"] for f in result.get("batchItemFailures", [])])
    finally:
        flush_metrics()
