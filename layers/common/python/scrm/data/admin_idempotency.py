"""Table `admin_idempotency`: the first response to an admin create call, by its Idempotency-Key.

Item id = "<account or _platform>#<key id>#<method> <path>#<Idempotency-Key>"; a retry with the same key and
body gets the stored response; a different body is a conflict. Items expire after a day (reads check it).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError
from pynamodb.models import Model

from ..tenancy import Scope
from .registry import table

KEEP_SECONDS = 24 * 3600
IN_PROGRESS_SECONDS = 60


@table("admin_idempotency")
class AdminRequest(Model):
    class Meta:
        pass

    id = UnicodeAttribute(hash_key=True)
    body_hash = UnicodeAttribute()
    state = UnicodeAttribute()  # in_progress | done
    status = NumberAttribute(default=0)
    response = UnicodeAttribute(null=True)  # JSON
    claimed_until = NumberAttribute(default=0)
    expires = TTLAttribute()


def claim(item_id: str, body_hash: str) -> AdminRequest | None:
    """Claim the key; returns None when claimed, or the existing record (done, or in progress elsewhere)."""
    now = time.time()
    rec = AdminRequest(id=item_id, body_hash=body_hash, state="in_progress", claimed_until=int(now) +
                       IN_PROGRESS_SECONDS, expires=datetime.now(UTC) + timedelta(seconds=KEEP_SECONDS))
    # Take it if absent, expired (TTL is lazy), or an abandoned in-progress claim.
    condition = (AdminRequest.id.does_not_exist() | (AdminRequest.expires < datetime.now(UTC))
                 | ((AdminRequest.state == "in_progress") & (AdminRequest.claimed_until < int(now))))
    try:
        rec.save(condition=condition)
        return None
    except PutError as exc:
        if getattr(exc, "cause_response_code", "") != "ConditionalCheckFailedException":
            raise
    try:
        return AdminRequest.get(item_id, consistent_read=True)
    except AdminRequest.DoesNotExist:  # expired and removed between the two calls
        return claim(item_id, body_hash)


def complete(item_id: str, status: int, response_json: str) -> None:
    AdminRequest(id=item_id).update(actions=[AdminRequest.state.set("done"), AdminRequest.status.set(status),
                                             AdminRequest.response.set(response_json)])


def release(item_id: str) -> None:
    try:
        AdminRequest(id=item_id).delete(condition=AdminRequest.state == "in_progress")
    except Exception:  # already gone or completed: nothing to release
        pass


def person_responses(scope: Scope, person, erase: bool) -> list[dict]:
    """Stored responses of the account's idempotent creates that name any of the person's identifiers
    (scrm.domain.persons.Person), e.g. a push with an explicit audience; erased: deleted (they expire in a day
    anyway). No index by person: a filtered scan."""
    scope.check(person.account_id)
    if not person.ids:
        return []
    mentions = None
    for value in sorted(person.ids):
        mentions = AdminRequest.response.contains(value) if mentions is None \
            else mentions | AdminRequest.response.contains(value)
    out = []
    for rec in AdminRequest.scan(AdminRequest.id.startswith(f"{person.account_id}#") & mentions):
        out.append({"id": rec.id, "response": rec.response})
        if erase:
            rec.delete()
    return out
