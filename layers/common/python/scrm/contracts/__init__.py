"""Typed requests and responses (pydantic v2): the single source of what the API accepts and answers.

A request body is validated by `parse(Model, body)`, which reports *every* error with its field path
(`ValidationError.details`), never only the first. The OpenAPI document is generated from these models and the
route table, so what is validated and what is documented cannot drift.

Request models, one module per capability (`fields` holds the strict bases, common types and `refuse`, which a
model validator uses to report cross-field rules at their own paths):
- `campaigns`: CampaignBody (POST, PUT /campaigns; its parts PrizeInput, Eligibility, Limits, Share,
  ShareThreshold, Reward, Lottery, Notify), CodeUpload, LinkRequest, Redemption; user API: DrawRequest,
  ShareRequest, OAuthExchange.
- `pushes`: PushBody (POST /pushes; its parts PushContent, PushAudience, Recurrence), SegmentBody.
- `channels`: ChannelBody (POST /channels, and the stored definition with a PATCH over it), ChannelPatch (PATCH
  /channels/{id}: `fields.partial` of ChannelBody, checked at the edge); ChannelBody's parts
  Welcome, WelcomeLink, StaffMember, WorkingHours).
- `replies`: ReplyRuleBody (POST, PUT /reply-rules; regex keywords compiled in RE2 within budgets),
  ReplyContent (with Article), WelcomeSettings (PUT /accounts/{id}/welcome).
- `accounts`: AccountRegistration (POST /accounts), AccountUpdate (PATCH /accounts/{id}), AccountOptions
  (generated from the one table `OPTIONS` of options and bounds), QuotaRule.
- `keys`: KeyRequest (POST /accounts/{id}/keys).
- `contact_books`: ContactBookMembers (PUT /contact-books/{book_id}).
- `privacy`: PersonIdentifier (POST /accounts/{id}/privacy/export and /erase).

PATCH bodies are partial models (`fields.partial`: every field optional with the full model's rules, unknown
fields refused); the full model's cross-field rules are checked on the merged object by the use case.
Request models whose hand-written validator ignored unknown fields (campaigns, pushes, replies) are
`fields.Document`s (unknown fields ignored); the others are `fields.StrictBody`s (unknown fields refused).
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict
from pydantic import ValidationError as PydanticError

from ..errors import ValidationError

M = TypeVar("M", bound=BaseModel)


class Body(BaseModel):
    """Base of request bodies: unknown fields are refused (a typo must not be silently ignored)."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=False)


class Answer(BaseModel):
    """Base of response bodies (documentation and tests; the API answers plain JSON)."""

    model_config = ConfigDict(extra="allow")


def field_path(loc: tuple) -> str:
    """pydantic's location as the API names fields: `prizes[2].stock`."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "body"


def _at(prefix: str, loc: tuple) -> str:
    """`loc` below `prefix` (where the document sits): `prizes[3]` + ("stock",) is `prizes[3].stock`."""
    if not prefix:
        return field_path(loc)
    if not loc:
        return prefix
    return prefix + ("" if isinstance(loc[0], int) else ".") + field_path(loc)


def parse(model: type[M], body: Any, *, at: str = "", context: dict | None = None) -> M:
    """`body` as a `model`, or ValidationError naming every field that is wrong.

    `at` is where `body` sits in a larger document (`prizes[2]`, `content`): it prefixes every path.
    `context` reaches the model's validators (`ValidationInfo.context`), e.g. the account's platform."""
    if not isinstance(body, dict):
        raise ValidationError(f"{at or 'the body'} must be a JSON object", field=at or "body")
    try:
        return model.model_validate(body, context=context)
    except PydanticError as e:
        details = [{"field": _at(at, err["loc"]), "message": err["msg"]} for err in e.errors()]
        first = details[0]
        raise ValidationError(f"{first['field']}: {first['message']}", field=first["field"],
                              details={"errors": details}) from None
