"""Admin key requests: POST /accounts/{account_id}/keys (the key is shown once, never stored)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from ..tenancy import ROLES
from .fields import StrictBody, number

MAX_EXPIRY_DAYS = 3650


class KeyRequest(StrictBody):
    """An admin API key for one account (a key cannot create a key of a higher role than its own)."""

    role: Literal[ROLES] = Field(description="read-only, operator or admin")
    name: Annotated[str, Field(max_length=100)] = Field("", description="what the key is for",
                                                        examples=["CRM sync"])
    expires_in_days: number(gt=0, le=MAX_EXPIRY_DAYS) | None = Field(
        None, description=f"the key stops working after this many days (> 0, at most {MAX_EXPIRY_DAYS}); "
                          "default never")
