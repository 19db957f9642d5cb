"""Staff figures and loss alerts: the query parameters, the request body of the alert settings, and the answers
(functions/staff_api.py). Figures carry WeCom's own field names (联系客户统计 and 群聊数据统计)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from .answers import Answer
from .fields import StrictBody, refuse
from .queries import Query

Day = Annotated[str, Field(json_schema_extra={"format": "date"})]
Userid = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")]


class FiguresQuery(Query):
    from_: Annotated[str, Field(alias="from", json_schema_extra={"format": "date"})] = None
    """first China day (YYYY-MM-DD; default 29 days before `to`)"""
    to: Annotated[str, Field(json_schema_extra={"format": "date"})] = None
    """last China day (YYYY-MM-DD; default today)"""
    userid: Annotated[str, Field(max_length=64)] = None
    """only this staff member"""
    limit: Annotated[int, Field(ge=1, le=1000)] = None
    """rows a page (default 50 for JSON, 1000 for CSV)"""
    cursor: Annotated[str, Field(max_length=2000)] = None
    """the `next_cursor` of the previous page (opaque)"""


class DaysQuery(Query):
    from_: Annotated[str, Field(alias="from", json_schema_extra={"format": "date"})] = None
    """first China day (YYYY-MM-DD; default 29 days before `to`)"""
    to: Annotated[str, Field(json_schema_extra={"format": "date"})] = None
    """last China day (YYYY-MM-DD; default today)"""


class StaffFigureRow(Answer):
    day: Day
    userid: str
    new_contact_cnt: int | None = None
    """新增客户数: customers the member added that day"""
    chat_cnt: int | None = None
    """聊天总数: one-to-one chats the member sent messages in"""
    message_cnt: int | None = None
    """发送消息数: messages the member sent in one-to-one chats"""
    reply_percentage: float | None = None
    """已回复聊天占比 (percent): chats the customer started that the member answered"""
    avg_reply_time: int | None = None
    """平均首次回复时长 (minutes); null when there were no chats"""
    negative_feedback_cnt: int | None = None
    """删除/拉黑成员的客户数: customers who deleted or blocked the member"""
    new_apply_cnt: int | None = None
    """发起申请数: friend requests the member sent"""
    new_chat_cnt: int | None = None
    """新增客户群数量 (群聊数据统计, the member as owner)"""
    chat_total: int | None = None
    """截至当天客户群总数"""
    chat_has_msg: int | None = None
    """有发过消息的客户群数量"""
    new_member_cnt: int | None = None
    """客户群新增群人数"""
    member_total: int | None = None
    """截至当天客户群总人数"""
    member_has_msg: int | None = None
    """有发过消息的群成员数"""
    msg_total: int | None = None
    """客户群消息总数"""
    migrate_trainee_chat_cnt: int | None = None
    """截至当天新增迁移群数"""


class StaffFigures(Answer):
    from_: Annotated[str, Field(alias="from")]
    to: str
    items: list[StaffFigureRow]
    next_cursor: Annotated[str | None, Field(...)]


LOSS_EVENTS = ("del_follow_user", "del_external_contact", "vip_group_leave")


class LossAlertSettings(StrictBody):
    """PUT /accounts/{account_id}/loss-alerts/settings: who hears of a lost customer, and how. A field left out
    takes its default."""

    enabled: bool = False
    """send alerts at all"""
    agentid: Annotated[int, Field(ge=1, le=2**31 - 1)] | None = None
    """the WeCom app (自建应用) whose message/send tells the recipient; required when enabled. The account needs
    that app's Secret (agent_secrets on the account: its token alone may send as it); without it, alerts are
    recorded as unsent"""
    recipient: Literal["staff", "supervisor"] = "staff"
    """the staff member the customer left, or the supervisor named below"""
    supervisor: Userid | None = None
    """the supervisor's userid (recipient = supervisor)"""
    events: Annotated[list[Literal["del_follow_user", "del_external_contact", "vip_group_leave"]],
                      Field(min_length=1, max_length=3)] = ["del_follow_user"]
    """del_follow_user: the customer deleted the staff member; del_external_contact: the staff member deleted the
    customer (a transfer to a colleague is never an alert); vip_group_leave: a customer left a VIP customer group
    (the recipient `staff` is then the group's owner)"""
    message: Literal["text", "textcard"] = "text"
    """the app message's type"""
    url: Annotated[str, Field(max_length=2048, pattern=r"^https?://")] | None = None
    """the page a textcard opens (required for textcard)"""
    duplicate_check_interval: Annotated[int, Field(ge=60, le=14400)] = 1800
    """WeCom's duplicate check window (seconds, at most 4 hours): a retried event's repeat reaches nobody twice"""

    @model_validator(mode="after")
    def _complete(self):
        problems = []
        if self.enabled and self.agentid is None:
            problems.append(("agentid", "an enabled alert needs the app's agentid"))
        if self.recipient == "supervisor" and not self.supervisor:
            problems.append(("supervisor", "recipient supervisor needs the supervisor's userid"))
        if self.message == "textcard" and not self.url:
            problems.append(("url", "a textcard needs the url it opens"))
        if len(set(self.events)) != len(self.events):
            problems.append(("events", "an event is named once"))
        refuse(problems, "LossAlertSettings")
        return self


class LossAlertSettingsAnswer(Answer):
    enabled: bool
    agentid: int | None = None
    recipient: Literal["staff", "supervisor"]
    supervisor: str | None = None
    events: list[str]
    message: Literal["text", "textcard"]
    url: str | None = None
    duplicate_check_interval: int


class LossAlertDay(Answer):
    day: Day
    sent: int
    failed: int
    unsent: int = 0
    """alerts not handed to WeCom: the account has no Secret for the app (agent_secrets)"""


class LossAlertCounts(Answer):
    from_: Annotated[str, Field(alias="from")]
    to: str
    sent: int
    """alerts sent over the range"""
    failed: int
    """alerts WeCom refused (no such member, app not visible to them, ...) over the range"""
    unsent: int = 0
    """alerts never sent over the range: the account had no Secret for the app `agentid` (set agent_secrets on the
    account); each is recorded once with reason no_app_secret and not retried"""
    days: list[LossAlertDay]
