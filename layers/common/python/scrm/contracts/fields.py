"""Building blocks of the request models: strict bases, common field types, cross-field refusals.

Types are strict as the hand-written validators were: `true` is not an integer, `"3"` is not a number, `0` is
not a boolean. A rule that spans fields (ends_at after starts_at, stock for a physical prize) is a model
validator that calls `refuse(...)` with every problem it finds, each at its own path relative to the model, so
pydantic nests it under the model's place in the body (`prizes[1].stock`) and reports it with every other error.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    WrapValidator,
    create_model,
)
from pydantic_core import InitErrorDetails, PydanticCustomError
from pydantic_core import ValidationError as PydanticError

from ..domain.instants import PATTERN as INSTANT_PATTERN
from . import Body

# Every point in time an answer carries (scrm/domain/instants.py): ISO 8601 to the second with a numeric offset,
# +08:00 (China Standard Time), or the push's own timezone for a push's times.
Instant = Annotated[str, Field(pattern=INSTANT_PATTERN, json_schema_extra={"format": "date-time"},
                               examples=["2026-12-02T11:25:00+08:00"])]


class StrictBody(Body):
    """A request body (unknown fields refused) whose values must already have the documented JSON type."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Document(BaseModel):
    """A request body whose unknown fields are ignored, as its hand-written validator always did (a campaign's
    stored configuration is read back through the same model and carries bookkeeping fields). Strict types."""

    model_config = ConfigDict(extra="ignore", frozen=True, strict=True)


def partial(model: type[BaseModel], name: str, doc: str) -> type[StrictBody]:
    """A PATCH body of `model`: every field optional (absent or null: not changed here), each with the same type
    and rules as in `model`, unknown fields refused. The model's cross-field rules are not copied: they need the
    stored object the patch goes over, so the use case checks them on the merged result."""
    fields = {}
    for field_name, info in model.model_fields.items():
        kept = {k: v for k, v in (("description", info.description), ("examples", info.examples)) if v}
        typed = Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation
        fields[field_name] = (typed | None, Field(None, alias=info.alias, **kept))
    patch = create_model(name, __base__=StrictBody, __doc__=doc, __module__=model.__module__, **fields)
    return patch


Problem = tuple[tuple[str | int, ...] | str, str]


def bad(message: str) -> PydanticCustomError:
    """A refusal a field validator raises (its message shown as is, without pydantic's "Value error, ")."""
    return PydanticCustomError("rule", "{message}", {"message": message})


def refuse(problems: list[Problem], title: str = "body") -> None:
    """Raise every (path, message) of a model validator as one pydantic error; nothing when the list is empty.

    A path is relative to the model being validated: `("stock",)` or `"stock"`; `()` names the model itself."""
    if not problems:
        return
    details = [InitErrorDetails(type=bad(message),
                                loc=(loc,) if isinstance(loc, str) else tuple(loc), input=None)
               for loc, message in problems]
    raise PydanticError.from_exception_data(title, details)


def _not_blank(value: str) -> str:
    if not value.strip():
        raise bad("must not be blank")
    return value


def nonblank(max_length: int, description: str, **extra) -> type[str]:
    """A non-blank string of at most `max_length` characters."""
    return Annotated[str, Field(min_length=1, max_length=max_length, description=description, **extra),
                     AfterValidator(_not_blank)]


def _as_given(value, handler):
    checked = handler(value)
    return value if isinstance(value, int) and not isinstance(value, bool) else checked


def number(**bounds):
    """A finite JSON number within `bounds` (ge, gt, le), kept as given: an integer stays an integer (a stored
    weight of 1 reads back as 1). One type, not a union, so an error is named by the field alone."""
    return Annotated[float, Field(allow_inf_nan=False, **bounds), WrapValidator(_as_given)]


def _http_url(value: str) -> str:
    if not value.startswith(("http://", "https://")):
        raise bad("must be an http(s) URL")
    return value


HttpUrl = Annotated[str, AfterValidator(_http_url)]


LAST_INSTANT = 253402128000  # 9999-12-30T00:00:00Z: a day from the last date Python can hold, in any time zone


def epoch_seconds(value) -> int:
    """ISO-8601 with an offset, or epoch seconds, as whole epoch seconds (the shape campaigns store)."""
    if isinstance(value, bool):
        raise bad("must be an ISO-8601 time or epoch seconds")
    if isinstance(value, int | float):
        seconds = value
    elif not isinstance(value, str) or not value:
        raise bad("is required (ISO-8601 time or epoch seconds)")
    else:
        try:
            dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise bad(f"is not an ISO-8601 time: {value!r}") from None
        if dt.tzinfo is None:
            raise bad("must carry a timezone (e.g. Z or +08:00)")
        seconds = dt.timestamp()
    # NaN fails both comparisons; past LAST_INSTANT an answer in China time would be year 10000 (OverflowError)
    if not 0 <= seconds <= LAST_INSTANT:
        raise bad("must be between 1970-01-01 and 9999-12-30 (UTC)")
    return int(seconds)


def instant(description: str):
    """A point in time given as ISO-8601 with an offset (`2027-01-01T00:00:00+08:00`) or epoch seconds."""
    return Annotated[int, BeforeValidator(epoch_seconds), WithJsonSchema({
        "anyOf": [{"type": "string", "format": "date-time"}, {"type": "integer"}],
        "description": description, "examples": ["2027-01-01T00:00:00+08:00"]})]


def unique_in_order(values):
    return list(dict.fromkeys(values))

