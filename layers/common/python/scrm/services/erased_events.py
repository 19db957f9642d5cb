"""The workers' half of erasure (PIPL): drop a queued event of a person erased since it was created.

Kept apart from scrm.services.privacy so that the event workers load (and are granted) only this: the
tombstone read and the inbox copy's delete, never the export and erasure of every table.
"""

from __future__ import annotations

from ..data import erasures
from ..data.inbox import InboxRecord, item_key
from ..observability import logger
from ..tenancy import Scope


def drop_if_erased(payload: dict) -> bool:
    """True when the queued event's person was erased after the event was created (a late or DLQ event)."""
    account_id = payload.get("account_id")
    event = payload.get("event") or {}
    if not account_id:
        return False
    identities = [(k, event.get(f)) for k, f in (("openid", "FromUserName"), ("external_userid", "ExternalUserID"),
                                                  ("unionid", "UnionId"))
                  if isinstance(event.get(f), str)]
    if not identities:
        return False
    at = erasures.erased_at(Scope.system(account_id), account_id, identities)
    if at is None:
        return False
    try:
        created = float(event.get("CreateTime") or event.get("received_at") or 0)
    except (TypeError, ValueError):
        created = 0.0
    if created > at:
        return False  # a new follow or add after the erasure: a new consent
    logger().info("dropped an event of an erased person", extra={"kind": payload.get("kind")})
    _forget_inbox(account_id, payload.get("dedupe_key"))
    return True


def _forget_inbox(account_id: str, dedupe_key: str | None) -> None:
    """A late event's inbox copy goes too (it holds the payload)."""
    if not dedupe_key:
        return
    try:
        InboxRecord(item_key(account_id, dedupe_key)).delete()
    except Exception:  # already gone
        pass

