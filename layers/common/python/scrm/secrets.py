"""Account secrets in SSM Parameter Store (SecureString), cached per container for a short time.

When SSM fails, cached secrets are served for up to `SCRM_STALE_ACCOUNT_SECONDS` past their load (a warning
is logged): a callback must not be lost to an SSM outage or throttling.
"""

from __future__ import annotations

import time

from .aws import client
from .config import settings
from .errors import ConfigError

_CACHE: dict[str, tuple[float, float, dict[str, str]]] = {}  # account_id -> (fresh until, loaded at, secrets)
CACHE_SECONDS = 300
_clock = time.monotonic  # tests move it


def _path(account_id: str) -> str:
    return settings().secret_path("accounts", account_id)


def put_account_secrets(account_id: str, secrets: dict[str, str]) -> None:
    ssm = client("ssm")
    for name, value in secrets.items():
        if value is None:
            continue
        ssm.put_parameter(Name=f"{_path(account_id)}/{name}", Value=value, Type="SecureString", Overwrite=True)
    _CACHE.pop(account_id, None)


def account_secrets(account_id: str) -> dict[str, str]:
    now = _clock()
    hit = _CACHE.get(account_id)
    if hit and hit[0] > now:
        return hit[2]
    prefix = _path(account_id)
    values: dict[str, str] = {}
    try:
        for page in client("ssm").get_paginator("get_parameters_by_path").paginate(
            Path=prefix, WithDecryption=True
        ):
            for p in page["Parameters"]:
                values[p["Name"].rsplit("/", 1)[-1]] = p["Value"]
    except Exception as exc:  # botocore errors carry the reason; we add where we looked
        if hit and now - hit[1] <= settings().stale_account_seconds:
            from .observability import logger

            logger().warning("SSM unavailable; serving cached secrets",
                             extra={"account_id": account_id, "stale_seconds": round(now - hit[1])})
            return hit[2]
        raise ConfigError(f"cannot read secrets for account {account_id!r} at {prefix}: {exc}") from exc
    _CACHE[account_id] = (now + CACHE_SECONDS, now, values)
    return values


def delete_account_secrets(account_id: str) -> None:
    ssm = client("ssm")
    for name in account_secrets(account_id):
        ssm.delete_parameter(Name=f"{_path(account_id)}/{name}")
    _CACHE.pop(account_id, None)


def forget_cache() -> None:
    _CACHE.clear()


# ---- create-once secrets: a value is claimed, never replaced (a published lottery commitment must always verify
# against the seed revealed at the draw; a user-token key in use must not change under its tokens).


def _create_once(name: str, value: str) -> str:
    """Put `value` at `name` unless a value is there already; returns the value stored (the first writer's)."""
    ssm = client("ssm")
    try:
        ssm.put_parameter(Name=name, Value=value, Type="SecureString", Overwrite=False)
        return value
    except Exception as exc:
        if "ParameterAlreadyExists" not in str(exc):
            raise
    return ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]


def campaign_seed_path(account_id: str, campaign_id: str) -> str:
    return settings().secret_path("campaigns", account_id, campaign_id, "lottery_seed")


def claim_campaign_seed(account_id: str, campaign_id: str, seed: str) -> str:
    """The campaign's lottery seed: `seed` if none is stored yet, else the one stored (kept until the draw)."""
    return _create_once(campaign_seed_path(account_id, campaign_id), seed)


def campaign_seed(account_id: str, campaign_id: str) -> str:
    return client("ssm").get_parameter(Name=campaign_seed_path(account_id, campaign_id), WithDecryption=True)[
        "Parameter"]["Value"]


def claim_account_secret(account_id: str, name: str, value: str) -> str:
    """The account's secret `name`: `value` if it has none yet, else the one stored (a concurrent claim's)."""
    return _create_once(f"{_path(account_id)}/{name}", value)
