"""Push quotas as configurable policy (pure: no AWS, no WeChat).

The platforms change these numbers, so they are data, not code:
- OA subscription account: 1 mass send a day for the account;
- OA service account: each follower receives at most 4 mass messages a calendar month;
- WeCom: each customer receives at most 1 group message a day (current doc, path 92135; it was 4 a month);
- OA template messages: at most 100,000 a day for the account, raised by WeChat past 100k / 1M / 10M followers
  (the figure on the account's MP 开发者中心 page rules: set it in the account's push_quotas). "The current daily
  limit for template messages per account is 100 thousand, with no special limits for individual templates":
  https://developers.weixin.qq.com/doc/service/en/guide/product/template_message/Template_Message_Interface.html

Resolution order, later wins: DEFAULT_POLICY < env `SCRM_PUSH_QUOTA_POLICY` (JSON, same shape) <
the account's `options["push_quotas"]` (same shape). A key is "<platform>:<account_type|*>:<delivery>"
and maps to a list of rules `{"scope": "recipient"|"account", "limit": int, "period": "day"|"month",
"unit": "send"|"message"}`; an empty list means no quota. `unit` says what is counted: a send (one call to the
platform: a mass send, a group-message task; the default) or, for an account-wide rule, every message (a
template message is one call per person, so its cap counts people).

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
UNITS = ("send", "message")
ACCOUNT_RECIPIENT = "@account"  # the ledger "recipient" of an account-wide rule

DEFAULT_POLICY: dict[str, list[dict]] = {
    "oa:subscription:mass": [{"scope": "account", "limit": 1, "period": "day"}],
    "oa:service:mass": [{"scope": "recipient", "limit": 4, "period": "month"}],
    "oa:*:template": [{"scope": "account", "limit": 100_000, "period": "day", "unit": "message"}],
    "oa:*:custom": [],  # bounded by the follower's customer-service allowance instead (domain.service_window)
    "wecom:*:groupmsg": [{"scope": "recipient", "limit": 1, "period": "day"}],
    "wecom:*:moment": [{"scope": "recipient", "limit": 4, "period": "month"}],  # customer moments (朋友圈)
}


@dataclass(frozen=True)
class QuotaRule:
    scope: str
    limit: int
    period: str
    unit: str = "send"

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
        unit = raw.get("unit", "send")
        if unit not in UNITS or (unit == "message" and scope != "account"):
            raise ConfigError(f"{where}: unit must be one of {UNITS} ('message' for an account-wide rule), "
                              f"got {unit!r}")
        return cls(scope, limit, period, unit)

    @property
    def per_message(self) -> bool:
        """An account-wide cap on messages (each person a template reaches), not on sends."""
        return self.unit == "message"

    def as_dict(self) -> dict:
        out = {"scope": self.scope, "limit": self.limit, "period": self.period}
        return {**out, "unit": self.unit} if self.per_message else out


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
    scope = f"{rule.scope}-messages" if rule.per_message else rule.scope  # a count of another thing: its own row
    return f"{account_id}#{delivery}#{scope}#{period}#{who}"


def ledger_ttl(period: str, at: float) -> int:
    """Rows may be dropped once their period has passed (plus slack for late reruns)."""
    return int(at) + (3 if period == "day" else 40) * 86400
