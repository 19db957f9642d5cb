"""Moment requests and answers: a customer moment (客户朋友圈), what add_moment_task takes
(https://developer.work.weixin.qq.com/document/path/95094): text of at most 2000 characters (4000 bytes) and/or
attachments of one kind: at most 9 images, or 1 video, or 1 link; published by the `senders` (staff userids) to
their customers carrying any of `tag_ids` (all their customers when none)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from .answers import Answer, Instant
from .fields import Document, HttpUrl, nonblank, refuse
from .tags import TagRef

TEXT_MAX_CHARS = 2000
TEXT_MAX_BYTES = 4000
IMAGES_MAX = 9
SENDERS_MAX = 10_000  # WeCom takes 100,000; a moment's figures are pulled per sender, so we bound it lower
TAGS_MAX = 100

MediaId = nonblank(256, "a media id from media/upload_attachment (attachment_type=1, 朋友圈)")


class MomentImage(Document):
    media_id: MediaId


class MomentVideo(Document):
    media_id: MediaId


class MomentLink(Document):
    title: Annotated[str, Field(min_length=1, max_length=64)] = Field(description="at most 64 bytes")
    url: HttpUrl
    media_id: MediaId | None = None


class MomentAttachment(Document):
    msgtype: Literal["image", "video", "link"]
    image: MomentImage | None = None
    video: MomentVideo | None = None
    link: MomentLink | None = None

    @model_validator(mode="after")
    def _payload(self):
        refuse([] if getattr(self, self.msgtype) is not None else [(self.msgtype, "is required for this msgtype")],
               "MomentAttachment")
        return self


class MomentBody(Document):
    """A moment to publish (scheduled at send_at); its visible range is the senders' customers with any of the
    tags. Created scheduled: preview it, cancel it before it runs."""

    name: Annotated[str, Field(max_length=128)] | None = Field(None, description="for the operator")
    text: Annotated[str, Field(max_length=TEXT_MAX_CHARS)] | None = Field(
        None, description=f"at most {TEXT_MAX_CHARS} characters ({TEXT_MAX_BYTES} bytes)")
    attachments: Annotated[list[MomentAttachment], Field(max_length=IMAGES_MAX)] | None = Field(
        None, description="one kind only: at most 9 images, or 1 video, or 1 link")
    senders: Annotated[list[nonblank(64, "a staff userid")], Field(min_length=1, max_length=SENDERS_MAX)] = Field(
        description="the staff members who publish it (sender_list.user_list)")
    tag_ids: Annotated[list[nonblank(64, "a corp customer tag id")], Field(max_length=TAGS_MAX)] | None = Field(
        None, description="customers with any of these corp tags see it (external_contact_list.tag_list); all the "
                          "senders' customers when empty")
    send_at: str = Field(description="ISO 8601; without an offset it is read in `timezone`; not in the past",
                         examples=["2027-01-01T09:00:00+08:00"])
    timezone: str | None = Field(None, description="IANA zone, default Asia/Shanghai", examples=["Asia/Shanghai"])

    @model_validator(mode="after")
    def _content(self):
        problems = []
        if not (self.text or "").strip() and not self.attachments:
            problems.append(("text", "text and attachments cannot both be empty"))
        if self.text and len(self.text.encode("utf-8")) > TEXT_MAX_BYTES:
            problems.append(("text", f"is longer than {TEXT_MAX_BYTES} bytes (invalid text size)"))
        kinds = {a.msgtype for a in self.attachments or []}
        if len(kinds) > 1:
            problems.append(("attachments", "one kind only: images, a video or a link (invalid attachments msgtype)"))
        elif kinds & {"video", "link"} and len(self.attachments) > 1:
            problems.append(("attachments", "at most 1 video or 1 link (invalid attachments size)"))
        if len(set(self.senders)) != len(self.senders):
            problems.append(("senders", "lists a userid twice"))
        refuse(problems, "MomentBody")
        return self


class MomentPreview(Answer):
    visible: int
    """customers in the visible range now (the senders' customers with any of the tags, each counted once)"""
    over_quota: int
    """of them, customers already at the monthly limit: WeCom will not show them this moment"""
    eligible: int
    limit: int
    """moments a customer may see in a month (policy: 4)"""
    period: str
    """the month counted, in the moment's time zone (m202612)"""
    api_calls: int | None = None
    """WeChat calls the preview made"""
    at: Instant | None = None


class MomentFigures(Answer):
    senders: int
    published: int
    not_published: int
    comments: int
    likes: int
    staff: list[dict[str, Any]] | None = None
    """per sender: userid, published, comments, likes"""
    at: Instant | None = None


class Moment(Answer):
    moment_id: str
    account_id: str
    name: str | None = None
    status: Literal["scheduled", "creating", "publishing", "completed", "failed", "cancelled"]
    """scheduled → creating (add_moment_task sent, its job not settled) → publishing (WeCom's moment exists; figures
    pulled until the follow window ends) → completed; failed (WeCom refused it), cancelled"""
    text: str | None = None
    attachments: list[dict[str, Any]] | None = None
    senders: list[str]
    tag_ids: list[str]
    tag_names: list[TagRef] | None = None
    """each of tag_ids with its name and group from the corp's tag catalogue; `deleted` once the tag is gone"""
    send_at: Instant
    timezone: str
    next_run_at: Instant | None = None
    jobid: str | None = None
    wecom_moment_id: str | None = None
    visible: int | None = None
    reserved: int | None = None
    """customers whose monthly count this moment took"""
    over_quota: int | None = None
    invalid: dict[str, Any] | None = None
    """senders and tags WeCom refused (invalid_sender_list, invalid_external_contact_list)"""
    unreached: int | None = None
    """customers only invalid senders serve: they will not see it, their monthly counts were given back"""
    figures: MomentFigures | None = None
    preview: MomentPreview | None = None
    recovered: bool | None = None
    """an earlier attempt's task was found on WeCom and kept (never created twice)"""
    reason: str | None = None
    last_error: str | None = None
    created_at: Instant | None = None
    created_by: str | None = None
