"""Member lists and member-verified group codes: request bodies and answers (functions/members_api.py, the
verification page's user routes in functions/member_page.py). Rows are checked one by one by the use case
(scrm.domain.members), so a bad row is refused with its line while the good ones are applied."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from .answers import Answer
from .fields import Document, Instant, StrictBody


class MemberUpsert(StrictBody):
    """Members to add or change: each {member_id, phone, name?, level?} (checked row by row)."""

    members: Annotated[list[Any], Field(min_length=1, max_length=1000)] = Field(
        description="1..1000 rows: member_id (1..64 letters, digits, _ or -), phone (mainland mobile, +86 allowed), "
                    "name and level optional", examples=[[{"member_id": "VIP0001", "phone": "13800138000",
                                                           "name": "张三", "level": "金卡"}]])


class MemberImport(StrictBody):
    """A CSV file's text: UTF-8 with or without BOM, a header naming member_id, phone and optionally name, level."""

    csv: Annotated[str, Field(min_length=1, max_length=1_000_000)] = Field(
        description="at most 1000 data rows", examples=["member_id,phone,name,level\nVIP0001,13800138000,张三,金卡\n"])


class RejectedRow(Answer):
    line: int
    """the CSV line (the header is line 1) or the JSON row's position (from 1)"""
    member_id: str | None = None
    field: str | None = None
    message: str


class MemberImportResult(Answer):
    created: int
    updated: int
    unchanged: int
    """rows equal to the stored member (re-sending a file counts nothing twice)"""
    rejected: list[RejectedRow]
    rows: int | None = None
    """CSV: data rows read"""


class Member(Answer):
    member_id: str
    name: str | None = None
    level: str | None = None
    has_phone: bool
    """the phone is kept only as a keyed hash"""
    created_at: Instant | None = None
    updated_at: Instant | None = None


class MemberFigures(Answer):
    channel_id: str
    name: str | None = None
    verified: int
    """people who proved membership (once each)"""
    refused: int
    """verification tries refused (mismatch or malformed)"""
    joined: int
    """joins arriving through the code (change_external_chat)"""
    joined_verified: int
    """of those, matched to a verified person through the contact book (unionid)"""


class DataController(Answer):
    """Who collects the member id and phone: the company's WeCom account the group belongs to."""

    account_id: str
    name: str
    platform: str


class MemberCodePage(Answer):
    channel_id: str
    name: str | None = None
    members_only: bool
    controller: DataController
    privacy_notice: str
    """what is collected, by whom (the controller), why, and how it is kept: shown before the form"""


class MemberSignIn(Answer):
    token: str
    expires_at: Instant


class MemberVerifyRequest(Document):
    """What the customer typed on the verification page."""

    member_id: Annotated[str, Field(max_length=64)]
    phone: Annotated[str, Field(max_length=32)]
    consent: bool = Field(False, description="the person agreed to the privacy notice (MemberCodePage.privacy_notice); "
                                             "required true (400 consent_required otherwise)")


class MemberVerifyAnswer(Answer):
    verified: bool
    replayed: bool
    """verified before: the code again, no try spent"""
    channel_id: str
    name: str | None = None
    qr_image: str
    """the group code's QR as a data: URI (SVG wrapping WeCom's image)"""
    qr_code: str | None = None
    """WeCom's image URL of the join way"""
    member_id: str
