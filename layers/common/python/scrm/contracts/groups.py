"""Customer groups' request bodies and answers beyond the reads (functions/groups_api.py): group welcome templates
(入群欢迎语素材), a group code's pool, the VIP flag of a group.

A template is WeCom's own shape (https://developer.work.weixin.qq.com/document/path/92366): `text.content` (at
most 3000 bytes, %NICKNAME% placeholders) and at most one attachment of `image` {media_id | pic_url}, `link`
{title ≤ 128 bytes, picurl, desc ≤ 512 bytes, url}, `miniprogram` {title ≤ 64 bytes, pic_media_id, appid, page};
"text、image、link、miniprogram、file、video不能全部为空". Our own `name` labels it in listings (WeCom keeps none).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from .answers import Answer
from .fields import HttpUrl, Instant, StrictBody, nonblank, refuse

MAX_TEXT_BYTES = 3000
MAX_LINK_TITLE_BYTES, MAX_LINK_DESC_BYTES = 128, 512
MAX_MINIPROGRAM_TITLE_BYTES = 64
ATTACHMENTS = ("image", "link", "miniprogram")
ChatId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")]


def _over(value: str | None, limit: int) -> bool:
    return value is not None and len(value.encode("utf-8")) > limit


class TemplateText(StrictBody):
    content: nonblank(MAX_TEXT_BYTES, f"at most {MAX_TEXT_BYTES} bytes (UTF-8); %NICKNAME% becomes the customer's "
                                      "nickname")


class TemplateImage(StrictBody):
    media_id: nonblank(256, "a media_id from media/upload (temporary material)") | None = None
    pic_url: Annotated[HttpUrl, Field(max_length=2048)] | None = None
    """a picture URL from media/uploadimg"""

    @model_validator(mode="after")
    def _one(self):
        refuse([] if self.media_id or self.pic_url else [((), "needs media_id or pic_url")], "TemplateImage")
        return self


class TemplateLink(StrictBody):
    title: nonblank(MAX_LINK_TITLE_BYTES, f"at most {MAX_LINK_TITLE_BYTES} bytes (UTF-8)")
    url: Annotated[HttpUrl, Field(min_length=1, max_length=2048)]
    picurl: Annotated[HttpUrl, Field(max_length=2048)] | None = None
    desc: Annotated[str, Field(max_length=MAX_LINK_DESC_BYTES)] | None = None

    @model_validator(mode="after")
    def _bytes(self):
        problems = [("title", f"must be at most {MAX_LINK_TITLE_BYTES} bytes")] if _over(
            self.title, MAX_LINK_TITLE_BYTES) else []
        if _over(self.desc, MAX_LINK_DESC_BYTES):
            problems.append(("desc", f"must be at most {MAX_LINK_DESC_BYTES} bytes"))
        refuse(problems, "TemplateLink")
        return self


class TemplateMiniprogram(StrictBody):
    title: nonblank(MAX_MINIPROGRAM_TITLE_BYTES, f"at most {MAX_MINIPROGRAM_TITLE_BYTES} bytes (UTF-8)")
    pic_media_id: nonblank(256, "the cover's media_id (520*416 advised)")
    appid: Annotated[str, Field(pattern=r"^wx[0-9A-Za-z]{14,18}$")]
    """a mini program linked to the corp"""
    page: nonblank(1024, "the mini program page path")

    @model_validator(mode="after")
    def _bytes(self):
        refuse([("title", f"must be at most {MAX_MINIPROGRAM_TITLE_BYTES} bytes")] if _over(
            self.title, MAX_MINIPROGRAM_TITLE_BYTES) else [], "TemplateMiniprogram")
        return self


class GroupWelcomeTemplateBody(StrictBody):
    """POST/PUT /accounts/{account_id}/group-welcome-templates[/{template_id}]: the whole template (a PUT replaces
    it): text and/or one attachment."""

    name: nonblank(64, "our label for the template (WeCom keeps none)")
    text: TemplateText | None = None
    image: TemplateImage | None = None
    link: TemplateLink | None = None
    miniprogram: TemplateMiniprogram | None = None
    notify: bool = False
    """WeCom tells the staff members to apply the template to their groups (add only; WeCom's default is yes)"""

    @model_validator(mode="after")
    def _something(self):
        given = [a for a in ATTACHMENTS if getattr(self, a) is not None]
        problems = []
        if self.text is None and not given:
            problems.append(((), "needs text or one of image, link, miniprogram"))
        if len(given) > 1:
            problems.append((given[1], f"one attachment only ({given[0]} is given)"))
        if self.text is not None and _over(self.text.content, MAX_TEXT_BYTES):
            problems.append((("text", "content"), f"must be at most {MAX_TEXT_BYTES} bytes"))
        refuse(problems, "GroupWelcomeTemplateBody")
        return self


class GroupWelcomeTemplate(Answer):
    template_id: str
    """WeCom's template_id (group_welcome_template/add's)"""
    name: str
    text: dict | None = None
    image: dict | None = None
    link: dict | None = None
    miniprogram: dict | None = None
    used_by: list[str]
    """the group codes (channel ids) it is attached to; a template in use cannot be deleted"""
    created_at: Instant | None = None
    updated_at: Instant | None = None


class GroupPoolChange(StrictBody):
    """PATCH /accounts/{account_id}/channels/{channel_id}/pool: groups added to (at the end) and removed from a
    group code's pool, and its cap. The code (update_join_way) changes only when the groups it shows change."""

    add: Annotated[list[ChatId], Field(max_length=100)] = []
    """chat ids of live customer groups of the corp, not in this or another code's pool"""
    remove: Annotated[list[ChatId], Field(max_length=100)] = []
    """chat ids now in the pool"""
    group_cap: Annotated[int, Field(ge=1, le=200)] | None = None
    """members per group before the code moves on"""

    @model_validator(mode="after")
    def _something(self):
        problems = [] if self.add or self.remove or self.group_cap is not None else [
            ((), "needs add, remove or group_cap")]
        for field in ("add", "remove"):
            if len(set(getattr(self, field))) != len(getattr(self, field)):
                problems.append((field, "a chat id is listed twice"))
        both = sorted(set(self.add) & set(self.remove))
        if both:
            problems.append(("remove", f"{both[0]} is also in add"))
        refuse(problems, "GroupPoolChange")
        return self


class GroupVip(StrictBody):
    """PUT /accounts/{account_id}/groups/{chat_id}/vip: a customer leaving a VIP group is a loss alert."""

    vip: bool


class GroupVipAnswer(Answer):
    chat_id: str
    vip: bool


class GroupTagBody(StrictBody):
    """POST /accounts/{account_id}/group-tags: a customer group tag (客户群标签) of the company's catalogue."""

    name: nonblank(30, "the tag's name, unique among the account's live group tags", examples=["高活跃"])


class GroupTag(Answer):
    tag_id: str
    name: str
    deleted: bool = False
    """deleted from the catalogue: groups and pushes that refer to it show it so, audiences skip it"""
    created_at: Instant | None = None


class GroupTags(Answer):
    items: list[GroupTag]


class GroupTagsChange(StrictBody):
    """PUT /accounts/{account_id}/groups/{chat_id}/tags: the group's tags, all of them (an empty list clears)."""

    tag_ids: Annotated[list[nonblank(64, "a group tag id")], Field(max_length=100)]


class GroupTagsAnswer(Answer):
    chat_id: str
    tags: list[GroupTag]


class GroupWelcomeTemplates(Answer):
    items: list[GroupWelcomeTemplate]
    """every template of the account (WeCom keeps at most 100 a corp)"""


class GroupWelcomeTemplateDeleted(Answer):
    deleted: bool
    template_id: str
