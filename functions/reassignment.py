"""Reassignment worker and schedules: advance plans (queue), follow up transfers, sweep departures.

Thin: each handler binds logging context and calls one use case in scrm.services.reassignment.
"""

from chalice import Blueprint, Rate

from scrm.config import settings
from scrm.observability import traced
from scrm.queues import REASSIGNMENT

bp = Blueprint(__name__)

RETRY_DELAY_SECONDS = 60  # WeCom busy / out of time: look again in a minute
SAFETY_MS = 20_000  # stop starting batches this long before the Lambda timeout


def _budget(context) -> float | None:
    if context is None or not hasattr(context, "get_remaining_time_in_millis"):
        return None
    return max(1.0, (context.get_remaining_time_in_millis() - SAFETY_MS) / 1000)


@bp.on_sqs_message(queue=settings().queue_name(REASSIGNMENT), batch_size=1)
@traced
def reassignment_worker(event):
    """One message = advance one plan; re-enqueue itself (delayed) while sends remain."""
    import json

    from scrm.observability import bind_context
    from scrm.queues import handle_records
    from scrm.services import reassignment

    bind_context("reassignment_worker", event.context)

    def advance(record: dict):
        msg = json.loads(record["body"])
        result = reassignment.advance(msg["account_id"], msg["plan_id"], budget_seconds=_budget(event.context),
                                      poll=False)
        if result.get("more") and result.get("counts", {}).get("planned", 1):
            reassignment.enqueue(msg["account_id"], msg["plan_id"], delay_seconds=RETRY_DELAY_SECONDS)

    return handle_records(event.to_dict().get("Records") or [], advance)


@bp.schedule(Rate(30, unit=Rate.MINUTES))
@traced
def reassignment_follow_up(event):
    """Poll transfer_result for every running plan, re-offer refusals, resume stalled batches."""
    from scrm.observability import bind_context, logger
    from scrm.services import reassignment

    bind_context("reassignment_follow_up", event.context)
    out = []
    for account_id, plan_id in reassignment.active_plans():
        try:
            out.append(reassignment.advance(account_id, plan_id, budget_seconds=_budget(event.context)))
        except Exception:  # one broken plan must not stop the others
            logger().exception("follow-up failed", extra={"account_id": account_id, "plan_id": plan_id})
    return {"plans": len(out), "open": sum(1 for r in out if r.get("more"))}


@bp.schedule(Rate(6, unit=Rate.HOURS))
@traced
def reassignment_sweep(event):
    """get_unassigned_list: create plans for departures whose callback we never got."""
    from scrm.observability import bind_context, logger
    from scrm.services import reassignment

    bind_context("reassignment_sweep", event.context)
    made = []
    for account_id in reassignment.wecom_accounts():
        try:
            for plan in reassignment.sweep(account_id):
                reassignment.enqueue(account_id, plan["plan_id"])
                made.append(plan["plan_id"])
        except Exception:
            logger().exception("sweep failed", extra={"account_id": account_id})
    return {"plans": made}
