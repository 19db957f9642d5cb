"""Reassignment request bodies: the account's policy (how takeovers are chosen, what runs automatically)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, ValidationInfo, field_validator

from . import Body

StaffId = Annotated[str, Field(min_length=1)]


class ReassignmentPolicyBody(Body):
    """PUT /accounts/{account_id}/reassignment/policy. A field left out (or null) keeps its default."""

    strategy: Literal["round_robin", "least_loaded", "same_department", "tag"] | None = None
    pool: list[StaffId] | None = Field(None, description="takeover staff userids; empty = every customer-contact "
                                                         "member")
    departments: dict[str, list] | None = Field(None, description="userid -> department ids, for staff the API "
                                                                  "no longer shows")
    staff_tags: dict[str, list] | None = Field(None, description="userid -> tag names (strategy 'tag')")
    tag: str | None = Field(None, validate_default=True)
    max_offers: int | None = Field(None, ge=1, le=10, description="takeovers a customer is offered at most")
    transfer_success_msg: str | None = Field(None, max_length=200)
    notify_agentid: int | None = Field(None, description="the WeCom app that tells takeovers what they received")
    auto_on_departure: bool | None = None
    auto_sweep: bool | None = None

    @field_validator("tag")
    @classmethod
    def _tag_for_tag_strategy(cls, tag: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("strategy") == "tag" and not tag:
            raise ValueError("strategy 'tag' needs a tag")
        return tag

    def fields(self) -> dict:
        """The fields that were given (not null), as the domain's Policy takes them."""
        return self.model_dump(exclude_none=True)
