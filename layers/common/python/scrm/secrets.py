"""Account secrets in SSM Parameter Store (SecureString), cached per container for a short time.

When SSM fails, cached secrets are served for up to `SCRM_STALE_ACCOUNT_SECONDS` past their load (a warning
is logged): a callback must not be lost to an SSM outage or throttling. The cache is the container's
(`scrm.bootstrap`): `bootstrap.reset()` is a cold start, its `monotonic` clock ages the entries.
"""

from __future__ import annotations

from .aws import client
from .bootstrap import TtlCache, container
from .config import settings
from .errors import ConfigError
from .observability import logger

CACHE_SECONDS = 300


def _cache() -> TtlCache:
    return container().cache("account_secrets", CACHE_SECONDS)  # account_id -> {name: value}


def _path(account_id: str) -> str:
    return settings().secret_path("accounts", account_id)


def _put_secure_string(ssm, name: str, value: str, *, overwrite: bool) -> None:
    """A SecureString under the stage's data key when one is configured (SCRM_KMS_KEY_ID), else aws/ssm."""
    key = {"KeyId": settings().kms_key_id} if settings().kms_key_id else {}
    ssm.put_parameter(Name=name, Value=value, Type="SecureString", Overwrite=overwrite, **key)


def put_account_secrets(account_id: str, secrets: dict[str, str]) -> None:
    ssm = client("ssm")
    for name, value in secrets.items():
        if value is None:
            continue
        _put_secure_string(ssm, f"{_path(account_id)}/{name}", value, overwrite=True)
    _cache().pop(account_id)


def account_secrets(account_id: str) -> dict[str, str]:
    cache = _cache()
    fresh = cache.get(account_id)
    if fresh is not None:
        return fresh
    prefix = _path(account_id)
    values: dict[str, str] = {}
    try:
        for page in client("ssm").get_paginator("get_parameters_by_path").paginate(
            Path=prefix, WithDecryption=True
        ):
            for p in page["Parameters"]:
                values[p["Name"].rsplit("/", 1)[-1]] = p["Value"]
    except Exception as exc:  # botocore errors carry the reason; we add where we looked
        stale = cache.stale(account_id)
        if stale and stale[1] <= settings().stale_account_seconds:
            logger().warning("SSM unavailable; serving cached secrets",
                             extra={"account_id": account_id, "stale_seconds": round(stale[1])})
            return stale[0]
        raise ConfigError(f"cannot read secrets for account {account_id!r} at {prefix}: {exc}") from exc
    cache.put(account_id, values)
    return values


def delete_account_secrets(account_id: str) -> None:
    ssm = client("ssm")
    for name in account_secrets(account_id):
        ssm.delete_parameter(Name=f"{_path(account_id)}/{name}")
    _cache().pop(account_id)


def forget_cache() -> None:
    _cache().clear()


# ---- create-once secrets: a value is claimed, never replaced (a published lottery commitment must always verify
# against the seed revealed at the draw; a user-token key in use must not change under its tokens).


def _create_once(name: str, value: str) -> str:
    """Put `value` at `name` unless a value is there already; returns the value stored (the first writer's)."""
    ssm = client("ssm")
    try:
        _put_secure_string(ssm, name, value, overwrite=False)
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
