"""Scheduled pull of the OA statistics WeChat keeps (datacube: followers, articles, messages, callbacks) once a day,
at 02:15 China time (18:15 UTC: WeChat publishes a day's figures after midnight and asks for them before 08:00),
for every active OA: the days up to yesterday not stored yet (the last 30 back-filled)."""

from chalice import Blueprint, Cron

from scrm.observability import traced

bp = Blueprint(__name__)


@bp.schedule(Cron(15, 18, "*", "*", "?", "*"))
@traced
def oa_insight(event):
    from scrm.observability import bind_context
    from scrm.services.insight.pull import pull_all

    bind_context("oa_insight", getattr(event, "context", None))
    return pull_all()
