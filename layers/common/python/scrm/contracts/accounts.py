"""Account requests: registration (platform key), update (PATCH), and the per-account options.

The options are one table (`OPTIONS`: every option the code reads, with its bounds); the `AccountOptions` model
is generated from it, so a bound is written once. An option out of bounds is refused naming it
(`options.push_rate_per_second`), an option nobody reads is refused too (a typo must not look accepted), and
sharing a contact book is not an option (PUT /contact-books/{book_id}, platform). Readers of the options:
scrm.services.pushes (push_mass_mode, push_quotas, push_batch_size, custom_window_seconds,
push_rate_per_second), scrm.services.attribution (fetch_unionid), scrm.services.console_sessions
(console_login_agentid). `agent_secrets` (WeCom: the self-built apps' Secrets by AgentId) are secrets, not options:
SSM through scrm.accounts, answered masked.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, create_model, model_validator

from .. import accounts
from ..domain import pushes as push_rules
from ..domain import quotas, service_window
from .fields import StrictBody, bad, nonblank, refuse

MAX_JSON_BYTES = 8192
ACCOUNT_TYPES = ("service", "subscription")
MESSAGE_MODES = accounts.MESSAGE_MODES
QUOTA_PLATFORMS = {"oa": ("service", "subscription", "*"), "wecom": ("*",)}
QUOTA_DELIVERIES = {"oa": push_rules.OA_DELIVERIES, "wecom": ("groupmsg", "moment")}
QUOTA_RULES_MAX = 4  # e.g. a daily and a monthly rule, per recipient and per account
QUOTA_LIMIT_MAX = 10_000
MESSAGE_LIMIT_MAX = 100_000_000  # a template cap grows with followers (100k, more past 100k/1M/10M followers)
TOKEN_PATTERN = r"^[A-Za-z0-9]{3,32}$"
AES_KEY_PATTERN = r"^[A-Za-z0-9]{43}$"


class QuotaRule(StrictBody):
    scope: Literal[quotas.SCOPES] = Field(description="per recipient or for the whole account")
    limit: Annotated[int, Field(ge=0, le=MESSAGE_LIMIT_MAX)] = Field(
        description=f"sends allowed per period (at most {QUOTA_LIMIT_MAX}; an account's messages: at most "
                    f"{MESSAGE_LIMIT_MAX})")
    period: Literal[quotas.PERIODS] = Field(description="a China day or calendar month")
    unit: Literal[quotas.UNITS] = Field("send", description="what one counts: a send (a call to the platform, "
                                                            "default) or, for the account, every message")

    @model_validator(mode="before")
    @classmethod
    def _its_fields(cls, value):
        if not isinstance(value, dict) or not {"scope", "limit", "period"} <= set(value) <= {
                "scope", "limit", "period", "unit"}:
            raise bad("must be an object with scope, limit and period (and optionally unit)")
        return value

    @model_validator(mode="after")
    def _unit_fits(self):
        if self.unit == "message" and self.scope != "account":
            raise bad("unit 'message' counts an account's messages: scope must be 'account'")
        if self.unit == "send" and self.limit > QUOTA_LIMIT_MAX:
            raise bad(f"limit: at most {QUOTA_LIMIT_MAX} sends a period")
        return self


@dataclass(frozen=True)
class Flag:
    description: str

    def annotation(self):
        return bool

    def schema(self) -> dict:
        return {"type": "boolean", "description": self.description}


@dataclass(frozen=True)
class Choice:
    values: tuple[str, ...]
    description: str

    def annotation(self):
        return Literal[self.values]

    def schema(self) -> dict:
        return {"type": "string", "enum": list(self.values), "description": self.description}


@dataclass(frozen=True)
class Number:
    minimum: float
    maximum: float
    description: str
    integer: bool = False

    def annotation(self):
        return Annotated[int if self.integer else float,
                         Field(ge=self.minimum, le=self.maximum, allow_inf_nan=False)]

    def schema(self) -> dict:
        return {"type": "integer" if self.integer else "number", "minimum": self.minimum, "maximum": self.maximum,
                "description": self.description}


@dataclass(frozen=True)
class QuotaPolicy:
    """`{"<platform>:<account_type|*>:<delivery>": [{"scope", "limit", "period", "unit"?}, ...]}`
    (scrm.domain.quotas)."""

    description: str

    def annotation(self):
        return dict[str, Annotated[list[QuotaRule], Field(max_length=QUOTA_RULES_MAX)]]

    def schema(self) -> dict:
        rule = {"type": "object", "additionalProperties": False, "required": ["scope", "limit", "period"],
                "properties": {"scope": {"type": "string", "enum": list(quotas.SCOPES)},
                               "limit": {"type": "integer", "minimum": 0, "maximum": MESSAGE_LIMIT_MAX},
                               "period": {"type": "string", "enum": list(quotas.PERIODS)},
                               "unit": {"type": "string", "enum": list(quotas.UNITS), "default": "send"}}}
        return {"type": "object", "description": self.description,
                "additionalProperties": {"type": "array", "maxItems": QUOTA_RULES_MAX, "items": rule}}


OPTIONS = {
    "fetch_unionid": Flag("ask WeChat for each new contact's unionid (joins a follower and a customer)"),
    "push_mass_mode": Choice(("openids", "tag"), "OA mass sends by openid list (per-recipient quotas) or by tag"),
    "push_quotas": QuotaPolicy("quota policy overrides, same shape as SCRM_PUSH_QUOTA_POLICY"),
    "push_batch_size": Number(2 * push_rules.MASS_MIN - 1, push_rules.MASS_MAX,
                              "recipients per batch (each delivery's own maximum still applies)", integer=True),
    "custom_window_seconds": Number(60, service_window.MESSAGE_WINDOW_SECONDS,
                                    "shortens the 48 hours in which a follower's message lets us send them up to 5 "
                                    "customer-service messages (a click, follow or scan: 3 within a minute)",
                                    integer=True),
    "push_rate_per_second": Number(1, 500, "per-user sends (template, customer-service) per second"),
    "console_login_agentid": Number(1, 2 ** 31 - 1, "WeCom only: the AgentID of the self-built app whose web login "
                                    "(企业微信扫码登录) staff use to sign in to the console", integer=True),
}


def _quota_key_problems(policy: dict | None) -> list:
    problems = []
    for key in policy or {}:
        platform, _, rest = str(key).partition(":")
        account_type, _, delivery = rest.partition(":")
        if (platform not in QUOTA_PLATFORMS or account_type not in QUOTA_PLATFORMS[platform]
                or delivery not in QUOTA_DELIVERIES[platform]):
            problems.append((("push_quotas", key), "keys are <platform>:<account type or *>:<delivery>, e.g. "
                                                   "oa:service:mass, oa:*:template, wecom:*:groupmsg"))
    return problems


class _Options(StrictBody):
    # extras are let through to be refused below, by name and with a reason (the schema still says "none")
    model_config = ConfigDict(extra="allow", frozen=True, strict=True,
                              json_schema_extra={"additionalProperties": False})

    @model_validator(mode="after")
    def _known_and_small(self):
        problems = []
        for name in self.model_extra or {}:
            if name == "contact_book":
                problems.append((name, "sharing a contact book is decided by a platform admin "
                                       "(PUT /contact-books/{book_id}), not an account option"))
            else:
                problems.append((str(name)[:64], f"is not an option; known: {', '.join(sorted(OPTIONS))}"))
        problems += _quota_key_problems(getattr(self, "push_quotas", None))
        if not problems and len(json.dumps(self.model_dump(exclude_none=True))) > MAX_JSON_BYTES:
            problems.append(((), f"must be at most {MAX_JSON_BYTES} bytes of JSON"))
        refuse(problems, "AccountOptions")
        return self


AccountOptions = create_model(
    "AccountOptions", __base__=_Options,
    __doc__="Per-account options; every one bounded, unknown ones refused (400 naming options.<name>). Sharing a "
            "contact book is not an option: PUT /contact-books/{book_id} (platform).",
    **{name: (spec.annotation(), Field(None, description=spec.description)) for name, spec in OPTIONS.items()})

AccountId = Annotated[str, Field(pattern=accounts.ACCOUNT_ID.pattern, description="2-63 lowercase letters, "
                                 "digits or dashes; fixed", examples=["acme-oa"])]
Token = Annotated[str, Field(pattern=TOKEN_PATTERN, description="the callback Token (3-32 letters and digits; "
                             "generated when absent)")]
AgentIdKey = Annotated[str, Field(pattern=r"^[1-9][0-9]{0,9}$", description="the app's AgentId")]
AgentSecret = Annotated[str, Field(min_length=1, max_length=256)]
AgentSecrets = Annotated[dict[AgentIdKey, AgentSecret], Field(min_length=1, max_length=accounts.MAX_AGENT_SECRETS)]
AesKey = Annotated[str, Field(pattern=AES_KEY_PATTERN, description="the EncodingAESKey (43 letters and digits; "
                              "generated when absent)")]


class AccountChanges(StrictBody):
    """PATCH /accounts/{account_id}: the fields to change (at least one)."""

    name: Annotated[str, Field(min_length=1, max_length=100)] | None = Field(None, description="display name")
    app_secret: Annotated[str, Field(min_length=1, max_length=256)] | None = Field(
        None, description="AppSecret (OA) or the customer-contact Secret (WeCom); kept in SSM, shown masked")
    token: Token | None = None
    aes_key: AesKey | None = None
    original_id: Annotated[str, Field(max_length=64)] | None = Field(
        None, description="OA only: the gh_... id (ToUserName of its callbacks)", examples=["gh_0123456789ab"])
    account_type: Literal[ACCOUNT_TYPES] | None = Field(None, description="OA only: service or subscription")
    console_login_secret: Annotated[str, Field(min_length=1, max_length=256)] | None = Field(
        None, description="WeCom only: the Secret of the self-built app staff sign in to the console with (its "
                          "AgentID is options.console_login_agentid); kept in SSM, never shown")
    agent_secrets: AgentSecrets | None = Field(
        None, description="WeCom only: the Secrets of the corp's self-built apps (自建应用) by AgentId, e.g. "
                          '{"1000002": "..."}: the app that sends loss alerts (loss-alerts settings agentid) and '
                          "reassignment notices (policy notify_agentid) sends with its own token, fetched with "
                          "its Secret (WeCom refuses the customer-contact token: 301002). Merged into those set "
                          'before; kept in SSM, answered only as "****"')
    options: AccountOptions | None = None
    message_mode: Literal[MESSAGE_MODES] | None = Field(
        None, description="callback encryption: plaintext, compatible or safe (WeCom: safe only)")


def _agent_id_problems(agent_secrets: dict | None) -> list:
    return [(("agent_secrets", k), f"an AgentId is at most {2 ** 31 - 1}") for k in agent_secrets or {}
            if int(k) > 2 ** 31 - 1]


class AccountUpdate(AccountChanges):
    @model_validator(mode="after")
    def _something(self):
        given = any(getattr(self, name) is not None for name in type(self).model_fields)
        refuse(([] if given else [((), "nothing to change: send at least one field")])
               + _agent_id_problems(self.agent_secrets), "AccountUpdate")
        return self


class AccountRegistration(AccountChanges):
    """POST /accounts (platform key): an Official Account (oa) or a WeCom corp (wecom)."""

    account_id: AccountId
    kind: Literal[accounts.KINDS] = Field(description="oa or wecom; fixed")
    app_id: nonblank(64, "the OA AppID or the WeCom CorpID", examples=["wx0123456789abcdef"])
    name: Annotated[str, Field(min_length=1, max_length=100)] = Field(description="display name")
    app_secret: Annotated[str, Field(min_length=1, max_length=256)] = Field(
        description="AppSecret (OA) or the customer-contact Secret (WeCom); kept in SSM, shown masked")

    @model_validator(mode="after")
    def _by_kind(self):
        if self.kind == "wecom":
            problems = [(f, "applies to Official Accounts only") for f in ("original_id", "account_type")
                        if getattr(self, f)]
        else:
            problems = [] if self.original_id else [
                ("original_id", "is required (the OA's gh_... id, ToUserName of its callbacks)")]
            if self.console_login_secret:
                problems.append(("console_login_secret", "applies to WeCom corps only"))
            if self.agent_secrets:
                problems.append(("agent_secrets", "apply to WeCom corps only"))
        refuse(problems + _agent_id_problems(self.agent_secrets), "AccountRegistration")
        return self
