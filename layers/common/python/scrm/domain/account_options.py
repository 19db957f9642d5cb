"""Per-account options: every option the code reads, with its bounds (pure: no AWS).

An account admin sets these (PATCH /accounts/{id} `options`); the shared functions act on them (the push
function sleeps `1 / push_rate_per_second` between sends, plans batches of `push_batch_size`), so a value out of
bounds is refused with the option named (`options.push_rate_per_second`), and an option nobody reads is refused
too (a typo must not look accepted). Sharing a contact book is not an option: it is a platform decision
(scrm.data.contacts, PUT /contact-books/{book_id}).

Readers: scrm.services.pushes (push_mass_mode, push_quotas, push_batch_size, custom_window_seconds,
push_rate_per_second), scrm.services.attribution (fetch_unionid).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

from ..errors import ValidationError
from . import pushes as push_rules
from . import quotas

MAX_JSON_BYTES = 8192


@dataclass(frozen=True)
class Flag:
    description: str

    def check(self, value, field: str):
        if not isinstance(value, bool):
            raise ValidationError(f"{field} must be true or false", field=field)
        return value

    def schema(self) -> dict:
        return {"type": "boolean", "description": self.description}


@dataclass(frozen=True)
class Choice:
    values: tuple[str, ...]
    description: str

    def check(self, value, field: str):
        if value not in self.values:
            raise ValidationError(f"{field} must be one of {', '.join(self.values)}", field=field)
        return value

    def schema(self) -> dict:
        return {"type": "string", "enum": list(self.values), "description": self.description}


@dataclass(frozen=True)
class Number:
    minimum: float
    maximum: float
    description: str
    integer: bool = False

    def check(self, value, field: str):
        kind = "an integer" if self.integer else "a number"
        if isinstance(value, bool) or not isinstance(value, int | float) or (
                self.integer and not isinstance(value, int)) or not math.isfinite(value):
            raise ValidationError(f"{field} must be {kind}", field=field)
        if not self.minimum <= value <= self.maximum:
            raise ValidationError(f"{field} must be {kind} from {_num(self.minimum)} to {_num(self.maximum)}",
                                  field=field)
        return value

    def schema(self) -> dict:
        return {"type": "integer" if self.integer else "number", "minimum": self.minimum, "maximum": self.maximum,
                "description": self.description}


def _num(x) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


QUOTA_PLATFORMS = {"oa": ("service", "subscription", "*"), "wecom": ("*",)}
QUOTA_DELIVERIES = {"oa": push_rules.OA_DELIVERIES, "wecom": ("groupmsg",)}
QUOTA_RULES_MAX = 4  # e.g. a daily and a monthly rule, per recipient and per account
QUOTA_LIMIT_MAX = 10_000


@dataclass(frozen=True)
class QuotaPolicy:
    """`{"<platform>:<account_type|*>:<delivery>": [{"scope", "limit", "period"}, ...]}` (scrm.domain.quotas)."""

    description: str

    def check(self, value, field: str):
        if not isinstance(value, dict):
            raise ValidationError(f"{field} must be an object", field=field)
        for key, rules in value.items():
            where = f"{field}.{key}"
            platform, _, rest = str(key).partition(":")
            account_type, _, delivery = rest.partition(":")
            if (platform not in QUOTA_PLATFORMS or account_type not in QUOTA_PLATFORMS[platform]
                    or delivery not in QUOTA_DELIVERIES[platform]):
                raise ValidationError(f"{where}: keys are <platform>:<account type or *>:<delivery>, e.g. "
                                      "oa:service:mass, oa:*:template, wecom:*:groupmsg", field=where)
            if not isinstance(rules, list) or len(rules) > QUOTA_RULES_MAX:
                raise ValidationError(f"{where} must be a list of at most {QUOTA_RULES_MAX} rules", field=where)
            for i, rule in enumerate(rules):
                at = f"{where}[{i}]"
                if not isinstance(rule, dict) or set(rule) != {"scope", "limit", "period"}:
                    raise ValidationError(f"{at} must be an object with scope, limit and period", field=at)
                Choice(quotas.SCOPES, "").check(rule["scope"], f"{at}.scope")
                Choice(quotas.PERIODS, "").check(rule["period"], f"{at}.period")
                Number(0, QUOTA_LIMIT_MAX, "", integer=True).check(rule["limit"], f"{at}.limit")
        return value

    def schema(self) -> dict:
        rule = {"type": "object", "additionalProperties": False, "required": ["scope", "limit", "period"],
                "properties": {"scope": {"type": "string", "enum": list(quotas.SCOPES)},
                               "limit": {"type": "integer", "minimum": 0, "maximum": QUOTA_LIMIT_MAX},
                               "period": {"type": "string", "enum": list(quotas.PERIODS)}}}
        return {"type": "object", "description": self.description,
                "additionalProperties": {"type": "array", "maxItems": QUOTA_RULES_MAX, "items": rule}}


OPTIONS = {
    "fetch_unionid": Flag("ask WeChat for each new contact's unionid (joins a follower and a customer)"),
    "push_mass_mode": Choice(("openids", "tag"), "OA mass sends by openid list (per-recipient quotas) or by tag"),
    "push_quotas": QuotaPolicy("quota policy overrides, same shape as SCRM_PUSH_QUOTA_POLICY"),
    "push_batch_size": Number(2 * push_rules.MASS_MIN - 1, push_rules.MASS_MAX,
                              "recipients per batch (each delivery's own maximum still applies)", integer=True),
    "custom_window_seconds": Number(60, push_rules.CUSTOM_WINDOW_SECONDS,
                                    "customer-service messages go only to people who interacted this recently "
                                    "(WeChat's window is 48 hours)", integer=True),
    "push_rate_per_second": Number(1, 500, "per-user sends (template, customer-service) per second"),
}


def check(options) -> dict:
    """The options if every one is known and within its bounds; else ValidationError naming `options.<name>`."""
    if not isinstance(options, dict):
        raise ValidationError("options must be an object", field="options")
    for name, value in options.items():
        field = f"options.{name}"
        if name == "contact_book":
            raise ValidationError(f"{field}: sharing a contact book is decided by a platform admin "
                                  "(PUT /contact-books/{book_id}), not an account option", field=field)
        spec = OPTIONS.get(name)
        if spec is None:
            raise ValidationError(f"{field} is not an option; known: {', '.join(sorted(OPTIONS))}",
                                  field=f"options.{str(name)[:64]}")
        spec.check(value, field)
    if len(json.dumps(options)) > MAX_JSON_BYTES:
        raise ValidationError(f"options must be at most {MAX_JSON_BYTES} bytes of JSON", field="options")
    return options


def openapi_schema() -> dict:
    """The options' schema as documented in functions/openapi.yaml (a test keeps the two equal)."""
    return {"type": "object", "additionalProperties": False,
            "properties": {name: spec.schema() for name, spec in OPTIONS.items()}}
