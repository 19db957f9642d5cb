"""What the follower use cases share: the store, the account (an Official Account), its gateway and the queue
(the seams unit tests replace)."""

from __future__ import annotations

from ... import accounts, bootstrap
from ...errors import ValidationError


def store():
    return bootstrap.contact_store()


def oa_account(account_id: str):
    account = accounts.get(account_id)
    if account.kind != "oa":
        raise ValidationError("follower profiles belong to Official Accounts only", field="account_id")
    return account


def gateway_of(account):
    from ...gateway import gateway_for  # lazy: the gateway loads wechatpy

    return gateway_for(account)


def now() -> float:
    return bootstrap.container().now()


def enqueue(message: dict) -> None:
    """Queue a follower sync step for the event worker (tests put a list's append in slot `follower_queue`)."""
    def make(_):
        from ...queues import EVENTS, send

        return lambda m: send(EVENTS, m)

    bootstrap.container().slot("follower_queue", make)(message)
