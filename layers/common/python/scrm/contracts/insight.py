"""OA insight: the query parameters and answers of the statistics WeChat reports for an Official Account per day
(functions/insight_api.py). Figures carry WeChat's own field names (datacube)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from .answers import Answer
from .fields import Instant
from .queries import Query

Day = Annotated[str, Field(json_schema_extra={"format": "date"})]


class InsightQuery(Query):
    from_: Annotated[str, Field(alias="from", json_schema_extra={"format": "date"})] = None
    """first China day (YYYY-MM-DD; default 29 days before `to`)"""
    to: Annotated[str, Field(json_schema_extra={"format": "date"})] = None
    """last China day (YYYY-MM-DD; default today: WeChat's newest figures are yesterday's)"""


class SourceFigures(Answer):
    user_source: int
    """WeChat's user_source: 0 其他, 1 公众号搜索, 17 名片分享, 30 扫描二维码, 100 微信广告, ..."""
    new_user: int
    cancel_user: int


class ArticleFigures(Answer):
    msgid: str
    """WeChat's msgid: msg_data_id and the article's index, e.g. 2247490098_1"""
    read_user: int | None = None
    """阅读人数 that day (getarticleread)"""
    share_user: int | None = None
    """分享人数 that day (getarticleshare)"""


class MessageTypeFigures(Answer):
    msg_type: int
    """1 文字, 2 图片, 3 语音, 4 视频, 6 第三方应用消息"""
    msg_user: int
    msg_count: int


class InsightDay(Answer):
    day: Day
    new_user: int | None = None
    """新增的用户数 (getusersummary, all sources); null when the day is not pulled"""
    cancel_user: int | None = None
    """取消关注的用户数"""
    net_user: int | None = None
    """new_user - cancel_user"""
    cumulate_user: int | None = None
    """总用户量 at the end of the day (getusercumulate)"""
    by_source: list[SourceFigures] | None = None
    read_user: int | None = None
    """阅读人数 over every article that day"""
    share_user: int | None = None
    """分享人数 over every article that day"""
    articles: list[ArticleFigures] | None = None
    msg_count: int | None = None
    """messages followers sent the account (getupstreammsg)"""
    by_msg_type: list[MessageTypeFigures] | None = None
    callback_count: int | None = None
    """被动回复 callbacks (getinterfacesummary)"""
    fail_count: int | None = None
    total_time_cost: int | None = None
    """ms over all callbacks"""
    max_time_cost: int | None = None


class InsightRefusal(Answer):
    api: str
    errcode: int | None = None
    errmsg: str | None = None
    begin_date: str | None = None
    end_date: str | None = None
    at: Instant | None = None
    """when WeChat refused it; a refused API is asked again a week later"""


class InsightFigures(Answer):
    from_: Annotated[str, Field(alias="from")]
    to: str
    days: list[InsightDay]
    refusals: list[InsightRefusal]
