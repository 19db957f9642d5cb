"""The member list for the admin API: upsert JSON rows, import a CSV file, read one member, a code's figures.

Both writes answer {created, updated, unchanged, rejected: [{line, member_id, field, message}]}: each bad row is
refused with its line (a CSV file's line, the header being line 1; a JSON row's position, from 1) and the good rows
are applied. Re-sending the same rows changes nothing and counts them `unchanged`.
"""

from __future__ import annotations

from ... import bootstrap
from ...domain import members as rules
from ...domain.instants import answer_time
from ...errors import NotFound, ValidationError
from ...tenancy import Scope
from .common import hashed, members_only_code, store

FIGURE_COLUMNS = ("channel_id", "name", "verified", "refused", "joined", "joined_verified")


def _apply(scope: Scope, account_id: str, good: list[dict], rejected: list[dict], now: float) -> dict:
    rows = [{"member_id": r["member_id"], "phone_hash": hashed(account_id, r["phone"]), "name": r["name"],
             "level": r["level"]} for r in good]
    counts = store().upsert_members(scope, account_id, rows, now) if rows else {"created": 0, "updated": 0,
                                                                                  "unchanged": 0}
    return {**counts, "rejected": rejected}


def upsert(scope: Scope, account_id: str, body: dict, now: float | None = None) -> dict:
    """Upsert `members` (at most MAX_ROWS rows of {member_id, phone, name?, level?})."""
    scope.check(account_id)
    rows = body.get("members")
    if not isinstance(rows, list) or not rows:
        raise ValidationError("members: a list of 1..1000 rows is required", field="members")
    if len(rows) > rules.MAX_ROWS:
        raise ValidationError(f"members: at most {rules.MAX_ROWS} rows a call", field="members")
    good, rejected = rules.check_rows(rows)
    return _apply(scope, account_id, good, rejected, bootstrap.container().now() if now is None else now)


def import_csv(scope: Scope, account_id: str, body: dict, now: float | None = None) -> dict:
    """Import the CSV text in `csv` (UTF-8, with or without BOM; header member_id, phone[, name][, level])."""
    scope.check(account_id)
    text = body.get("csv")
    if not isinstance(text, str) or not text.strip():
        raise ValidationError("csv: the file's text is required", field="csv")
    try:
        rows, lines = rules.read_csv(text)
    except rules.BadFile as exc:
        raise ValidationError(f"csv: {exc}", field="csv") from None
    good, rejected = rules.check_rows(rows, lines)
    return {**_apply(scope, account_id, good, rejected, bootstrap.container().now() if now is None else now),
            "rows": len(rows)}


def get_member(scope: Scope, account_id: str, member_id: str) -> dict:
    """One member as stored (the phone only as `has_phone`: the number is not kept)."""
    scope.check(account_id)
    m = store().get_members(scope, account_id, [member_id]).get(member_id) if rules.MEMBER_ID.match(member_id) \
        else None
    if m is None:
        raise NotFound(f"member {member_id!r} not found in account {account_id}")
    return {"member_id": m["member_id"], "name": m["name"], "level": m["level"], "has_phone": bool(m["phone_hash"]),
            "created_at": answer_time(m["created_at"]), "updated_at": answer_time(m["updated_at"])}


def figures(scope: Scope, account_id: str, channel_id: str) -> dict:
    """A members-only code's figures: verified (people, once each), refused (tries), joined (joins through the code),
    joined_verified (of those, matched to a verified person; see scrm.services.members.joins)."""
    scope.check(account_id)
    channel = members_only_code(account_id, channel_id)
    return {"channel_id": channel_id, "name": channel["definition"].get("name"),
            **store().figures(scope, account_id, channel_id)}


def figures_csv(scope: Scope, account_id: str, channel_id: str) -> str:
    """The figures as CSV with a UTF-8 BOM (Excel reads a CSV without one as GBK), formula-safe."""
    from ...domain.spreadsheets import csv_document

    return csv_document(FIGURE_COLUMNS, [figures(scope, account_id, channel_id)])
