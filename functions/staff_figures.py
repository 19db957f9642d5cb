"""Scheduled pull of WeCom's staff figures (联系客户统计, 群聊数据统计) once a day, at 01:30 China time (17:30 UTC),
for every active WeCom corp: the days up to yesterday not pulled yet (missed days back-filled within 30 days)."""

from chalice import Blueprint, Cron

from scrm.observability import traced

bp = Blueprint(__name__)


@bp.schedule(Cron(30, 17, "*", "*", "?", "*"))
@traced
def staff_figures(event):
    from scrm.observability import bind_context
    from scrm.services.staff.figures import pull_all

    bind_context("staff_figures", getattr(event, "context", None))
    return pull_all()
