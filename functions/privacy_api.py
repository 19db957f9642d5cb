"""Admin API: a customer's personal data on request (PIPL): export it as JSON, or erase it.

POST with the identifier in the body (never in the path or query, so it stays out of access logs and the
audit log's object). Admin role; both are audited.
"""

from chalice import Blueprint

from functions.admin_common import admin_route

bp = Blueprint(__name__)
BASE = "/accounts/{account_id}/privacy"
FIELDS = ("openid", "external_userid", "unionid")


@admin_route(bp, BASE + "/export", methods=("POST",), role="admin", audit="privacy.export")
def export_person(ctx, account_id):
    from scrm.services import privacy

    ctx.allow_only(*FIELDS)
    return privacy.export(ctx.scope, account_id, ctx.body)


@admin_route(bp, BASE + "/erase", methods=("POST",), role="admin", audit="privacy.erase")
def erase_person(ctx, account_id):
    from scrm.services import privacy

    ctx.allow_only(*FIELDS)
    return privacy.erase(ctx.scope, account_id, ctx.body)
