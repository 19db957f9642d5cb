"""The customer-service window's allowances on DynamoDB (table `interactions`): DynamoPushStore's touch,
service_windows, claim_service_message and release_service_message check tenancy and call these. Every write is
conditional on the allowance's opening time, so an older event, a claim racing a new opening, or two senders
claiming together never count past what WeChat permits (domain.service_window)."""

from __future__ import annotations

from datetime import UTC, datetime

from pynamodb.exceptions import UpdateError

from ...data.interactions import InteractionRecord as I
from ...domain import service_window as rules

KEEP_SECONDS = 7 * 86400


def _attrs(name: str):
    return getattr(I, f"{name}_at"), getattr(I, f"{name}_sent")


def _conditional(rec: I, actions, condition) -> bool:
    try:
        rec.update(actions=actions, condition=condition)
        return True
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        return False


def _window(row: I) -> rules.Window:
    return rules.Window(message_at=float(row.message_at or 0), message_sent=int(row.message_sent or 0),
                        action_at=float(row.action_at or 0), action_sent=int(row.action_sent or 0))


def touch(account_id: str, openid: str, at: float, kind: str) -> None:
    allowance = rules.allowance_of(kind)
    if allowance is None:
        return
    opened, sent = _attrs(allowance.name)
    _conditional(I(account_id, openid),
                 [opened.set(at), sent.set(0), I.ttl.set(datetime.fromtimestamp(at + KEEP_SECONDS, UTC))],
                 opened.does_not_exist() | (opened < at))


def service_windows(account_id: str, openids: list[str]) -> dict[str, rules.Window]:
    out = {}
    for start in range(0, len(openids), 100):  # BatchGetItem: at most 100 keys a call
        for row in I.batch_get([(account_id, o) for o in openids[start:start + 100]]):
            out[row.openid] = _window(row)
    return out


def claim(account_id: str, openid: str, now: float, message_seconds: int | None) -> tuple[str, float] | None:
    try:
        window = _window(I.get(account_id, openid, consistent_read=True))
    except I.DoesNotExist:
        return None
    for allowance in rules.usable(window, now, message_seconds):
        opened, sent = _attrs(allowance.name)
        at = window.opened_at(allowance)
        if _conditional(I(account_id, openid), [sent.add(1)],
                        (opened == at) & (sent < allowance.messages)):
            return allowance.name, at
    return None


def release(account_id: str, openid: str, claim_: tuple[str, float]) -> None:
    name, at = claim_
    opened, sent = _attrs(name)
    _conditional(I(account_id, openid), [sent.add(-1)], (opened == at) & (sent > 0))
