"""What the member use cases share: the store, the account's phone key, the members-only code a request names."""

from __future__ import annotations

from ... import bootstrap, secrets
from ...domain import lottery
from ...domain import members as rules
from ...errors import NotFound

PHONE_KEY = "member_phone_key"
PHONE_KEY_SECONDS = 3600  # created once and never overwritten: re-read hourly at most


def store():
    return bootstrap.member_store()


def phone_key(account_id: str) -> bytes:
    """The account's phone-hash key (created on first use; a concurrent creation wins), cached per container."""
    cache = bootstrap.container().cache("members.phone_keys", PHONE_KEY_SECONDS)
    hit = cache.get(account_id)
    if hit:
        return hit
    value = secrets.account_secrets(account_id).get(PHONE_KEY)
    if not value:
        value = secrets.claim_account_secret(account_id, PHONE_KEY, lottery.new_seed())
    key = value.encode()
    cache.put(account_id, key)
    return key


def hashed(account_id: str, phone: str) -> str:
    return rules.phone_hash(phone_key(account_id), phone)


def members_only_code(account_id: str, channel_id: str) -> dict:
    """The active members-only group code (the stored channel), or NotFound (any other channel is not one)."""
    from ..channels import common

    try:
        channel = common.load(account_id, channel_id)
    except NotFound:
        channel = None
    if (channel is None or channel["kind"] != "wecom_group" or channel["status"] != "active"
            or not (channel["definition"] or {}).get("members_only")):
        raise NotFound(f"no members-only group code {channel_id!r}")
    return channel
