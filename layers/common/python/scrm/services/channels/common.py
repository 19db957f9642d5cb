"""What the channel use cases share: the stores, the account and its gateway, loading a channel, and the
per-container cache of definitions and pointers (scrm.bootstrap.channel_cache)."""

from __future__ import annotations

from ... import accounts, bootstrap
from ...errors import NotFound
from ...tenancy import Scope
from .. import seams

_MISSING = object()


def store():
    return bootstrap.channel_store()


# The two seams to the rest of the system (unit tests replace them): the account, and its WeChat gateway.

def account_of(account_id: str, allow_disabled: bool = False):
    return accounts.get(account_id, allow_disabled=allow_disabled)


def gateway_of(account):
    return seams.gateway_of(account)


def load(account_id: str, channel_id: str, scope: Scope | None = None) -> dict:
    channel = store().get_channel(scope or Scope.system(account_id), account_id, channel_id)
    if channel is None:
        raise NotFound(f"channel {channel_id!r} not found in account {account_id}")
    return channel


def cached(key: tuple, compute):
    """`compute()` once per key per minute (None is remembered too: an unknown scene stays unknown)."""
    cache = bootstrap.channel_cache()
    value = cache.get(key, _MISSING)
    if value is _MISSING:
        value = compute()
        cache.put(key, value)
    return value


def forget_cache() -> None:
    """After a change to a channel: the next event reads its definition and pointers afresh."""
    bootstrap.channel_cache().clear()
