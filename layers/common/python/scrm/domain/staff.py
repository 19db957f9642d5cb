"""Staff figures and loss alerts: the names and limits WeCom gives them (pure, no I/O).

Figures per staff member per China day carry WeCom's own field names: 联系客户统计
(https://developer.work.weixin.qq.com/document/path/92132) and 群聊数据统计 by owner
(https://developer.work.weixin.qq.com/document/path/92133)."""

from __future__ import annotations

BEHAVIOR = ("new_contact_cnt", "chat_cnt", "message_cnt", "reply_percentage", "avg_reply_time",
            "negative_feedback_cnt", "new_apply_cnt")
GROUPCHAT = ("new_chat_cnt", "chat_total", "chat_has_msg", "new_member_cnt", "member_total", "member_has_msg",
             "msg_total", "migrate_trainee_chat_cnt")
FIGURES = BEHAVIOR + GROUPCHAT
MAX_SPAN_DAYS = 30  # both APIs: "支持的最大查询跨度为30天"
HISTORY_DAYS = 180  # "用户最多可获取最近180天内的数据"
OWNERS_PER_CALL = 100  # groupchat/statistic owner_filter.userid_list: "最多100个"


def empty_figures() -> dict:
    """A member's figures of a day before WeCom answered: zeros, and no average reply time (WeCom sends one only
    for a day with chats)."""
    return {name: (None if name == "avg_reply_time" else 0) for name in FIGURES}
