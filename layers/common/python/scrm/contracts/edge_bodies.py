"""Request bodies of the admin API the capability modules (`campaigns`, `pushes`, `channels`) do not model yet:
accounts, keys, contact books, privacy requests, reassignment. They are the
bodies' documented contract (the OpenAPI document is generated from them); the routes still check their bodies
with `ctx.field` / the services' validators, which these mirror. When a capability module models one of these
bodies, the route names that class and the one here goes.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, RootModel

from ..domain import account_options
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


class AccountOptions(RootModel[dict[str, Any]]):
    """Per-account options; every one bounded, unknown ones refused (400 naming options.<name>). Sharing a contact
    book is not an option: PUT /contact-books/{book_id} (platform)."""

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema, handler) -> dict:
        # the schema the options are checked against (domain/account_options.py), not a second copy of it
        return {**account_options.openapi_schema(), "description": " ".join(cls.__doc__.split())}


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
