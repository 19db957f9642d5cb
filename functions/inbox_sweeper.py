"""Scheduled inbox sweeper: callback events stored but never handed to the events queue get enqueued.

The callback answers 503 when SQS fails, so WeChat retries and the retry enqueues; this catches the rest
(WeChat gave up, or the function died between the inbox write and the send). Every minute.
"""

from chalice import Blueprint, Rate

from scrm.observability import traced

bp = Blueprint(__name__)


@bp.schedule(Rate(1, unit=Rate.MINUTES))
@traced
def inbox_sweeper(event):
    from scrm.observability import bind_context
    from scrm.services.callbacks import sweep

    bind_context("inbox_sweeper", getattr(event, "context", None))
    return sweep()
