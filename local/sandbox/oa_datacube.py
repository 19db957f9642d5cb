"""Official Account statistics (数据统计, datacube) as the sandbox plays them, derived from the follows, unfollows and
messages the sandbox saw, with a control to set any API's rows of a day.

Official shapes copied here (every API: `POST https://api.weixin.qq.com/datacube/<api>?access_token=...`
`{"begin_date": "YYYY-MM-DD", "end_date": "YYYY-MM-DD"}` -> `{"list": [{"ref_date", ...}]}`; end_date at most
yesterday; a range longer than the API's 最大时间跨度 answers 61501 "date range error", a malformed date 61500):
- getusersummary, span 7: rows `{ref_date, user_source, new_user, cancel_user}` per source with changes
  (https://developers.weixin.qq.com/doc/subscription/api/wedata/user/api_getusersummary.md). Derived: a subscribe
  counts under the follower's subscribe_scene's user_source, an unsubscribe under the source they had followed by;
- getusercumulate, span 7: `{ref_date, cumulate_user}` each day
  (https://developers.weixin.qq.com/doc/service/en/api/wedata/user/api_getusercumulate). Derived: followers now
  minus the net change after that day;
- getarticleread / getarticleshare, one day: `{ref_date, msgid, detail: {read_user, ...}}` / `{..., detail:
  {share_user}}`, plus `is_delay` (https://developers.weixin.qq.com/doc/service/api/wedata/news/api_getarticleread,
  .../api_getarticleshare). Set through the control (the sandbox has no readers);
- getupstreammsg, span 7: `{ref_date, msg_type, msg_user, msg_count}` (https://developers.weixin.qq.com/doc/service/
  en/Analytics/Message_analysis_data_interface.html). Derived from followers' text messages (msg_type 1);
- getinterfacesummary, span 30: `{ref_date, callback_count, fail_count, total_time_cost, max_time_cost}`
  (https://developers.weixin.qq.com/doc/service/en/api/wedata/api/api_getinterfacesummary.html). Set through the
  control.
An API can be refused for an app with the ordinary faults (e.g. errcode 48001 on path `datacube/getarticleread`).
Control: `POST /_sandbox/oa/<appid>/datacube` `{"api", "day", "rows": [...]}` replaces that API's rows of the day
(ref_date added); `GET` lists what was set.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from . import oa
from .core import ApiError

CHINA = timezone(timedelta(hours=8))
SPAN = {"getusersummary": 7, "getusercumulate": 7, "getarticleread": 1, "getarticleshare": 1, "getupstreammsg": 7,
        "getinterfacesummary": 30}
# subscribe_scene -> getusersummary's user_source (the page's list: 0 其他, 1 公众号搜索, 17 名片分享, 30 扫描二维码,
# 57 文章内账号名称, 100 微信广告, 161 他人转载, 149 小程序关注, 200 视频号, 201 直播)
SOURCE_OF_SCENE = {"ADD_SCENE_SEARCH": 1, "ADD_SCENE_PROFILE_CARD": 17, "ADD_SCENE_QR_CODE": 30,
                   "ADD_SCENE_PROFILE_LINK": 57, "ADD_SCENE_PROFILE_ITEM": 57, "ADD_SCENE_WECHAT_ADVERTISEMENT": 100,
                   "ADD_SCENE_REPRINT": 161, "ADD_SCENE_LIVESTREAM": 201, "ADD_SCENE_CHANNELS": 200}


def _day_of(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).astimezone(CHINA).date().isoformat()


def _set(app) -> dict:
    if not hasattr(app, "datacube"):
        app.datacube = {}  # (api, day) -> rows set through the control
    return app.datacube


def _days(platform, api: str, body: dict) -> list[str]:
    try:
        begin, end = date.fromisoformat(str(body.get("begin_date"))), date.fromisoformat(str(body.get("end_date")))
    except ValueError:
        raise ApiError(61500, "date format error") from None
    yesterday = date.fromisoformat(_day_of(platform.now)) - timedelta(days=1)
    if end < begin or (end - begin).days >= SPAN[api] or end > yesterday:
        raise ApiError(61501, "date range error")
    return [(begin + timedelta(days=n)).isoformat() for n in range((end - begin).days + 1)]


def _summary(app, day: str) -> list[dict]:
    sources: dict[int, dict] = {}
    for a in app.activity:
        if a["kind"] in ("subscribe", "unsubscribe") and _day_of(a["t"]) == day:
            src = SOURCE_OF_SCENE.get(a.get("scene"), 0)
            row = sources.setdefault(src, {"ref_date": day, "user_source": src, "new_user": 0, "cancel_user": 0})
            row["new_user" if a["kind"] == "subscribe" else "cancel_user"] += 1
    return [sources[k] for k in sorted(sources)] or [{"ref_date": day, "user_source": 0, "new_user": 0,
                                                      "cancel_user": 0}]


def _cumulate(app, day: str) -> list[dict]:
    later = sum(1 if a["kind"] == "subscribe" else -1 for a in app.activity
                if a["kind"] in ("subscribe", "unsubscribe") and _day_of(a["t"]) > day)
    return [{"ref_date": day, "cumulate_user": max(0, app.followers.total - later)}]


def _upstream(app, day: str) -> list[dict]:
    texts = [a["openid"] for a in app.activity if a["kind"] == "text" and _day_of(a["t"]) == day]
    return [{"ref_date": day, "msg_type": 1, "msg_user": len(set(texts)), "msg_count": len(texts)}] if texts else []


DERIVED = {"getusersummary": _summary, "getusercumulate": _cumulate, "getupstreammsg": _upstream}


def _answer(self, app, api: str, body: dict) -> dict:
    rows = []
    for day in _days(self, api, body):
        given = _set(app).get((api, day))
        if given is not None:
            rows += [{"ref_date": day, **r} for r in given]
        elif api in DERIVED:
            rows += DERIVED[api](app, day)
    out = {"list": rows}
    if api in ("getarticleread", "getarticleshare"):
        out["is_delay"] = False
    return out


def control(platform, appid: str, body: dict) -> dict:
    """Set an API's rows of a day; an empty body (GET) lists what was set."""
    app = platform.app(appid)
    given = _set(app)
    if not body:
        return {"set": [{"api": a, "day": d, "rows": r} for (a, d), r in sorted(given.items())]}
    api, day = body.get("api"), body.get("day")
    if api not in SPAN:
        raise ApiError(47001, f"api must be one of {sorted(SPAN)}")
    date.fromisoformat(str(day))
    rows = body.get("rows")
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise ApiError(47001, "rows must be a list of objects")
    given[(api, day)] = [{k: v for k, v in r.items() if k != "ref_date"} for r in rows]
    return {"api": api, "day": day, "rows": len(rows)}


def _handler(api: str):
    def handle(self, app, q, body):
        return _answer(self, app, api, body)
    handle.__name__ = f"datacube_{api}"
    return handle


for _api in SPAN:
    _fn = _handler(_api)
    oa.ROUTES[f"datacube/{_api}"] = ("POST", _fn.__name__, True)
    setattr(oa.OAPlatform, _fn.__name__, _fn)
