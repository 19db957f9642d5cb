"""OA statistics (数据统计, `datacube/*`): which of WeChat's own figures we pull, each API's longest range per call,
and how a run's days are split into allowed calls (pure, no I/O).

Each API's page (the span is WeChat's "最大时间跨度": a span of 7 means at most 7 days, begin and end included):
- getusersummary (用户增减, per user_source), span 7 ("结束日期(最大跨度7天)"):
  https://developers.weixin.qq.com/doc/subscription/api/wedata/user/api_getusersummary.md
- getusercumulate (累计用户), span 7: https://developers.weixin.qq.com/doc/service/en/api/wedata/user/api_getusercumulate
  (both listed in https://developers.weixin.qq.com/doc/service/en/Analytics/User_Analysis_Data_Interface.html)
- getarticleread (发表内容每日阅读: "某天所有被阅读过的发表内容"; it replaces getarticlesummary / getuserread /
  getusershare, whose pages say "本接口已停止维护"), one day a call:
  https://developers.weixin.qq.com/doc/service/api/wedata/news/api_getarticleread
- getarticleshare (发表内容每日分享; replaces getusershare), "日期范围仅支持查询1天":
  https://developers.weixin.qq.com/doc/service/api/wedata/news/api_getarticleshare
- getupstreammsg (消息发送概况), span 7 (listed in https://developers.weixin.qq.com/doc/service/en/Analytics/Message_analysis_data_interface.html)
- getinterfacesummary (接口分析), span 30: https://developers.weixin.qq.com/doc/service/en/api/wedata/api/api_getinterfacesummary.html
  (spans listed in https://developers.weixin.qq.com/doc/service/en/Analytics/Analytics_API.html)
end_date is at most yesterday: WeChat publishes a day's figures after midnight Beijing time.
"""

from __future__ import annotations

from datetime import date, timedelta

# the API's name -> its longest span in days per call; follower and article figures first (the run's order)
MAX_SPAN = {
    "getusersummary": 7,
    "getusercumulate": 7,
    "getarticleread": 1,
    "getarticleshare": 1,
    "getupstreammsg": 7,
    "getinterfacesummary": 30,
}
APIS = tuple(MAX_SPAN)
BACKFILL_DAYS = 30  # a first run (or a missed week) makes up the last 30 days up to yesterday
PAUSE_DAYS = 7  # an API WeChat refused (48001 unauthorised, 61501 range, ...) is tried again after a week
# user_source of getusersummary (the page's list): 0 其他合计, 1 公众号搜索, 17 名片分享, 30 扫描二维码, 51 支付后关注,
# 57 文章内账号名称, 100 微信广告, 161 他人转载, 149 小程序关注, 200 视频号, 201 直播
USER_SOURCES = (0, 1, 17, 30, 51, 57, 100, 149, 161, 200, 201)


def days_between(first: str, last: str) -> list[str]:
    """The days from first to last, both included (ISO dates)."""
    a, b = date.fromisoformat(first), date.fromisoformat(last)
    return [(a + timedelta(days=n)).isoformat() for n in range((b - a).days + 1)]


def split_days(days: list[str], span: int) -> list[tuple[str, str]]:
    """Calls (begin_date, end_date) covering exactly `days` (any order, any gaps), each at most `span` days from
    begin to end: consecutive days are grouped so a run of n days costs ceil(n / span) calls, and a gap starts a
    new call (a call never re-fetches a day already stored)."""
    if span < 1:
        raise ValueError("a span is at least one day")
    out: list[tuple[str, str]] = []
    begin = prev = None
    for day in sorted(set(days)):
        d = date.fromisoformat(day)
        if begin is not None and (d - prev).days == 1 and (d - begin).days < span:
            prev = d
            continue
        if begin is not None:
            out.append((begin.isoformat(), prev.isoformat()))
        begin = prev = d
    if begin is not None:
        out.append((begin.isoformat(), prev.isoformat()))
    return out


def window(today: str, days: int = BACKFILL_DAYS) -> list[str]:
    """The `days` days ending yesterday (China days): the newest day WeChat has figures for."""
    last = date.fromisoformat(today) - timedelta(days=1)
    return [(last - timedelta(days=n)).isoformat() for n in range(days - 1, -1, -1)]
