"""Content push scheduler: every minute, claim due pushes (a lease), plan them and send their batches; then the due
customer moments (scrm.services.moments: create each WeCom task once, follow its job, pull its figures); then the
due journey steps (scrm.services.journeys: each person's step once). Journeys share this tick rather than a schedule
of their own: they spend the pushes' quota ledger, so running them after the pushes of the same minute lets a
scheduled push take its planned slots first, and one Lambda keeps one warm push store.

Thin: binds logging context and calls the three scheduled use cases, scrm.services.pushes.run_scheduled,
scrm.services.moments.run_scheduled and scrm.services.journeys.run_scheduled. Stops starting batches (moments,
journey steps) well before the Lambda timeout; unfinished work resumes on the next tick.
"""

from chalice import Blueprint, Rate

from scrm.observability import traced

bp = Blueprint(__name__)

SAFETY_MS = 30_000


@bp.schedule(Rate(1, unit=Rate.MINUTES))
@traced
def content_push(event):
    from scrm.observability import bind_context, flush_metrics
    from scrm.services import journeys, moments
    from scrm.services.pushes import run_scheduled

    context = getattr(event, "context", None)
    bind_context("content_push", context)

    def time_left() -> float:
        if context is None or not hasattr(context, "get_remaining_time_in_millis"):
            return 600.0
        return (context.get_remaining_time_in_millis() - SAFETY_MS) / 1000

    try:
        out = run_scheduled(time_left)
        return {**out, "moments": moments.run_scheduled(time_left), "journeys": journeys.run_scheduled(time_left)}
    finally:
        flush_metrics()
