"""Admin API for OA insight: WeChat's own statistics of the Official Account per day (JSON and CSV)."""

from chalice import Blueprint

from functions.admin_common import admin_route

bp = Blueprint(__name__)


@admin_route(bp, "/accounts/{account_id}/insight/figures", answer="insight.InsightFigures",
             query="insight.InsightQuery")
def insight_figures(ctx, account_id):
    """Per China day: followers gained and lost (by source) and the total, article readers and sharers, messages
    received and callback figures, as WeChat's statistics (datacube) report them, pulled daily

    ?from=YYYY-MM-DD&to=YYYY-MM-DD (China days; default the last 30; at most 366). A figure is null for a day not
    pulled (today, or an API WeChat refused: `refusals` lists each API's last refusal).
    """
    import time

    from scrm.services.insight.views import figures

    return figures(ctx.scope, account_id, ctx.query, time.time())


@admin_route(bp, "/accounts/{account_id}/insight/figures.csv", query="insight.InsightQuery",
             media={"text/csv": "text"})
def insight_figures_csv(ctx, account_id):
    """The OA's statistics as CSV, one row a day (UTF-8 with a BOM; the header row holds the JSON field names)"""
    import time

    from chalice import Response

    from scrm.services.insight.views import figures_csv

    text = figures_csv(ctx.scope, account_id, ctx.query, time.time())
    headers = {"Content-Type": "text/csv; charset=utf-8",
               "Content-Disposition": f'attachment; filename="insight-{account_id}.csv"'}
    return Response(body=text, status_code=200, headers=headers)
