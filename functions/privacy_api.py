"""Admin API: a customer's personal data on request (PIPL): export it as JSON, or erase it.

POST with the identifier in the body (never in the path or query, so it stays out of access logs and the
audit log's object). Admin role; both are audited.
"""

from chalice import Blueprint

from functions.admin_common import admin_route

bp = Blueprint(__name__)
BASE = "/accounts/{account_id}/privacy"
FIELDS = ("openid", "external_userid", "unionid")


@admin_route(bp, BASE + "/export", methods=("POST",), role="admin", audit="privacy.export",
             body="privacy.PersonIdentifier", answer="answers.ExportPersonAnswer")
def export_person(ctx, account_id):
    """Everything held about one customer of the account, per table, as JSON (admin; audited)

    Name the person by exactly one identifier; the contact book adds their other identifiers in this account.
    The identifier travels in the body, never in the path or query.
    """
    from scrm.services import privacy

    ctx.allow_only(*FIELDS)
    return privacy.export(ctx.scope, account_id, ctx.body)


@admin_route(bp, BASE + "/erase", methods=("POST",), role="admin", audit="privacy.erase",
             body="privacy.PersonIdentifier", answer="answers.ErasePersonAnswer")
def erase_person(ctx, account_id):
    """Erase one customer of the account everywhere (admin; audited; repeating it is harmless)

    Records that only serve the person are deleted; records that reported figures are made of are pseudonymised,
    so channel counters, campaign reports and push figures do not change. A tombstone (hashed) makes the workers
    drop an event of the person still in a queue or DLQ that was created before the erasure.
    """
    from scrm.services import privacy

    ctx.allow_only(*FIELDS)
    return privacy.erase(ctx.scope, account_id, ctx.body)
