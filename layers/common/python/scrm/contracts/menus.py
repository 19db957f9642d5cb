"""Custom menus (自定义菜单) of an Official Account: a draft, a conditional menu and their answers.

We refuse what WeChat would refuse, first, naming the field (`button[1].sub_button[0].url`), so nothing reaches
menu/create that WeChat answers 40016..40027 / 65xxx. The limits are WeChat's, from the current pages:
- https://developers.weixin.qq.com/doc/service/api/custommenu/api_createcustommenu (创建自定义菜单): `button`
  1-3 top-level buttons, `sub_button` up to 5; `name` 不超过16个字节, 子菜单不超过60个字节 (we count UTF-8 bytes, the
  bytes of the JSON WeChat receives: a Chinese character is 3); `key` 不超过128字节 (click and the other event
  types); `url` 不超过1024字节 (view, miniprogram); miniprogram needs `appid` and `pagepath`; media_id needs
  `media_id`; article_id / article_view_limited need `article_id`; `type` and `sub_button` are exclusive.
- https://developers.weixin.qq.com/doc/service/api/custommenu/api_addconditionalmenu (创建个性化菜单): `matchrule`
  needs one non-empty field (65304). For privacy WeChat no longer filters on sex, region or language: a rule
  holding any of them is refused with 65320, so we refuse `sex`, `country`, `province`, `city` and `language`
  ourselves, saying why; `tag_id` (a user tag) and `client_platform_type` (1 iOS, 2 Android, 3 others) remain.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from . import Answer
from .fields import Instant, StrictBody, refuse

TOP_NAME_BYTES = 16
SUB_NAME_BYTES = 60
KEY_BYTES = 128
URL_BYTES = 1024
MAX_BUTTONS = 3
MAX_SUB_BUTTONS = 5
MAX_ID_BYTES = 128  # media_id, article_id, appid, pagepath: WeChat states no limit; ours keeps items small

KEY_TYPES = ("click", "scancode_push", "scancode_waitmsg", "pic_sysphoto", "pic_photo_or_album", "pic_weixin",
             "location_select")
TYPES = (*KEY_TYPES, "view", "miniprogram", "media_id", "article_id", "article_view_limited")
ButtonType = Literal["click", "view", "miniprogram", "scancode_push", "scancode_waitmsg", "pic_sysphoto",
                     "pic_photo_or_album", "pic_weixin", "location_select", "media_id", "article_id",
                     "article_view_limited"]
# The fields each type needs (and the only ones it keeps on the wire).
REQUIRED = {**{t: ("key",) for t in KEY_TYPES}, "view": ("url",), "miniprogram": ("url", "appid", "pagepath"),
            "media_id": ("media_id",), "article_id": ("article_id",), "article_view_limited": ("article_id",)}
PRIVATE_RULES = ("sex", "country", "province", "city", "language")
PLATFORMS = ("1", "2", "3")


def _bytes(value: str) -> int:
    return len(value.encode("utf-8"))


def _action_problems(button, name_limit: int) -> list:
    """Problems of one button's name and action (type + its required fields), as (field, message)."""
    problems = []
    if not button.name.strip():
        problems.append(("name", "must not be blank"))
    elif _bytes(button.name) > name_limit:
        problems.append(("name", f"at most {name_limit} bytes (UTF-8; a Chinese character is 3), "
                                 f"this is {_bytes(button.name)}"))
    if button.type is None:
        return problems
    for field in REQUIRED[button.type]:
        value = getattr(button, field)
        if not value or not value.strip():
            problems.append((field, f"{field} is required for type {button.type}"))
    limits = {"key": KEY_BYTES, "url": URL_BYTES, "media_id": MAX_ID_BYTES, "article_id": MAX_ID_BYTES,
              "appid": MAX_ID_BYTES, "pagepath": MAX_ID_BYTES}
    for field, limit in limits.items():
        value = getattr(button, field)
        if value and _bytes(value) > limit:
            problems.append((field, f"at most {limit} bytes, this is {_bytes(value)}"))
    if button.url and not button.url.startswith(("http://", "https://")):
        problems.append(("url", "must be an http(s) URL"))
    return problems


class _Action(StrictBody):
    name: str = Field(description=f"the title: top level at most {TOP_NAME_BYTES} bytes, a sub-button at most "
                                  f"{SUB_NAME_BYTES} (UTF-8 bytes)", examples=["会员中心"])
    type: ButtonType | None = Field(None, description="what a tap does (absent on a button with sub-buttons)")
    key: str | None = Field(None, description=f"the EventKey pushed to us (click and scancode/pic/location types), "
                                              f"at most {KEY_BYTES} bytes", examples=["V1001_SIGN_IN"])
    url: str | None = Field(None, description=f"http(s) page (view; miniprogram's fallback), at most {URL_BYTES} "
                                              "bytes")
    media_id: str | None = Field(None, description="a permanent material's media_id (type media_id)")
    appid: str | None = Field(None, description="the mini program's appid (type miniprogram)")
    pagepath: str | None = Field(None, description="the mini program page (type miniprogram)")
    article_id: str | None = Field(None, description="a published article (article_id, article_view_limited)")


class SubButton(_Action):
    """A second-level button: always has a type."""

    type: ButtonType = Field(description="what a tap does")

    @model_validator(mode="after")
    def _shape(self):
        refuse(_action_problems(self, SUB_NAME_BYTES), "SubButton")
        return self


class Button(_Action):
    """A top-level button: a type (and its fields), or 1-5 sub-buttons."""

    sub_button: Annotated[list[SubButton], Field(max_length=MAX_SUB_BUTTONS)] | None = Field(
        None, description=f"1-{MAX_SUB_BUTTONS} second-level buttons (then no type)")

    @model_validator(mode="after")
    def _shape(self):
        problems = _action_problems(self, TOP_NAME_BYTES)
        if self.sub_button and self.type is not None:
            problems.append(("type", "a button with sub_button has no type (WeChat: type and sub_button are "
                                     "exclusive)"))
        if not self.sub_button and self.type is None:
            problems.append(("type", "a button needs a type or 1-5 sub_button"))
        refuse(problems, "Button")
        return self


class MenuBody(StrictBody):
    """A menu draft: 1-3 buttons; `name` is our label for the draft (WeChat never sees it)."""

    name: str | None = Field(None, max_length=64, description="a label for the draft", examples=["双十一菜单"])
    button: Annotated[list[Button], Field(min_length=1, max_length=MAX_BUTTONS)] = Field(
        description=f"1-{MAX_BUTTONS} top-level buttons")


class MatchRule(StrictBody):
    """Who sees a conditional menu: at least one of tag_id, client_platform_type."""

    tag_id: str | None = Field(None, max_length=10, pattern=r"^[0-9]+$",
                               description="a user tag id (user tags: tags/get)", examples=["101"])
    client_platform_type: Literal["1", "2", "3"] | None = Field(
        None, description="1 iOS, 2 Android, 3 others")
    sex: str | None = Field(None, description="refused: WeChat no longer matches on sex (65320)")
    country: str | None = Field(None, description="refused: WeChat no longer matches on region (65320)")
    province: str | None = Field(None, description="refused: WeChat no longer matches on region (65320)")
    city: str | None = Field(None, description="refused: WeChat no longer matches on region (65320)")
    language: str | None = Field(None, description="refused: WeChat no longer matches on language (65320)")

    @model_validator(mode="after")
    def _shape(self):
        problems = [(f, "WeChat no longer matches menus on sex, region or language (errcode 65320, privacy); "
                        "use a user tag") for f in PRIVATE_RULES if getattr(self, f) not in (None, "")]
        if not problems and not (self.tag_id or self.client_platform_type):
            problems.append(((), "matchrule needs tag_id or client_platform_type (WeChat: 65304 match rule empty)"))
        refuse(problems, "MatchRule")
        return self


class ConditionalMenuBody(StrictBody):
    """A conditional (个性化) menu: its buttons and who sees it. WeChat cannot edit one: delete and add again."""

    name: str | None = Field(None, max_length=64, description="a label (WeChat never sees it)")
    button: Annotated[list[Button], Field(min_length=1, max_length=MAX_BUTTONS)] = Field(
        description=f"1-{MAX_BUTTONS} top-level buttons")
    matchrule: MatchRule


class TryMatchBody(StrictBody):
    user_id: str = Field(min_length=1, max_length=64, description="a follower's openid (or WeChat id)")


class PublishBody(StrictBody):
    draft_id: str = Field(min_length=1, max_length=40, description="the draft to publish")


# ---- answers


class MenuDraft(Answer):
    draft_id: str
    name: str | None = None
    button: list[dict]
    version: int
    created_at: Instant | None = None
    updated_at: Instant | None = None


class MenuVersion(Answer):
    version: int
    button: list[dict]
    digest: str
    published_at: Instant | None = None
    draft_id: str | None = None
    rollback_of: int | None = None


class PublishAnswer(Answer):
    version: int
    unchanged: bool
    """true when this menu was already the published one: nothing was sent to WeChat"""
    digest: str
    published_at: Instant | None = None


class CurrentMenu(Answer):
    published: dict | None
    """our current published version (null when none or deleted)"""
    wechat: dict
    """WeChat's get_current_selfmenu_info answer (is_menu_open, selfmenu_info)"""
    matches_published: bool
    """WeChat shows the buttons we published (false after a change in the mp console)"""


class ConditionalMenu(Answer):
    menuid: str
    name: str | None = None
    button: list[dict]
    matchrule: dict
    created_at: Instant | None = None


class DeletedAnswer(Answer):
    deleted: str


class TryMatchAnswer(Answer):
    button: list[dict]


class MenuEntryStats(Answer):
    entry_id: str
    kind: Literal["click", "view"]
    key: str | None = None
    url: str | None = None
    name: str | None = None
    """the button's name in the published menu (`会员/签到` for a sub-button); null when no longer in it"""
    in_current_menu: bool
    clicks: int
    user_days: int
    """the sum over days of each day's unique users"""
    days: list[dict]
    """[{day, clicks, unique_users}]"""


class MenuStats(Answer):
    account_id: str
    from_: Annotated[str, Field(alias="from")]
    to: str
    entries: list[MenuEntryStats]
    unused: list[dict]
    """entries of the current menu nobody used in the range ({entry_id, kind, key|url, name})"""
    shards: int
    items_read: int


from .queries import Query  # noqa: E402


class MenuStatsQuery(Query):
    from_: Annotated[str, Field(alias="from", json_schema_extra={"format": "date"})] = None
    """first China day (YYYY-MM-DD; default 29 days before `to`)"""
    to: Annotated[str, Field(json_schema_extra={"format": "date"})] = None
    """last China day (YYYY-MM-DD; default today); at most 92 days in all"""
