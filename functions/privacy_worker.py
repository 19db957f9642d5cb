"""Erasure worker: carry out queued erasure requests of personal data (PIPL), a table per step.

Thin: one message names one request (account and request id, never the person); the use case is
scrm.services.privacy.run_erasure, whose docstring (job.py) states the crash semantics.
"""

from chalice import Blueprint

from scrm.config import settings
from scrm.observability import traced
from scrm.queues import ERASURE

bp = Blueprint(__name__)

SAFETY_MS = 30_000  # stop starting steps this long before the Lambda timeout (a step is one table)


def _budget(context) -> float | None:
    if context is None or not hasattr(context, "get_remaining_time_in_millis"):
        return None
    return max(1.0, (context.get_remaining_time_in_millis() - SAFETY_MS) / 1000)


@bp.on_sqs_message(queue=settings().queue_name(ERASURE), batch_size=1)
@traced
def erasure_worker(event):
    """One message = some steps of one erasure request; re-enqueue it while tables remain."""
    import json

    from scrm.observability import bind_context
    from scrm.queues import MAX_RECEIVE_COUNT, handle_records
    from scrm.services import privacy

    bind_context("erasure_worker", event.context)

    def step(record: dict):
        msg = json.loads(record["body"])
        try:
            result = privacy.run_erasure(msg["account_id"], msg["request_id"], budget_seconds=_budget(event.context))
        except Exception as exc:
            receives = int((record.get("attributes") or {}).get("ApproximateReceiveCount") or 1)
            if receives >= MAX_RECEIVE_COUNT:  # its last try before the DLQ: say so on the request
                privacy.fail(msg["account_id"], msg["request_id"], type(exc).__name__)
            raise
        if result.get("more"):
            privacy.enqueue(msg["account_id"], msg["request_id"], result["cursor"])

    return handle_records(event.to_dict().get("Records") or [], step)
