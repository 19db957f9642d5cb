"""Typed configuration, parsed once per process from the environment.

Every function reads its settings through `settings()`; a missing or malformed variable raises
ConfigError naming the variable, instead of failing later somewhere deep.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache

from .errors import ConfigError

OA_PRODUCTION_BASE = "https://api.weixin.qq.com"
WECOM_PRODUCTION_BASE = "https://qyapi.weixin.qq.com"
OAUTH_PRODUCTION_BASE = "https://open.weixin.qq.com"  # web authorization's authorize page (网页授权)
# WeCom's web login page (企业微信Web登录, https://developer.work.weixin.qq.com/document/path/98171)
WECOM_LOGIN_PRODUCTION_BASE = "https://login.work.weixin.qq.com"


def _url(name: str, default: str) -> str:
    value = os.environ.get(name, default).rstrip("/")
    if not value.startswith(("http://", "https://")):
        raise ConfigError(f"{name} must be an http(s) URL, got {value!r}")
    return value


def _int(name: str, default: int, minimum: int = 0, maximum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ConfigError(f"{name} must be <= {maximum}, got {value}")
    return value


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None


@dataclass(frozen=True)
class Settings:
    stage: str
    region: str
    table_prefix: str
    secrets_prefix: str
    queue_prefix: str
    oa_base_url: str
    wecom_base_url: str
    http_timeout: float
    retry_backoff: float
    token_lock_seconds: int
    # SCRM_CALLBACK_CLOCK_SKEW_SECONDS: a callback whose timestamp is further than this from our clock is refused
    # (WeChat signs the timestamp; the window bounds how long a captured request can be replayed).
    callback_clock_skew: int = 300
    # SCRM_STALE_ACCOUNT_SECONDS: when the account table or SSM fails, callbacks use the container's cached
    # account and secrets up to this old (stale is better than a lost event); 0 turns it off.
    stale_account_seconds: int = 86400
    # SCRM_PUSH_RATE: messages per second a push sends when the account sets no push_rate_per_second.
    push_rate: float = 50.0
    # SCRM_PUSH_QUOTA_POLICY: a JSON object of quota rules over scrm.domain.quotas.DEFAULT_POLICY, as written
    # (parsed and refused where a push is planned, so a bad policy never stops callbacks); "" for none.
    push_quota_policy: str = ""
    # SCRM_PUBLIC_BASE_URL: where the API is reached from outside (callback URLs); None: from the request.
    public_base_url: str | None = None
    # WECHAT_OAUTH_BASE_URL: where browsers are sent to sign in (…/connect/oauth2/authorize): the sandbox's /open
    # locally
    oauth_base_url: str = OAUTH_PRODUCTION_BASE
    # SCRM_CONSOLE_SESSION_SECONDS: how long a console sign-in lasts (a key session never outlives its key).
    console_session_seconds: int = 8 * 3600
    # WECOM_LOGIN_BASE_URL: where WeCom's QR login page is (the sandbox locally, like WECOM_BASE_URL).
    wecom_login_base_url: str = WECOM_LOGIN_PRODUCTION_BASE
    # SCRM_KMS_KEY_ID: the KMS key SecureStrings are written with (the template sets the stage's data key on the
    # functions that write them); None: SSM's default key aws/ssm (the local stack, moto, tests).
    kms_key_id: str | None = None
    service: str = "wechat-scrm"
    extra: dict = field(default_factory=dict)

    def table_name(self, name: str) -> str:
        return f"{self.table_prefix}-{name}"

    def queue_name(self, name: str) -> str:
        return f"{self.queue_prefix}-{name}"

    def secret_path(self, *parts: str) -> str:
        return "/".join([self.secrets_prefix.rstrip("/"), *parts])


def load_settings() -> Settings:
    stage = os.environ.get("SCRM_STAGE", "dev")
    if not stage.replace("-", "").isalnum():
        raise ConfigError(f"SCRM_STAGE must be alphanumeric (dashes allowed), got {stage!r}")
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "ap-east-1"
    prefix = os.environ.get("SCRM_TABLE_PREFIX", f"scrm-{stage}")
    secrets_prefix = os.environ.get("SCRM_SECRETS_PREFIX", f"/scrm/{stage}")
    if not secrets_prefix.startswith("/"):
        raise ConfigError(f"SCRM_SECRETS_PREFIX must start with '/', got {secrets_prefix!r}")
    return Settings(
        stage=stage,
        region=region,
        table_prefix=prefix,
        secrets_prefix=secrets_prefix,
        queue_prefix=os.environ.get("SCRM_QUEUE_PREFIX", f"scrm-{stage}"),
        oa_base_url=_url("WECHAT_OA_BASE_URL", OA_PRODUCTION_BASE),
        wecom_base_url=_url("WECOM_BASE_URL", WECOM_PRODUCTION_BASE),
        http_timeout=_float("WECHAT_HTTP_TIMEOUT", 4.0),
        retry_backoff=_float("WECHAT_RETRY_BACKOFF", 0.5),
        token_lock_seconds=_int("WECHAT_TOKEN_LOCK_SECONDS", 10, minimum=1),
        callback_clock_skew=_int("SCRM_CALLBACK_CLOCK_SKEW_SECONDS", 300, minimum=30, maximum=3600),
        stale_account_seconds=_int("SCRM_STALE_ACCOUNT_SECONDS", 86400, minimum=0, maximum=7 * 86400),
        push_rate=_float("SCRM_PUSH_RATE", 50.0),
        push_quota_policy=os.environ.get("SCRM_PUSH_QUOTA_POLICY") or "",
        public_base_url=(os.environ.get("SCRM_PUBLIC_BASE_URL") or "").rstrip("/") or None,
        oauth_base_url=_url("WECHAT_OAUTH_BASE_URL", OAUTH_PRODUCTION_BASE),
        console_session_seconds=_int("SCRM_CONSOLE_SESSION_SECONDS", 8 * 3600, minimum=60, maximum=7 * 86400),
        wecom_login_base_url=_url("WECOM_LOGIN_BASE_URL", WECOM_LOGIN_PRODUCTION_BASE),
        kms_key_id=os.environ.get("SCRM_KMS_KEY_ID") or None,
    )


# Per process, not a slot of the container: the environment is the process's, and a cold start of the container
# (`bootstrap.reset()`) must not re-read it at a moment chalice's test Client has patched it with a stage's
# variables (SCRM_STAGE=dev inside `Client(app)`: secrets were looked up under another stage's path).
@lru_cache(maxsize=1)
def settings() -> Settings:
    return load_settings()


def reset_settings() -> None:
    """Tests change the environment; this forgets the parsed copy."""
    settings.cache_clear()
