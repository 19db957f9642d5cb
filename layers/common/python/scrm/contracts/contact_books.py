"""Contact-book requests: PUT /contact-books/{book_id} (platform key) sets a shared book's members."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from .. import accounts
from .fields import StrictBody

MAX_MEMBERS = 32  # scrm.data.contacts.MAX_MEMBERS: the membership change is one transaction (<= 100 items)


class ContactBookMembers(StrictBody):
    """Accounts in one shared book see one another's contacts (joined by unionid); an account belongs to at most
    one shared book."""

    members: Annotated[list[Annotated[str, Field(pattern=accounts.ACCOUNT_ID.pattern)]],
                       Field(min_length=1, max_length=MAX_MEMBERS)] = Field(
        description=f"1..{MAX_MEMBERS} account ids", examples=[["acme-oa", "acme-wecom"]])
