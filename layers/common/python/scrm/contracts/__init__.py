"""Typed requests and responses (pydantic v2): the single source of what the API accepts and answers.

A request body is validated by `parse(Model, body)`, which reports *every* error with its field path
(`ValidationError.details`), never only the first. The OpenAPI document is generated from these models and the
route table, so what is validated and what is documented cannot drift.
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


def parse(model: type[M], body: Any) -> M:
    """`body` as a `model`, or ValidationError naming every field that is wrong."""
    if not isinstance(body, dict):
        raise ValidationError("the body must be a JSON object", field="body")
    try:
        return model.model_validate(body)
    except PydanticError as e:
        details = [{"field": field_path(err["loc"]), "message": err["msg"]} for err in e.errors()]
        first = details[0]
        raise ValidationError(f"{first['field']}: {first['message']}", field=first["field"],
                              details={"errors": details}) from None
