"""Personal-data requests: export and erasure name the person in the body (never in the path or query, so the
identifier stays out of access logs)."""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, Field, model_validator

from .fields import StrictBody, refuse

Identifier = Annotated[str, Field(min_length=1, max_length=128)]
KINDS = ("openid", "external_userid", "unionid")


class PersonIdentifier(StrictBody):
    """Exactly one identifier of the person: their OA openid, WeCom external_userid, or unionid."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True,
                              json_schema_extra={"minProperties": 1, "maxProperties": 1})

    openid: Identifier | None = Field(None, description="an OA follower's openid")
    external_userid: Identifier | None = Field(None, description="a WeCom customer's external_userid")
    unionid: Identifier | None = Field(None, description="the person's unionid (every account of the platform)")

    @model_validator(mode="after")
    def _exactly_one(self):
        given = [k for k in KINDS if getattr(self, k) is not None]
        # named at the first kind, as the API always has (a form puts the message beside that field)
        refuse([] if len(given) == 1 else [("openid", f"give exactly one of {', '.join(KINDS)}")], "PersonIdentifier")
        return self
