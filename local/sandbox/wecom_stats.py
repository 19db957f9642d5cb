"""WeCom 统计管理 as the sandbox plays it: 联系客户统计 and 群聊数据统计 (by owner), with a control to set the figures
a member had on a day.

Official shapes copied here:
- `POST /cgi-bin/externalcontact/get_user_behavior_data` `{userid: [..≤100], partyid: [..≤100], start_time,
  end_time}`: userid and partyid not both empty; days closed at both ends, times rounded down to 00:00 (China),
  a span of at most 30 days within the last 180; several userids are summed into one figure a day. Answer
  `{errcode: 0, errmsg: "ok", behavior_data: [{stat_time, chat_cnt, message_cnt, reply_percentage,
  avg_reply_time, negative_feedback_cnt, new_apply_cnt, new_contact_cnt}]}`, avg_reply_time only on days with
  chats (https://developer.work.weixin.qq.com/document/path/92132);
- `POST /cgi-bin/externalcontact/groupchat/statistic` `{day_begin_time, day_end_time?, owner_filter: {userid_list:
  [..≤100]}, order_by 1..4, order_asc, offset, limit 1..1000 (default 500)}`: days from yesterday back 180, a span
  of at most 30; answer `{errcode: 0, errmsg: "ok", total, next_offset, items: [{owner, data: {new_chat_cnt,
  chat_total, chat_has_msg, new_member_cnt, member_total, member_has_msg, msg_total, migrate_trainee_chat_cnt}}]}`
  summed over the days (totals: the last day's) (https://developer.work.weixin.qq.com/document/path/92133).
Out-of-range times answer 600018 "invalid start endtime", as WeCom does.
Control: `POST /_sandbox/wecom/<corpid>/stats` `{"userid", "day": "YYYY-MM-DD", "behavior": {...}, "groupchat":
{...}}` (or `{"rows": [...]}`) sets a member's figures of a day; `GET` lists them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from . import wecom
from .core import ApiError

CHINA = timezone(timedelta(hours=8))
DAY = 86400
BEHAVIOR = ("chat_cnt", "message_cnt", "reply_percentage", "avg_reply_time", "negative_feedback_cnt",
            "new_apply_cnt", "new_contact_cnt")
GROUPCHAT = ("new_chat_cnt", "chat_total", "chat_has_msg", "new_member_cnt", "member_total", "member_has_msg",
             "msg_total", "migrate_trainee_chat_cnt")
TOTALS = ("chat_total", "member_total")  # as of the day: a range answers the last day's
ORDER_BY = {1: "new_chat_cnt", 2: "chat_total", 3: "new_member_cnt", 4: "member_total"}


def _stats(corp) -> dict:
    if not hasattr(corp, "stats"):
        corp.stats = {"behavior": {}, "groupchat": {}}  # {(userid, day): figures}
    return corp.stats


def _day(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).astimezone(CHINA).date().isoformat()


def _midnight(epoch: int) -> int:
    d = datetime.fromtimestamp(epoch, UTC).astimezone(CHINA)
    return int(datetime(d.year, d.month, d.day, tzinfo=CHINA).timestamp())


def _span(platform, begin, end, *, latest_today: bool) -> list[str]:
    """The China days of [begin, end] (rounded down), or 600018 when outside WeCom's window."""
    try:
        begin, end = _midnight(int(begin)), _midnight(int(end))
    except (TypeError, ValueError):
        raise ApiError(600018, "invalid start endtime") from None
    today = _midnight(platform.now)
    newest = today if latest_today else today - DAY
    if end < begin or end - begin > 30 * DAY or begin < today - 180 * DAY or end > newest:
        raise ApiError(600018, "invalid start endtime")
    return [_day(t) for t in range(begin, end + DAY, DAY)]


def _users(platform, corp, ids, what: str) -> list:
    if ids is None:
        return []
    if not isinstance(ids, list) or len(ids) > 100:
        raise wecom.bad(f"{what} must be a list of at most 100")
    return ids


def user_behavior_data(self, corp, q, body):
    users = _users(self, corp, body.get("userid"), "userid")
    parties = _users(self, corp, body.get("partyid"), "partyid")
    if not users and not parties:
        raise wecom.bad("userid and partyid can not be both empty")
    for u in users:
        self._staff(corp, u)  # 60111 for one who is not an active member
    if parties:  # the sandbox has one department: 1, everyone
        users = sorted(set(users) | set(corp.staff))
    days = _span(self, body.get("start_time"), body.get("end_time"), latest_today=True)
    figures = _stats(corp)["behavior"]
    out = []
    for day in days:
        rows = [figures.get((u, day)) or {} for u in users]
        entry = {"stat_time": int(datetime.fromisoformat(day).replace(tzinfo=CHINA).timestamp())}
        for k in BEHAVIOR:
            if k in ("reply_percentage", "avg_reply_time"):
                continue
            entry[k] = sum(int(r.get(k) or 0) for r in rows)
        answered = [r for r in rows if r.get("reply_percentage") is not None]
        entry["reply_percentage"] = round(sum(float(r["reply_percentage"]) for r in answered) / len(answered), 2) \
            if answered else 0
        timed = [r for r in rows if r.get("avg_reply_time") is not None and int(r.get("chat_cnt") or 0) > 0]
        if timed:
            entry["avg_reply_time"] = round(sum(int(r["avg_reply_time"]) for r in timed) / len(timed))
        out.append(entry)
    return {"behavior_data": out}


def groupchat_statistic(self, corp, q, body):
    begin = body.get("day_begin_time")
    if begin is None:
        raise ApiError(600018, "invalid start endtime")
    days = _span(self, begin, body.get("day_end_time") or begin, latest_today=False)
    owners = _users(self, corp, (body.get("owner_filter") or {}).get("userid_list"), "owner_filter.userid_list")
    figures = _stats(corp)["groupchat"]
    owners = owners or sorted({u for u, _d in figures})
    try:
        offset, limit = int(body.get("offset") or 0), int(body.get("limit") or 500)
        order_by, asc = int(body.get("order_by") or 1), bool(int(body.get("order_asc") or 0))
    except (TypeError, ValueError):
        raise wecom.bad("offset, limit, order_by and order_asc are numbers") from None
    if not 1 <= limit <= 1000 or order_by not in ORDER_BY or offset < 0:
        raise wecom.bad("limit 1..1000, order_by 1..4")
    items = []
    for owner in owners:
        rows = [figures[(owner, d)] for d in days if (owner, d) in figures]
        if not rows:
            continue
        data = {k: int(rows[-1].get(k) or 0) if k in TOTALS else sum(int(r.get(k) or 0) for r in rows)
                for k in GROUPCHAT}
        items.append({"owner": owner, "data": data})
    items.sort(key=lambda i: (i["data"][ORDER_BY[order_by]], i["owner"]), reverse=not asc)
    chunk = items[offset:offset + limit]
    return {"total": len(items), "next_offset": offset + len(chunk), "items": chunk}


def control(platform, corpid: str, body: dict) -> dict:
    """Set a member's figures of a day (`rows` of them, or the body as one); GET (an empty body) lists them."""
    corp = platform.app(corpid)
    stats = _stats(corp)
    if not body:
        return {"figures": [{"userid": u, "day": d, "behavior": stats["behavior"].get((u, d), {}),
                             "groupchat": stats["groupchat"].get((u, d), {})}
                            for u, d in sorted(set(stats["behavior"]) | set(stats["groupchat"]))]}
    made = []
    for spec in body.get("rows") or [body]:
        userid, day = spec.get("userid"), spec.get("day")
        if not userid or not day:
            raise wecom.bad("userid and day are required")
        date.fromisoformat(day)
        platform._ensure_staff(corp, userid)
        for kind, names in (("behavior", BEHAVIOR), ("groupchat", GROUPCHAT)):
            given = spec.get(kind) or {}
            unknown = set(given) - set(names)
            if unknown:
                raise wecom.bad(f"unknown {kind} figures {sorted(unknown)}")
            if given:
                stats[kind][(userid, day)] = {**stats[kind].get((userid, day), {}), **given}
        made.append({"userid": userid, "day": day})
    return {"set": made}


for _endpoint, _fn in ((wecom.EC + "get_user_behavior_data", user_behavior_data),
                       (wecom.EC + "groupchat/statistic", groupchat_statistic)):
    wecom.ROUTES[_endpoint] = ("POST", _fn.__name__, True)
    setattr(wecom.WeComPlatform, _fn.__name__, _fn)
