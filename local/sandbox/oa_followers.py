"""Official Account followers as WeChat lists them (用户管理), and the control that gives followers a profile.

Official pages (shapes and limits copied here):
- 获取关注用户列表 https://developers.weixin.qq.com/doc/service/api/usermanage/userinfo/api_getfans
  GET user/get?next_openid= -> {"total", "count", "data": {"openid": [...]}, "next_openid"}: at most 10000 openids a
  call, `next_openid` the last of the page (also on the last page); the call after the last page answers count 0
  with next_openid "" and no `data`. An unknown next_openid: 40003 invalid openid.
- 批量获取用户基本信息 https://developers.weixin.qq.com/doc/service/api/usermanage/userinfo/api_batchuserinfo
  POST user/info/batchget {"user_list": [{"openid", "lang"}]} -> {"user_info_list": [...]} in the order asked,
  最多支持一次拉取100条: an empty or longer list is 40032 "invalid openid list size" (what WeChat answers, per
  its developer community); an invalid openid anywhere in the list fails the whole call with 40003, one that is not
  the app's follower with 46004. A follower who unfollowed answers {"subscribe": 0, "openid"} only. Since
  2021-12-27 nickname and headimgurl are not answered, and sex, city, province, country are not either (the
  sandbox leaves them out).
"""

from __future__ import annotations

from collections.abc import Callable

from .core import ApiError

FOLLOWER_ROUTES: dict[str, tuple[str, str, bool]] = {}
PAGE, BATCH = 10000, 100
PROFILE_FIELDS = ("language", "subscribe_scene", "tagid_list", "remark", "subscribe_time", "qr_scene",
                  "qr_scene_str")


def api(method: str, endpoint: str) -> Callable:
    def register(fn: Callable) -> Callable:
        FOLLOWER_ROUTES[endpoint] = (method, fn.__name__, True)
        return fn
    return register


class OAFollowers:
    @api("POST", "user/info/batchget")
    def user_info_batch(self, app, q, body):
        items = body.get("user_list") if isinstance(body, dict) else None
        if not isinstance(items, list) or not 1 <= len(items) <= BATCH:
            raise ApiError(40032, "invalid openid list size")
        out = []
        for item in items:
            openid = item.get("openid") if isinstance(item, dict) else None
            out.append(self._user_info(app, openid))
        return {"user_info_list": out}

    @api("GET", "user/get")
    def user_get(self, app, q, body):
        after = q.get("next_openid") or None
        if after and app.followers.locate(after) is None:
            raise ApiError(40003, "invalid next_openid")
        page = []
        for oid in app.followers.iter_subscribed(after):
            page.append(oid)
            if len(page) >= PAGE:
                break
        if not page:
            return {"total": app.followers.total, "count": 0, "next_openid": ""}
        return {"total": app.followers.total, "count": len(page), "data": {"openid": page}, "next_openid": page[-1]}

    # ---- control: give followers a profile (language, scene, tags, remark) for the breakdowns to show
    def set_profiles(self, app, profiles: dict) -> int:
        for openid, fields in profiles.items():
            rec = app.followers.mutable(openid)
            if rec is None:
                raise ApiError(46004, f"user not exist: {openid}")
            rec.update({k: v for k, v in fields.items() if k in PROFILE_FIELDS})
        return len(profiles)
