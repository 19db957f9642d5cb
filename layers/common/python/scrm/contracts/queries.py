"""Query parameters of the API's routes, as models: the OpenAPI document's query parameters are generated from
them (functions/contract.py). The routes read the same names from `ctx.query` and check them there."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field


class Query(BaseModel):
    """Base of query models: a field's docstring is the parameter's description."""

    model_config = ConfigDict(use_attribute_docstrings=True, populate_by_name=True)


class AuditQuery(Query):
    action: Annotated[str, Field(max_length=100)] = None
    """only entries whose action starts with this (e.g. `key.`)"""
    key_id: Annotated[str, Field(max_length=100)] = None
    """only entries of this key"""


class DrawsQuery(Query):
    outcome: Literal["win", "thanks", "all"] = "win"


class BatchesQuery(Query):
    run: Annotated[int, Field(ge=1, le=100000)] = None
    """only the batches of this run of a recurring push (1, 2, ...)"""


class ChannelsQuery(Query):
    group: Annotated[str, Field(max_length=32)] = None
    kind: Literal["oa_qr", "wecom_contact_way", "wecom_group"] = None
    include_archived: Literal["true", "false", "1", "0"] = None


class QrQuery(Query):
    format: Literal["png", "svg"] = "png"
    scale: Annotated[int, Field(ge=1, le=40)] = 10
    """pixels per module (OA codes only)"""


class StatsQuery(Query):
    from_: Annotated[str, Field(alias="from", json_schema_extra={"format": "date"})] = None
    """first China day (YYYY-MM-DD; default 30 days ago)"""
    to: Annotated[str, Field(json_schema_extra={"format": "date"})] = None
    """last China day (YYYY-MM-DD; default today)"""
    channel_id: Annotated[str, Field(max_length=32)] = None
    group: Annotated[str, Field(max_length=32)] = None
    limit: Annotated[int, Field(ge=1, le=100)] = None
    """channels a page (default 20; each costs 16 shard queries)"""
    cursor: Annotated[str, Field(max_length=2000)] = None
    """the `next_cursor` of the previous page (opaque)"""


class ContactQuery(Query):
    openid: Annotated[str, Field(max_length=64)] = None
    external_userid: Annotated[str, Field(max_length=64)] = None
    unionid: Annotated[str, Field(max_length=64)] = None


class PlanItemsQuery(Query):
    status: Literal["waiting", "done", "refused", "limit_exceeded", "failed", "planned"] = None


class ReassignmentPlansQuery(Query):
    handover: Annotated[str, Field(min_length=1, max_length=64)] = None
    """only the plans of this handover (the staff member whose customers moved)"""


class OaCallbackQuery(Query):
    signature: str = None
    timestamp: str = None
    nonce: str = None
    echostr: str = None
    encrypt_type: Literal["raw", "aes"] = None
    msg_signature: str = None
    openid: str = None


class WecomCallbackQuery(Query):
    msg_signature: str = None
    timestamp: str = None
    nonce: str = None
    echostr: str = None


class SignInQuery(Query):
    redirect_uri: Annotated[str, Field(max_length=2048)]
    """the campaign page to come back to (one of this account's pages under /c/), without a fragment"""
    state: Annotated[str, Field(min_length=8, max_length=128, pattern=r"^[A-Za-z0-9_-]+$")]
    """the page's random value, checked when WeChat sends the browser back"""


class JssdkQuery(Query):
    url: Annotated[str, Field(max_length=2048)]
    """the page's own URL (location.href without '#'): one of this account's campaign pages"""


class GroupSizesQuery(Query):
    from_: Annotated[str, Field(alias="from", json_schema_extra={"format": "date"})] = None
    """first China day (YYYY-MM-DD; default 30 days ago)"""
    to: Annotated[str, Field(json_schema_extra={"format": "date"})] = None
    """last China day (YYYY-MM-DD; default today)"""
