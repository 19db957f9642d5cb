"""Follower profiles of an Official Account: the answers of the sync, the breakdowns and one follower's profile
(functions/followers_api.py). WeChat's own field names (language, subscribe_scene, tagid_list, remark, unionid)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from .answers import Answer
from .fields import Instant


class Notes(Answer):
    """What WeChat no longer answers (since 2021-12-27: avatar and nickname; gender and region come back empty),
    in Chinese and English"""

    zh: str
    en: str


class SyncCalls(Answer):
    user_get: Annotated[int, Field(alias="user/get")]
    """user/get calls so far (10,000 openids a page)"""
    user_info_batchget: Annotated[int, Field(alias="user/info/batchget")]
    """user/info/batchget calls so far (100 followers a call)"""


class FollowerSync(Answer):
    account_id: str
    run: str | None = None
    """this sync's id"""
    phase: Literal["never", "list", "sweep", "done"]
    """list: walking user/get; sweep: marking who the walk did not see as unfollowed; done"""
    step: int | None = None
    listed: int | None = None
    """openids listed by user/get so far"""
    written: int | None = None
    """profiles written (new or changed) so far"""
    unfollowed: int | None = None
    """profiles marked unfollowed by the sweep"""
    wechat_total: int | None = None
    """WeChat's count of followers (user/get's total)"""
    calls: SyncCalls | None = None
    started_at: Instant | None = None
    finished_at: Instant | None = None


class LanguageCount(Answer):
    language: str
    count: int


class SceneCount(Answer):
    subscribe_scene: str
    """ADD_SCENE_SEARCH, ADD_SCENE_QR_CODE, ADD_SCENE_PROFILE_CARD, ... (WeChat's)"""
    count: int


class TagCount(Answer):
    tag_id: int
    name: str | None
    """the tag's name as of the last sync (tags/get); null for a tag deleted since"""
    count: int


class MonthCount(Answer):
    month: str
    """YYYY-MM, China time, of the latest follow"""
    count: int


class SyncRef(Answer):
    run: str | None = None
    phase: str | None = None


class FollowerBreakdown(Answer):
    account_id: str
    total: int
    """current followers (as far as synced and followed events tell)"""
    by_language: list[LanguageCount]
    by_subscribe_scene: list[SceneCount]
    by_tag: list[TagCount]
    by_subscribe_month: list[MonthCount]
    sync: SyncRef | None
    synced_at: Instant | None = None
    """when the last full sync finished"""
    notes: Notes


class FollowerProfile(Answer):
    account_id: str
    openid: str
    subscribe: bool
    """false: unfollowed since (the rest is as last seen)"""
    language: str | None = None
    subscribe_scene: str | None = None
    tagid_list: list[int]
    remark: str | None = None
    unionid: str | None = None
    """only when the OA is bound to an open platform account"""
    subscribed_at: Instant | None = None
    """the latest follow (WeChat's subscribe_time)"""
    seen_at: Instant | None = None
    """when this profile was last read from WeChat or changed by an event"""
    notes: Notes
