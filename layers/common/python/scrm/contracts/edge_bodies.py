"""Request bodies of the admin API the capability modules do not model yet: reassignment's policy and plan
requests. They are the
bodies' documented contract (the OpenAPI document is generated from them); the routes still check their bodies
with `ctx.field` / the services' validators, which these mirror. When a capability module models one of these
bodies, the route names that class and the one here goes.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field

from . import Body as _Body


class Body(_Body):
    """Base of the bodies here: a field's docstring is its description in the document."""

    model_config = ConfigDict(use_attribute_docstrings=True)


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
