"""Admin API: a customer's personal data on request (PIPL): export it as JSON, or erase it.

POST with the identifier in the body (never in the path or query, so it stays out of access logs and the
audit log's object). Admin role; both are audited. Erasure is queued (202 and a status URL): the erasure
worker (privacy_worker.py) carries it out.
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


@admin_route(bp, BASE + "/erase", methods=("POST",), role="admin", audit="privacy.erase", status=202,
             body="privacy.PersonIdentifier", answer="answers.ErasureRequestAnswer")
def erase_person(ctx, account_id):
    """Ask for one customer of the account to be erased everywhere (admin; audited): answered at once (202)

    The erasure is queued and carried out by the erasure worker, a table per step; read its progress at
    `status_url`. Records that only serve the person are deleted; records that reported figures are made of are
    pseudonymised, so channel counters, campaign reports and push figures do not change. A tombstone (hashed),
    written before this answers, makes the workers drop an event of the person still in a queue or DLQ that was
    created before the request. Asking again is harmless (a new request, which finds nothing left).
    """
    from scrm.services import privacy

    ctx.allow_only(*FIELDS)
    return privacy.request_erasure(ctx.scope, account_id, ctx.body, requested_by=ctx.scope.key_id or "")


@admin_route(bp, BASE + "/erasures/{request_id}", role="admin", answer="answers.ErasureRequestAnswer")
def erasure_status(ctx, account_id, request_id):
    """An erasure request's progress: pending, running, done or failed, and the items erased per table (admin)

    It never names the person: the identifier's kind only, and nothing of theirs once the request is done.
    """
    from scrm.services import privacy

    return privacy.erasure_status(ctx.scope, account_id, request_id)
