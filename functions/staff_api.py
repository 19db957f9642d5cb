"""Admin API for staff: the figures WeCom reports per staff member and day (JSON and CSV), and loss alerts
(settings, counts)."""

from chalice import Blueprint

from functions.admin_common import admin_route

bp = Blueprint(__name__)
FIGURES_LIMIT, FIGURES_MAX = 50, 1000
CSV_LIMIT = 1000


@admin_route(bp, "/accounts/{account_id}/staff/figures", answer="staff.StaffFigures", query="staff.FiguresQuery")
def staff_figures(ctx, account_id):
    """Per staff member and China day: WeCom's 联系客户统计 and 群聊数据统计 (by owner) figures, as pulled daily

    ?from=YYYY-MM-DD&to=YYYY-MM-DD (China days; default the last 30), ?userid=; paged by (day, userid) (?limit,
    ?cursor -> next_cursor). Field names are WeCom's (new_contact_cnt, chat_cnt, message_cnt, reply_percentage,
    avg_reply_time, negative_feedback_cnt, new_apply_cnt; new_chat_cnt, chat_total, ...).
    """
    import time

    from functions.paging import encode_cursor, page_position
    from scrm.services.staff.views import figures_page

    limit, start, path = page_position(ctx, FIGURES_LIMIT, FIGURES_MAX)
    out, last = figures_page(ctx.scope, account_id, ctx.query, time.time(), limit=limit, start=start)
    return {**out, "next_cursor": encode_cursor(last, path)}


@admin_route(bp, "/accounts/{account_id}/staff/figures.csv", query="staff.FiguresQuery", media={"text/csv": "text"})
def staff_figures_csv(ctx, account_id):
    """The staff figures as CSV (UTF-8 with a BOM; the next page's cursor in X-Next-Cursor)

    The same rows and filters as /staff/figures, up to 1,000 rows a request; the header row holds the JSON field
    names.
    """
    import time

    from chalice import Response

    from functions.paging import encode_cursor, page_position
    from scrm.services.staff.views import figures_csv

    limit, start, path = page_position(ctx, CSV_LIMIT, CSV_LIMIT)
    text, last = figures_csv(ctx.scope, account_id, ctx.query, time.time(), limit=limit, start=start)
    headers = {"Content-Type": "text/csv; charset=utf-8",
               "Content-Disposition": f'attachment; filename="staff-figures-{account_id}.csv"'}
    nxt = encode_cursor(last, path)
    if nxt:
        headers["X-Next-Cursor"] = nxt
    return Response(body=text, status_code=200, headers=headers)


@admin_route(bp, "/accounts/{account_id}/loss-alerts/settings", answer="staff.LossAlertSettingsAnswer")
def get_loss_alert_settings(ctx, account_id):
    """Who hears of a lost customer (a customer deleting a staff member), and how"""
    from scrm.services.staff.alerts import settings_of

    return settings_of(ctx.scope, account_id)


@admin_route(bp, "/accounts/{account_id}/loss-alerts/settings", methods=("PUT",), role="admin",
             audit="loss_alerts.settings", body="staff.LossAlertSettings", answer="staff.LossAlertSettingsAnswer")
def put_loss_alert_settings(ctx, account_id):
    """Set the loss alerts of a WeCom corp (admin): on/off, the app, the recipient (the staff member or a
    supervisor), which events, text or textcard

    A field left out takes its default (off; recipient the staff member; del_follow_user only; text; WeCom's
    duplicate check over 1800 s).
    """
    from scrm.services.staff.alerts import put_settings

    return put_settings(ctx.scope, account_id, ctx.body)


@admin_route(bp, "/accounts/{account_id}/loss-alerts/counts", answer="staff.LossAlertCounts", query="staff.DaysQuery")
def loss_alert_counts(ctx, account_id):
    """Loss alerts sent and failed per China day (?from=&to=, default the last 30 days)"""
    import time

    from scrm.services.staff.views import alert_counts

    return alert_counts(ctx.scope, account_id, ctx.query, time.time())
