"""Push quotas as configurable policy (pure: no AWS, no WeChat).

The platforms change these numbers, so they are data, not code:
- OA subscription account: 1 mass send a day for the account;
- OA service account: each follower receives at most 4 mass messages a calendar month;
- WeCom: each customer receives at most 1 group message a day (current doc, path 92135; it was 4 a month).

Resolution order, later wins: DEFAULT_POLICY < env `SCRM_PUSH_QUOTA_POLICY` (JSON, same shape) <
the account's `options["push_quotas"]` (same shape). A key is "<platform>:<account_type|*>:<delivery>"
and maps to a list of rules `{"scope": "recipient"|"account", "limit": int, "period": "day"|"month"}`;
an empty list means no quota.

Periods are calendar periods in the account's time zone (Asia/Shanghai by default, like WeChat's).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from ..config import settings
from ..errors import ConfigError

DEFAULT_TZ = "Asia/Shanghai"
PERIODS = ("day", "month")
SCOPES = ("recipient", "account")
ACCOUNT_RECIPIENT = "@account"  # the ledger "recipient" of an account-wide rule

DEFAULT_POLICY: dict[str, list[dict]] = {
    "oa:subscription:mass": [{"scope": "account", "limit": 1, "period": "day"}],
    "oa:service:mass": [{"scope": "recipient", "limit": 4, "period": "month"}],
    "oa:*:template": [],
    "oa:*:custom": [],  # customer-service messages are bounded by the 48-hour window instead
    "wecom:*:groupmsg": [{"scope": "recipient", "limit": 1, "period": "day"}],
    "wecom:*:moment": [{"scope": "recipient", "limit": 4, "period": "month"}],  # customer moments (朋友圈)
}


@dataclass(frozen=True)
class QuotaRule:
    scope: str
    limit: int
    period: str

    @classmethod
    def parse(cls, raw: dict, where: str) -> QuotaRule:
        if not isinstance(raw, dict):
            raise ConfigError(f"{where}: a quota rule must be an object, got {raw!r}")
        scope, limit, period = raw.get("scope"), raw.get("limit"), raw.get("period")
        if scope not in SCOPES:
            raise ConfigError(f"{where}: scope must be one of {SCOPES}, got {scope!r}")
        if period not in PERIODS:
            raise ConfigError(f"{where}: period must be one of {PERIODS}, got {period!r}")
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 0:
            raise ConfigError(f"{where}: limit must be a non-negative integer, got {limit!r}")
        return cls(scope, limit, period)

    def as_dict(self) -> dict:
        return {"scope": self.scope, "limit": self.limit, "period": self.period}


def _env_policy() -> dict:
    raw = settings().push_quota_policy
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        raise ConfigError("SCRM_PUSH_QUOTA_POLICY must be JSON") from None
    if not isinstance(value, dict):
        raise ConfigError("SCRM_PUSH_QUOTA_POLICY must be a JSON object")
    return value


def rules_for(platform: str, account_type: str, delivery: str, overrides: dict | None = None,
              *, env: dict | None = None) -> list[QuotaRule]:
    """The quota rules for one kind of send. `overrides` is the account's options["push_quotas"]."""
    merged: dict = {**DEFAULT_POLICY, **(_env_policy() if env is None else env), **(overrides or {})}
    for key in (f"{platform}:{account_type}:{delivery}", f"{platform}:*:{delivery}"):
        if key in merged:
            raw = merged[key]
            if not isinstance(raw, list):
                raise ConfigError(f"push quota policy {key!r} must be a list of rules")
            return [QuotaRule.parse(r, f"push quota policy {key!r}") for r in raw]
    return []


def period_key(period: str, at: float, tz: str = DEFAULT_TZ) -> str:
    local = datetime.fromtimestamp(at, ZoneInfo(tz))
    if period == "day":
        return local.strftime("d%Y%m%d")
    if period == "month":
        return local.strftime("m%Y%m")
    raise ConfigError(f"unknown quota period {period!r}")


def ledger_key(account_id: str, delivery: str, rule: QuotaRule, period: str, recipient: str) -> str:
    """One ledger row per (account, delivery, scope, period, recipient); the limit is not part of it, so
    changing a limit mid-period keeps the count."""
    who = ACCOUNT_RECIPIENT if rule.scope == "account" else recipient
    return f"{account_id}#{delivery}#{rule.scope}#{period}#{who}"


def ledger_ttl(period: str, at: float) -> int:
    """Rows may be dropped once their period has passed (plus slack for late reruns)."""
    return int(at) + (3 if period == "day" else 40) * 86400
