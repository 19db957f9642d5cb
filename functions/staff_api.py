"""Admin API for staff: the figures WeCom reports per staff member and day (JSON and CSV)."""

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
