"""Corp tags (企业客户标签) of a WeCom corp: the bodies of POST /tags and PATCH /tags/{id} (/tag-groups/{id}), the
delete query, and the answers. Names and orders follow WeCom's add_corp_tag / edit_corp_tag
(https://developer.work.weixin.qq.com/document/path/92117): names at most 30 characters, order a 32-bit unsigned
integer (a larger order shows first)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field, model_validator

from . import Answer as _Answer
from .fields import Instant, StrictBody, nonblank, refuse
from .queries import Query

MAX_NAME = 30
MAX_TAGS_PER_CREATE = 100
Order = Annotated[int, Field(ge=0, lt=2**32, description="a larger order shows first (default 0)")]
TagName = nonblank(MAX_NAME, "the tag's name", examples=["金卡会员"])


class NewTag(StrictBody):
    name: TagName
    order: Order | None = None


class TagCreate(StrictBody):
    """Tags into a group: a new group (`group_name`; WeCom puts them into the group of that name if there is one),
    or an existing group (`group_id`)."""

    group_id: nonblank(64, "an existing group's id") | None = None
    group_name: nonblank(MAX_NAME, "a new group's name", examples=["会员等级"]) | None = None
    order: Order | None = Field(None, description="the new group's order (a larger order shows first)")
    tags: Annotated[list[NewTag], Field(min_length=1, max_length=MAX_TAGS_PER_CREATE)] = Field(
        description=f"1..{MAX_TAGS_PER_CREATE} tags (WeCom makes no empty groups)")

    @model_validator(mode="after")
    def _one_group(self):
        problems = []
        if bool(self.group_id) == bool(self.group_name):
            problems.append(("group_name", "give group_name (a new group) or group_id (an existing one), one of them"))
        if self.group_id and self.order is not None:
            problems.append(("order", "an existing group keeps its order: change it with PATCH /tag-groups/{id}"))
        seen: set[str] = set()
        for i, t in enumerate(self.tags):
            if t.name in seen:
                problems.append((("tags", i, "name"), f"{t.name!r} is given twice"))
            seen.add(t.name)
        refuse(problems, "TagCreate")
        return self


class TagChange(StrictBody):
    """PATCH a tag or a tag group: its name and/or its order."""

    name: TagName | None = None
    order: Order | None = None

    @model_validator(mode="after")
    def _something(self):
        if self.name is None and self.order is None:
            refuse([("name", "give name or order (or both)")], "TagChange")
        return self


class TagDeleteQuery(Query):
    force: Literal["true", "false", "1", "0"] = None
    """delete even while channels, pushes or segments refer to it (they then show it as deleted)"""


def _oa_name_problems(name: str | None) -> list:
    if name is not None and len(name.encode("utf-8")) > MAX_NAME:
        return [("name", f"WeChat takes at most {MAX_NAME} bytes of UTF-8 (a Chinese character is 3)")]
    return []


class OaTagBody(StrictBody):
    """POST /oa-tags: an Official Account's user tag (用户标签) by its name. WeChat takes names of at most 30
    characters and 30 bytes (45158), so a Chinese name is at most 10 characters."""

    name: TagName

    @model_validator(mode="after")
    def _bytes(self):
        refuse(_oa_name_problems(self.name), "OaTagBody")
        return self


class OaTagChange(StrictBody):
    """PATCH /oa-tags/{id}: the new name (a user tag has nothing else to change)."""

    name: TagName | None = None

    @model_validator(mode="after")
    def _named(self):
        refuse([("name", "give the new name")] if self.name is None else _oa_name_problems(self.name),
               "OaTagChange")
        return self


# ---- answers


class Answer(_Answer):
    model_config = ConfigDict(use_attribute_docstrings=True)




class Tag(Answer):
    tag_id: str
    name: str
    order: int
    group_id: str
    group_name: str
    group_order: int | None = None
    created_at: Instant | None = None


class GroupTag(Answer):
    tag_id: str
    name: str
    order: int
    created_at: Instant | None = None


class TagGroup(Answer):
    group_id: str
    name: str
    order: int
    created_at: Instant | None = None
    tags: list[GroupTag]


class OaTag(Answer):
    """An Official Account's user tag as WeChat last answered it."""

    tag_id: str
    """WeChat's id (a number, as text)"""
    name: str
    system: bool
    """one of WeChat's reserved tags (0, 1, 2: 星标组 …), which cannot be renamed or deleted"""


class TagRef(Answer):
    """A tag a channel or an audience refers to, with its name; `deleted` when the catalogue no longer holds it
    (it is then skipped: a channel no longer applies it, an audience no longer reaches by it)."""

    tag_id: str
    name: str | None = None
    group_name: str | None = None
    deleted: bool = False


class TagReference(Answer):
    kind: Literal["channel", "push", "segment", "segment_rule", "journey", "moment"]
    id: str
    name: str | None = None
    field: str
    tag_ids: list[str]


class TagDeleted(Answer):
    deleted: str
    tag_ids: list[str]
    """the tags removed (a group's: all of them)"""
    references: list[TagReference]
    """who referred to it (a forced delete): they show it as deleted"""


class TagSync(Answer):
    groups: int
    tags: int
    removed: int
    """tags no longer in WeCom, dropped from the catalogue"""
    synced_at: Instant
