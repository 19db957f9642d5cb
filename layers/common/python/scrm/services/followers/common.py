"""What the follower use cases share: the store, the account (an Official Account), its gateway and the queue
(the seams unit tests replace)."""

from __future__ import annotations

from ... import bootstrap
from .. import seams


def store():
    return bootstrap.contact_store()


def oa_account(account_id: str):
    return seams.account_of_kind(account_id, "oa", "follower profiles")


def gateway_of(account):
    return seams.gateway_of(account)


def now() -> float:
    return bootstrap.container().now()


def enqueue(message: dict) -> None:
    """Queue a follower sync step for the event worker (tests put a list's append in slot `follower_queue`)."""
    def make(_):
        from ...queues import EVENTS, send

        return lambda m: send(EVENTS, m)

    bootstrap.container().slot("follower_queue", make)(message)
