"""Request bodies of the admin API the capability modules (`campaigns`, `pushes`, `channels`) do not model yet:
accounts, keys, contact books, privacy requests, reassignment. They are the
bodies' documented contract (the OpenAPI document is generated from them); the routes still check their bodies
with `ctx.field` / the services' validators, which these mirror. When a capability module models one of these
bodies, the route names that class and the one here goes.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, RootModel
from typing_extensions import TypeAliasType

from . import Body as _Body


class Body(_Body):
    """Base of the bodies here: a field's docstring is its description in the document."""

    model_config = ConfigDict(use_attribute_docstrings=True)


class PersonIdentifier(Body):
    """
    exactly one of these
    """

    openid: Annotated[str | None, Field(max_length=128, min_length=1)] = None
    external_userid: Annotated[str | None, Field(max_length=128, min_length=1)] = None
    unionid: Annotated[str | None, Field(max_length=128, min_length=1)] = None


class ReassignmentPolicy(Body):
    strategy: Literal["round_robin", "least_loaded", "same_department", "tag"] | None = None
    pool: list[str] | None = None
    """
    takeover staff to choose from; empty = every active customer-contact member
    """
    departments: dict[str, list[Any]] | None = None
    staff_tags: dict[str, list[str]] | None = None
    tag: str | None = None
    max_offers: Annotated[int | None, Field(ge=1, le=10)] = None
    transfer_success_msg: Annotated[str | None, Field(max_length=200)] = None
    notify_agentid: int | None = None
    auto_on_departure: bool | None = None
    auto_sweep: bool | None = None


class ReassignmentRequest(Body):
    handover_userid: Annotated[str, Field(max_length=64)]
    mode: Literal["resigned", "onjob"] = "resigned"
    customers: list[str] | None = None
    """
    a subset of the staff member's customers (default all)
    """
    chats: list[str] | None = None
    """
    a subset of their group chats (default all)
    """
    include_chats: bool = True
    strategy: Literal["round_robin", "least_loaded", "same_department", "tag"] | None = None
    takeovers: list[str] | None = None


class PushQuotasAdditionalPropertyItem(Body):
    scope: Literal["recipient", "account"]
    limit: Annotated[int, Field(ge=0, le=10000)]
    period: Literal["day", "month"]


PushQuotasAdditionalProperty = TypeAliasType(
    "PushQuotasAdditionalProperty", Annotated[list[PushQuotasAdditionalPropertyItem], Field(max_length=4)]
)


class AccountOptions(Body):
    """
    Per-account options; every one bounded, unknown ones refused (400 naming options.<name>). Sharing a contact
    book is not an option: PUT /contact-books/{book_id} (platform).
    """

    fetch_unionid: bool | None = None
    """
    ask WeChat for each new contact's unionid (joins a follower and a customer)
    """
    push_mass_mode: Literal["openids", "tag"] | None = None
    """
    OA mass sends by openid list (per-recipient quotas) or by tag
    """
    push_quotas: dict[str, PushQuotasAdditionalProperty] | None = None
    """
    quota policy overrides, same shape as SCRM_PUSH_QUOTA_POLICY
    """
    push_batch_size: Annotated[int | None, Field(ge=3, le=10000)] = None
    """
    recipients per batch (each delivery's own maximum still applies)
    """
    custom_window_seconds: Annotated[int | None, Field(ge=60, le=172800)] = None
    """
    customer-service messages go only to people who interacted this recently (WeChat's window is 48 hours)
    """
    push_rate_per_second: Annotated[float | None, Field(ge=1.0, le=500.0)] = None
    """
    per-user sends (template, customer-service) per second
    """


class AccountSettings(Body):
    """What registering and updating an account both take."""

    token: Annotated[str | None, Field(pattern="^[A-Za-z0-9]{3,32}$")] = None
    aes_key: Annotated[str | None, Field(pattern="^[A-Za-z0-9]{43}$")] = None
    original_id: Annotated[str | None, Field(max_length=64)] = None
    account_type: Literal["service", "subscription"] | None = None
    options: AccountOptions | None = None
    message_mode: Literal["plaintext", "compatible", "safe"] | None = None


class AccountCreate(AccountSettings):
    account_id: Annotated[str, Field(pattern="^[a-z0-9][a-z0-9-]{1,62}$")]
    kind: Literal["oa", "wecom"]
    app_id: Annotated[str, Field(max_length=64, min_length=1)]
    name: Annotated[str, Field(max_length=100, min_length=1)]
    app_secret: Annotated[str, Field(max_length=256, min_length=1)]


class AccountUpdate(AccountSettings):
    name: Annotated[str | None, Field(max_length=100, min_length=1)] = None
    app_secret: Annotated[str | None, Field(max_length=256, min_length=1)] = None


class KeyCreate(Body):
    role: Literal["read-only", "operator", "admin"]
    name: Annotated[str | None, Field(max_length=100)] = None
    expires_in_days: Annotated[float | None, Field(gt=0.0, le=3650.0)] = None


class Member(RootModel[str]):
    root: Annotated[str, Field(pattern="^[a-z0-9][a-z0-9-]{1,62}$")]


class SetContactBookBody(Body):
    members: Annotated[list[Member], Field(max_length=32, min_length=1)]
