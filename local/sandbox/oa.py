"""Official Account (公众号) server APIs and simulated user actions, with state.

Shapes, limits and error codes follow reference/wechat-protocol.md §1-2 and §6.
All methods run under the Sandbox lock; callbacks are returned to the caller for delivery.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable
from typing import Any

from .callbacks import build_xml
from .core import DAY, ApiError, rand_id
from .followers import Followers
from .oa_followers import FOLLOWER_ROUTES, OAFollowers
from .oa_menus import MENU_ROUTES, OAMenus
from .web_oauth import WebOAuth

ROUTES: dict[str, tuple[str, str, bool]] = {}  # endpoint -> (method, handler name, needs token)


def api(method: str, endpoint: str, auth: bool = True) -> Callable:
    def register(fn: Callable) -> Callable:
        ROUTES[endpoint] = (method, fn.__name__, auth)
        return fn
    return register


# 客服接口-发消息: each msgtype's object and the fields it must carry (news: one article outward, 图文消息 (点击跳转到
# 外链), title / description / url / picurl; miniprogrampage: title, appid, pagepath, thumb_media_id):
# https://developers.weixin.qq.com/doc/offiaccount/Customer_Service/Customer_Service_Messages.html
CUSTOM_FIELDS = {"text": ("content",), "image": ("media_id",), "voice": ("media_id",), "mpnews": ("media_id",),
                 "mpnewsarticle": ("article_id",), "miniprogrampage": ("title", "appid", "pagepath", "thumb_media_id")}
CUSTOM_TYPES = {*CUSTOM_FIELDS, "news", "video", "music", "msgmenu", "wxcard"}


def _check_custom(body: dict) -> None:
    """Refuse a customer-service body WeChat would: an unknown msgtype (40008), a missing field (44004 empty content
    for a text, 40007 invalid media_id, 47001 data format error otherwise)."""
    kind, payload = body["msgtype"], body[body["msgtype"]]
    if kind not in CUSTOM_TYPES:
        raise ApiError(40008, "invalid message type")
    if kind == "news":
        articles = payload.get("articles")
        if not isinstance(articles, list) or not articles or not all(
                isinstance(a, dict) and a.get("title") and a.get("url") for a in articles):
            raise ApiError(47001, "data format error")
        if len(articles) > 1:  # an outward news message carries one article since 2018
            raise ApiError(45008, "article size out of limit")
        return
    for field in CUSTOM_FIELDS.get(kind, ()):
        if not isinstance(payload.get(field), str) or not payload[field]:
            if field == "content":
                raise ApiError(44004, "empty content")
            if field.endswith("media_id"):
                raise ApiError(40007, "invalid media_id")
            raise ApiError(47001, "data format error")


MASS_TYPES = {"mpnews", "text", "voice", "image", "mpvideo", "wxcard", "music"}
# 客服消息下发规则 (https://developers.weixin.qq.com/doc/offiaccount/Customer_Service/Customer_Service_Messages.html):
# trigger -> (allowance, seconds it stays open, messages allowed). A message gives 5 within 48 hours; a click, follow
# or scan 3 within a minute, and a click "不会产生用户发送消息场景的客服消息下发额度", so the two are kept apart; a
# newer trigger of the same allowance starts it afresh. A send is counted on the open one that ends first.
CUSTOM_WINDOWS = {"text": ("message", 48 * 3600, 5), "click": ("action", 60, 3), "subscribe": ("action", 60, 3),
                  "scan": ("action", 60, 3)}
JPEG = bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffdb004300") + b"\x08" * 64 + bytes.fromhex("ffd9")


def new_openid() -> str:
    return "o" + rand_id(27)


class OAApp:
    def __init__(self, cfg: dict) -> None:
        self.cfg: dict = {}
        self.configure(cfg)
        self.followers = Followers()
        self.token_day = -1
        self.token_day_count = 0
        self.current_token: str | None = None
        self.stable_token: str | None = None
        self.stable_force: dict[str, Any] = {"day": -1, "count": 0, "last": 0.0}
        # id -> {"id", "name"}. Every account has WeChat's reserved 星标组 (id 2), as tags/get answers it in
        # https://developers.weixin.qq.com/doc/offiaccount/User_Management/User_Tag_Management.html
        self.tags: dict[int, dict] = {2: {"id": 2, "name": "星标组"}}
        self.tag_members: dict[int, dict[str, None]] = {2: {}}  # id -> ordered set of openids
        self.next_tag_id = 100  # 0/1/2 are system tags
        self.qrcodes: dict[str, dict] = {}
        self.permanent_qr = 0
        self.mass_jobs: dict[int, dict] = {}
        self.client_msg_ids: dict[str, dict] = {}
        self.mass_day = (-1, 0)  # (day, successful calls) for subscription accounts
        self.month_receipts: dict[str, dict[str, int]] = {}  # month -> openid -> mass messages received
        self.month_to_all: dict[str, int] = {}  # month -> is_to_all sends (counted for everyone)
        self.windows: dict[str, dict] = {}  # openid -> {allowance: 客服 window}
        self.templates: dict[int, dict] = {}
        self.template_client_ids: dict[str, int] = {}
        self.custom_sent: list[dict] = []
        self.activity: list[dict] = []  # follows, unfollows and text messages as they happened (oa_datacube.py)

    def configure(self, cfg: dict) -> None:
        merged = {"encrypt_mode": "aes", "account_type": "service", "original_id": "gh_" + rand_id(12).lower(),
                  "token": "", "aes_key": "", "callback_url": "", **self.cfg, **cfg}
        if merged["encrypt_mode"] not in ("aes", "compatible", "plain"):
            raise ApiError(47001, "encrypt_mode must be aes, compatible or plain")
        if merged["account_type"] not in ("service", "subscription"):
            raise ApiError(47001, "account_type must be service or subscription")
        if merged["encrypt_mode"] != "plain" and len(merged["aes_key"] or "") != 43:
            raise ApiError(47001, "aes_key (EncodingAESKey) must be 43 characters in aes and compatible mode")
        self.cfg = merged

    @property
    def appid(self) -> str:
        return self.cfg["appid"]

    def summary(self) -> dict:
        public = {k: v for k, v in self.cfg.items() if k not in ("secret",)}
        return {**public, "followers": self.followers.total, "tags": len(self.tags), "qrcodes": len(self.qrcodes),
                "mass_jobs": len(self.mass_jobs), "templates": len(self.templates)}


class OAPlatform(OAMenus, OAFollowers):
    name = "oa"

    @staticmethod
    def routes() -> dict:
        return ROUTES

    def __init__(self, sandbox) -> None:
        self.sb = sandbox
        self.apps: dict[str, OAApp] = {}
        self.next_msg_id = 1000000001
        self.next_template_id = 200228332
        self.web = WebOAuth()  # 网页授权 codes and JS-SDK tickets

    @property
    def now(self) -> int:
        return int(self.sb.clock.now())

    def app(self, appid: str) -> OAApp:
        if appid not in self.apps:
            raise ApiError(40013, f"invalid appid {appid}")
        return self.apps[appid]

    def register(self, cfg: dict) -> dict:
        if not cfg.get("appid") or not cfg.get("secret"):
            raise ApiError(47001, "appid and secret are required")
        if cfg["appid"] in self.apps:
            self.apps[cfg["appid"]].configure(cfg)
        else:
            self.apps[cfg["appid"]] = OAApp(cfg)
        return self.apps[cfg["appid"]].summary()

    # ------------------------------------------------------------------ tokens
    def _check_secret(self, appid: str | None, secret: str | None, grant_type: str | None) -> OAApp:
        if grant_type != "client_credential":
            raise ApiError(40002, "invalid grant_type")
        if not appid or appid not in self.apps:
            raise ApiError(40013, "invalid appid")
        app = self.apps[appid]
        if secret != app.cfg["secret"]:
            raise ApiError(40001, "invalid credential, access_token is invalid or not latest")
        return app

    @api("GET", "token", auth=False)
    def token(self, app, q, body):
        app = self._check_secret(q.get("appid"), q.get("secret"), q.get("grant_type"))
        day = self.sb.clock.day()
        if app.token_day != day:
            app.token_day, app.token_day_count = day, 0
        if app.token_day_count >= 2000:
            raise ApiError(45009, "reach max api daily quota limit")
        app.token_day_count += 1
        # A new token invalidates the previous one, after a 5-minute overlap.
        self.sb.tokens.expire(app.current_token, self.now + 300)
        app.current_token = self.sb.tokens.mint("oa", app.appid, self.now)
        self.sb.tokens.count_fetch(app.appid)
        return {"access_token": app.current_token, "expires_in": 7200}

    @api("POST", "stable_token", auth=False)
    def stable_token(self, app, q, body):
        app = self._check_secret(body.get("appid"), body.get("secret"), body.get("grant_type"))
        tokens, now = self.sb.tokens, self.now
        info = tokens.tokens.get(app.stable_token or "")
        left = info["expires_at"] - now if info else 0
        if body.get("force_refresh"):
            f = app.stable_force
            if f["day"] != self.sb.clock.day():
                f.update(day=self.sb.clock.day(), count=0)
            if f["count"] >= 20:
                raise ApiError(45009, "reach max api daily quota limit (force_refresh 20/day)")
            if info and left > 0 and now - f["last"] < 30:
                tokens.count_fetch(app.appid)  # too soon: the current token comes back unchanged
                return {"access_token": app.stable_token, "expires_in": int(left)}
            f["count"] += 1
            f["last"] = now
            tokens.expire(app.stable_token, now)  # force mode invalidates the previous token at once
            info = None
        if info is None or left <= 300:
            # normal mode rotates only in the last 5 minutes; the old token lives to its own expiry
            app.stable_token = tokens.mint("oa", app.appid, now, kind="stable")
            left = 7200
        tokens.count_fetch(app.appid)
        return {"access_token": app.stable_token, "expires_in": int(left)}

    # ------------------------------------------------------------------ QR codes
    @api("POST", "qrcode/create")
    def qrcode_create(self, app: OAApp, q, body):
        action = body.get("action_name")
        if action not in ("QR_SCENE", "QR_STR_SCENE", "QR_LIMIT_SCENE", "QR_LIMIT_STR_SCENE"):
            raise ApiError(40052, "invalid action name")
        scene = (body.get("action_info") or {}).get("scene")
        if not isinstance(scene, dict):
            raise ApiError(40053, "invalid action info, action_info.scene missing")
        permanent = action.startswith("QR_LIMIT")
        if action.endswith("STR_SCENE"):
            value = scene.get("scene_str")
            if not isinstance(value, str) or not 1 <= len(value) <= 64:
                raise ApiError(40053, "invalid action info, scene_str must be 1..64 chars")
        else:
            value = scene.get("scene_id")
            if not isinstance(value, int) or isinstance(value, bool):
                raise ApiError(40053, "invalid action info, scene_id must be an integer")
            if permanent and not 1 <= value <= 100000:
                raise ApiError(40053, "invalid action info, permanent scene_id must be 1..100000")
            if not permanent and (value == 0 or not -2**31 <= value < 2**32):
                raise ApiError(40053, "invalid action info, temporary scene_id must be a non-zero 32-bit int")
        if permanent and app.permanent_qr >= 100000:
            raise ApiError(45029, "qrcode count out of limit")
        short = rand_id(22)
        ticket = "gQ" + rand_id(62) + "=="
        rec = {"ticket": ticket, "action_name": action, "scene": value, "permanent": permanent,
               "url": f"http://weixin.qq.com/q/{short}", "created_at": self.now}
        out = {"ticket": ticket, "url": rec["url"]}
        if permanent:
            app.permanent_qr += 1
            rec["expire_at"] = None
        else:
            expire = body.get("expire_seconds", 60)
            expire = 60 if not isinstance(expire, int) or expire <= 0 else min(expire, 2592000)
            rec["expire_at"] = self.now + expire
            out["expire_seconds"] = expire
        app.qrcodes[ticket] = rec
        return out

    def show_qrcode(self, ticket: str) -> bytes | None:
        for app in self.apps.values():
            rec = app.qrcodes.get(ticket)
            if rec and (rec["expire_at"] is None or rec["expire_at"] > self.now):
                return JPEG
        return None

    # ------------------------------------------------------------------ users
    def _user_info(self, app: OAApp, openid: str | None) -> dict:
        if not openid or len(openid) > 64:
            raise ApiError(40003, "invalid openid")
        rec = app.followers.get(openid)
        if rec is None:
            raise ApiError(46004, "user not exist")
        if not rec["subscribe"]:
            return {"subscribe": 0, "openid": openid, **({"unionid": rec["unionid"]} if rec.get("unionid") else {})}
        out = {k: v for k, v in rec.items() if k != "unionid" or v}
        out["tagid_list"] = list(rec["tagid_list"])
        return out

    @api("GET", "user/info")
    def user_info(self, app, q, body):
        return self._user_info(app, q.get("openid"))

    # ------------------------------------------------------------------ tags
    def _tag(self, app: OAApp, tag_id: Any) -> dict:
        if not isinstance(tag_id, int) or tag_id not in app.tags:
            raise ApiError(45159, "invalid tag id")
        return app.tags[tag_id]

    @staticmethod
    def _tag_name(app: OAApp, name: Any, exclude: int | None = None) -> str:
        if not isinstance(name, str) or not name.strip():
            raise ApiError(45157, "invalid tag name")
        if len(name.encode("utf-8")) > 30:
            raise ApiError(45158, "tag name too long")
        if any(t["name"] == name and t["id"] != exclude for t in app.tags.values()):
            raise ApiError(45157, "invalid tag name, duplicated")
        return name

    @api("POST", "tags/create")
    def tags_create(self, app, q, body):
        name = self._tag_name(app, (body.get("tag") or {}).get("name"))
        if len(app.tags) >= 100:
            raise ApiError(45056, "too many tags now, no need to add new")
        tid = app.next_tag_id
        app.next_tag_id += 1
        app.tags[tid] = {"id": tid, "name": name}
        app.tag_members[tid] = {}
        return {"tag": {"id": tid, "name": name}}

    @api("GET", "tags/get")
    def tags_get(self, app, q, body):
        return {"tags": [{**t, "count": len(app.tag_members[t["id"]])} for t in app.tags.values()]}

    @api("POST", "tags/update")
    def tags_update(self, app, q, body):
        tag = body.get("tag") or {}
        if tag.get("id") in (0, 1, 2):
            raise ApiError(45058, "can't modify sys tag")
        t = self._tag(app, tag.get("id"))
        t["name"] = self._tag_name(app, tag.get("name"), exclude=t["id"])
        return {"errcode": 0, "errmsg": "ok"}

    @api("POST", "tags/delete")
    def tags_delete(self, app, q, body):
        tid = (body.get("tag") or {}).get("id")
        if tid in (0, 1, 2):
            raise ApiError(45058, "can't modify sys tag")
        self._tag(app, tid)
        if len(app.tag_members[tid]) > 100000:
            raise ApiError(45057, "can't delete the tag that has too much fans")
        for oid in app.tag_members.pop(tid):
            rec = app.followers.mutable(oid)
            if rec and tid in rec["tagid_list"]:
                rec["tagid_list"].remove(tid)
        del app.tags[tid]
        return {"errcode": 0, "errmsg": "ok"}

    def _tag_batch(self, app: OAApp, body: dict) -> tuple[list[str], int]:
        openids = body.get("openid_list")
        if not isinstance(openids, list) or not 1 <= len(openids) <= 50:
            raise ApiError(40032, "invalid openid list size, the openid_list must hold 1..50")
        tid = body.get("tagid")
        self._tag(app, tid)
        for oid in openids:
            if not isinstance(oid, str) or app.followers.get(oid) is None:
                raise ApiError(49003, f"not find openid {oid} for this appid")
        return openids, tid

    @api("POST", "tags/members/batchtagging")
    def tags_batchtagging(self, app, q, body):
        openids, tid = self._tag_batch(app, body)
        for oid in openids:  # check the 20-tag cap for everyone first: the call is all-or-nothing
            tags = app.followers.get(oid)["tagid_list"]
            if tid not in tags and len(tags) >= 20:
                raise ApiError(45059, "has too many tags, a user can have at most 20 tags")
        for oid in openids:
            rec = app.followers.mutable(oid)
            if tid not in rec["tagid_list"]:
                rec["tagid_list"].append(tid)
            app.tag_members[tid][oid] = None
        return {"errcode": 0, "errmsg": "ok"}

    @api("POST", "tags/members/batchuntagging")
    def tags_batchuntagging(self, app, q, body):
        openids, tid = self._tag_batch(app, body)
        for oid in openids:
            rec = app.followers.mutable(oid)
            if tid in rec["tagid_list"]:
                rec["tagid_list"].remove(tid)
            app.tag_members[tid].pop(oid, None)
        return {"errcode": 0, "errmsg": "ok"}

    @api("POST", "tags/getidlist")
    def tags_getidlist(self, app, q, body):
        rec = app.followers.get(body.get("openid") or "")
        if rec is None:
            raise ApiError(40003, "invalid openid")
        return {"tagid_list": list(rec["tagid_list"])}

    @api("POST", "user/tag/get")
    def user_tag_get(self, app, q, body):
        tid = body.get("tagid")
        self._tag(app, tid)
        members = list(app.tag_members[tid])
        start = 0
        if body.get("next_openid"):
            try:
                start = members.index(body["next_openid"]) + 1
            except ValueError:
                raise ApiError(40003, "invalid next_openid") from None
        page = members[start:start + 10000]
        if not page:
            return {"count": 0, "next_openid": ""}
        return {"count": len(page), "data": {"openid": page}, "next_openid": page[-1]}

    # ------------------------------------------------------------------ mass send
    def _check_msgtype(self, body: dict) -> str:
        msgtype = body.get("msgtype")
        if msgtype not in MASS_TYPES:
            raise ApiError(40008, "invalid message type")
        if msgtype == "image":
            # the current mass-send pages name the image payload `images` with a `media_ids` list
            # (developers.weixin.qq.com/doc/service/api/notify/message/api_masssend); the old `image.media_id`
            # shape is a malformed body
            images = body.get("images")
            ids = images.get("media_ids") if isinstance(images, dict) else None
            if not isinstance(ids, list) or not ids or not all(isinstance(m, str) and m for m in ids):
                raise ApiError(47001, "data format error, images.media_ids missing")
            return msgtype
        if not isinstance(body.get(msgtype), dict):
            raise ApiError(47001, f"data format error, {msgtype} payload missing")
        return msgtype

    def _client_msg_id(self, app: OAApp, body: dict, scope: Any) -> str:
        cmid = body.get("clientmsgid")
        if cmid is None:
            # the platform defaults it to a digest of scope + content, so identical sends dedupe too
            payload = body.get("images" if body.get("msgtype") == "image" else body.get("msgtype"))
            digest = json.dumps([scope, body.get("msgtype"), payload], sort_keys=True)
            return "auto:" + hashlib.md5(digest.encode()).hexdigest()
        cmid = str(cmid)
        if len(cmid.encode("utf-8")) > 64:
            raise ApiError(45067, "clientmsgid size out of limit")
        prev = app.client_msg_ids.get(cmid)
        if prev:
            age = self.now - prev["at"]
            if age < 60:
                raise ApiError(45066, "clientmsgid retry too fast")
            if age < DAY:
                raise ApiError(45065, "clientmsgid exist", msgid=prev["msg_id"])
        return cmid

    def _subscription_quota(self, app: OAApp) -> None:
        if app.cfg["account_type"] == "subscription":
            day, used = app.mass_day
            if day == self.sb.clock.day() and used >= 1:
                raise ApiError(45028, "has no masssend quota")

    def _receipts(self, app: OAApp, openid: str) -> int:
        month = self.sb.clock.month()
        return app.month_to_all.get(month, 0) + app.month_receipts.get(month, {}).get(openid, 0)

    def _create_job(self, app: OAApp, kind: str, body: dict, cmid: str, total: int, delivered: list[str] | None,
                    filtered: int, to_all: bool = False) -> dict:
        msg_id = self.next_msg_id
        self.next_msg_id += 1
        month = self.sb.clock.month()
        if to_all:
            app.month_to_all[month] = app.month_to_all.get(month, 0) + 1
        else:
            ledger = app.month_receipts.setdefault(month, {})
            for oid in delivered or []:
                ledger[oid] = ledger.get(oid, 0) + 1
        sent = total - filtered
        job = {"msg_id": msg_id, "kind": kind, "msgtype": body["msgtype"], "clientmsgid": cmid,
               "status": "SENDING", "created_at": self.now, "total_count": total, "filter_count": sent,
               "sent_count": sent, "error_count": 0, "filtered_out": filtered,
               "recipients": delivered[:100] if delivered else None, "body": body}
        if body["msgtype"] == "mpnews":
            job["msg_data_id"] = 2247483000 + msg_id % 100000
        app.mass_jobs[msg_id] = job
        app.client_msg_ids[cmid] = {"msg_id": msg_id, "at": self.now}
        day, used = app.mass_day
        app.mass_day = (self.sb.clock.day(), used + 1 if day == self.sb.clock.day() else 1)
        out = {"errcode": 0, "errmsg": "send job submission success", "msg_id": msg_id}
        if "msg_data_id" in job:
            out["msg_data_id"] = job["msg_data_id"]
        return out

    def _deliverable(self, app: OAApp, openids) -> tuple[list[str], int]:
        """Split recipients into those who get it and the count filtered (unfollowed or over 4/month)."""
        service = app.cfg["account_type"] == "service"
        ok, filtered = [], 0
        for oid in openids:
            if not app.followers.is_subscribed(oid) or (service and self._receipts(app, oid) >= 4):
                filtered += 1
            else:
                ok.append(oid)
        return ok, filtered

    @api("POST", "message/mass/sendall")
    def mass_sendall(self, app: OAApp, q, body):
        self._check_msgtype(body)
        flt = body.get("filter") or {}
        to_all = bool(flt.get("is_to_all"))
        if not to_all:
            if "tag_id" not in flt:
                # wechatpy 1.8.18 sends the legacy filter.group_id; the sandbox insists on tag_id
                raise ApiError(40152, "invalid group id, filter.tag_id missing")
            if flt["tag_id"] not in app.tags:
                raise ApiError(40152, "invalid group id")
        cmid = self._client_msg_id(app, body, {"filter": {"is_to_all": to_all, "tag_id": flt.get("tag_id")}})
        self._subscription_quota(app)
        if to_all:
            total = app.followers.total
            if total == 0:
                raise ApiError(40032, "no follower to send to")
            month = self.sb.clock.month()
            over = 0
            if app.cfg["account_type"] == "service":
                if app.month_to_all.get(month, 0) >= 4:
                    over = total
                else:
                    base = app.month_to_all.get(month, 0)
                    over = sum(1 for oid, n in app.month_receipts.get(month, {}).items()
                               if n + base >= 4 and app.followers.is_subscribed(oid))
            return self._create_job(app, "sendall", body, cmid, total, None, over, to_all=True)
        members = list(app.tag_members[flt["tag_id"]])
        ok, filtered = self._deliverable(app, members)
        return self._create_job(app, "sendall", body, cmid, len(members), ok, filtered)

    @api("POST", "message/mass/send")
    def mass_send(self, app: OAApp, q, body):
        self._check_msgtype(body)
        touser = body.get("touser")
        if not isinstance(touser, list) or not 2 <= len(touser) <= 10000:
            raise ApiError(40032, "invalid openid list size, touser must hold 2..10000 openids")
        cmid = self._client_msg_id(app, body, {"touser": sorted(map(str, touser))})
        self._subscription_quota(app)
        ok, filtered = self._deliverable(app, dict.fromkeys(map(str, touser)))
        return self._create_job(app, "send", body, cmid, len(touser), ok, filtered)

    @api("POST", "message/mass/get")
    def mass_get(self, app: OAApp, q, body):
        job = app.mass_jobs.get(body.get("msg_id"))
        if job is None:
            raise ApiError(40007, "invalid msg_id")
        return {"msg_id": job["msg_id"], "msg_status": job["status"]}

    @api("POST", "message/mass/delete")
    def mass_delete(self, app: OAApp, q, body):
        job = app.mass_jobs.get(body.get("msg_id"))
        if job is None:
            raise ApiError(40007, "invalid msg_id")
        job["status"] = "DELETE"
        return {"errcode": 0, "errmsg": "ok"}

    def finish_mass(self, appid: str, msg_id: int, status: str = "send success") -> tuple[OAApp, str]:
        app = self.app(appid)
        job = app.mass_jobs.get(msg_id)
        if job is None:
            raise ApiError(40007, "invalid msg_id")
        ok = status == "send success"
        job["status"] = "SEND_SUCCESS" if ok else "SEND_FAIL"
        if not ok:
            job["error_count"], job["sent_count"] = job["filter_count"], 0
        xml = build_xml({"ToUserName": app.cfg["original_id"], "FromUserName": "mphelper", "CreateTime": self.now,
                         "MsgType": "event", "Event": "MASSSENDJOBFINISH", "MsgID": msg_id, "Status": status,
                         "TotalCount": job["total_count"], "FilterCount": job["filter_count"],
                         "SentCount": job["sent_count"], "ErrorCount": job["error_count"]})
        return app, xml

    # ------------------------------------------------------------------ custom & template
    @api("POST", "message/custom/send")
    def custom_send(self, app: OAApp, q, body):
        openid = body.get("touser")
        rec = app.followers.get(openid or "")
        if rec is None:
            raise ApiError(40003, "invalid openid")
        if not rec["subscribe"]:
            raise ApiError(43004, "require subscribe")
        if not body.get("msgtype") or not isinstance(body.get(body["msgtype"]), dict):
            raise ApiError(40008, "invalid message type")
        _check_custom(body)
        live = sorted((w for w in (app.windows.get(openid) or {}).values() if self.now < w["expires_at"]),
                      key=lambda w: w["expires_at"])
        if not live:
            raise ApiError(45015, "response out of time limit or subscription is canceled")
        win = next((w for w in live if w["used"] < w["quota"]), None)
        if win is None:
            raise ApiError(45047, "out of response count limit")
        win["used"] += 1
        app.custom_sent.append({"touser": openid, "msgtype": body["msgtype"], "at": self.now,
                                "body": body[body["msgtype"]]})
        return {"errcode": 0, "errmsg": "ok"}

    @api("POST", "message/template/send")
    def template_send(self, app: OAApp, q, body):
        if app.cfg["account_type"] != "service":
            raise ApiError(48001, "api unauthorized, template messages need a service account")
        rec = app.followers.get(body.get("touser") or "")
        if rec is None:
            raise ApiError(40003, "invalid openid")
        if not rec["subscribe"]:
            raise ApiError(43004, "require subscribe")
        if not body.get("template_id"):
            raise ApiError(40037, "invalid template_id")
        if not isinstance(body.get("data"), dict):
            raise ApiError(47003, "argument invalid! data is required")
        cid = body.get("client_msg_id")
        if cid and cid in app.template_client_ids:  # idempotent on the caller's key
            return {"errcode": 0, "errmsg": "ok", "msgid": app.template_client_ids[cid]}
        msgid = self.next_template_id
        self.next_template_id += 1
        app.templates[msgid] = {"msgid": msgid, "touser": body["touser"], "template_id": body["template_id"],
                                "client_msg_id": cid, "at": self.now, "data": body["data"]}
        if cid:
            app.template_client_ids[cid] = msgid
        return {"errcode": 0, "errmsg": "ok", "msgid": msgid}

    @api("GET", "getcallbackip")
    def callback_ip(self, app, q, body):
        return {"ip_list": ["127.0.0.1"]}

    # ------------------------------------------------------------------ web authorization, JS-SDK (web_oauth.py)
    @api("GET", "sns/oauth2/access_token", auth=False)
    def sns_oauth_access_token(self, app, q, body):
        app = self.app(q.get("appid") or "")
        return self.web.exchange(app, q, self.now)

    @api("GET", "ticket/getticket")
    def jsapi_ticket(self, app, q, body):
        return self.web.ticket(app, q, self.now)

    def authorize_page(self, query: list[tuple[str, str]]) -> bytes:
        q = self.web.check_authorize(query, self.apps)
        app = self.apps[q["appid"]]
        return self.web.chooser_page(q, app.followers.newest_subscribed(50))

    def authorize_confirm(self, query: list[tuple[str, str]]) -> str:
        openid = next((v for k, v in query if k == "openid" and v), "")  # a follower's button, or the typed one
        q = self.web.check_authorize([(k, v) for k, v in query if k != "openid"], self.apps)
        return self.web.confirm(q, openid, self.now)

    # ------------------------------------------------------------------ simulated users (control)
    def bulk_followers(self, appid: str, spec: dict) -> dict:
        app = self.app(appid)
        now = self.now
        created = 0
        if spec.get("count"):
            seg = app.followers.bulk(int(spec["count"]), spec.get("prefix") or "o", now,
                                     spec.get("unionid_prefix"))
            created += seg.count
            first, last = seg.openid(0), seg.openid(seg.count - 1)
        else:
            first = last = None
        unionids = spec.get("unionids") or {}
        for oid in spec.get("openids") or []:
            app.followers.add(oid, now, unionid=unionids.get(oid))
            created += 1
        self.set_profiles(app, spec.get("profiles") or {})
        return {"created": created, "total": app.followers.total, "first_openid": first, "last_openid": last}

    def _open_window(self, app: OAApp, openid: str, trigger: str) -> None:
        allowance, ttl, quota = CUSTOM_WINDOWS[trigger]
        app.windows.setdefault(openid, {})[allowance] = {"trigger": trigger, "opened_at": self.now,
                                                         "expires_at": self.now + ttl, "quota": quota, "used": 0}

    def _ticket_for(self, app: OAApp, scene: str, ticket: str | None) -> str:
        if ticket:
            return ticket
        for rec in reversed(list(app.qrcodes.values())):
            if str(rec["scene"]) == scene:
                return rec["ticket"]
        return "gQ" + rand_id(62) + "=="

    def _follow(self, app: OAApp, openid: str, scene: str | None, spec: dict) -> None:
        fields: dict[str, Any] = {"subscribe_scene": spec.get("subscribe_scene") or "ADD_SCENE_SEARCH",
                                  "qr_scene": 0, "qr_scene_str": ""}
        if scene is not None:
            fields["subscribe_scene"] = "ADD_SCENE_QR_CODE"
            if scene.isdigit():
                fields["qr_scene"] = int(scene)
            else:
                fields["qr_scene_str"] = scene
        if spec.get("unionid"):
            fields["unionid"] = spec["unionid"]
        app.followers.add(openid, self.now, **fields)

    def user_event(self, appid: str, spec: dict) -> tuple[OAApp, str, str]:
        """Apply a simulated user action to state and return (app, xml, openid) to push."""
        app = self.app(appid)
        kind = (spec.get("type") or "").lower()
        openid = spec.get("openid") or new_openid()
        now = int(spec["create_time"]) if spec.get("create_time") else self.now
        head = {"ToUserName": app.cfg["original_id"], "FromUserName": openid, "CreateTime": now}
        scene = None if spec.get("scene") is None else str(spec["scene"])
        following = app.followers.is_subscribed(openid)

        if kind == "scan" and not following:
            kind = "subscribe" if scene is not None else kind  # WeChat sends subscribe+qrscene_ to newcomers
        if kind in ("text", "click", "view", "location") and not following:
            self._follow(app, openid, None, spec)  # only followers can talk to an OA; create one implicitly

        if kind in ("subscribe", "scan", "unsubscribe"):
            fields = self._follow_event(app, kind, head, openid, scene, spec)
        elif kind in ("text", "click", "view", "location"):
            fields = self._message_event(app, kind, head, openid, spec)
        elif kind == "masssendjobfinish":
            if spec.get("msg_id") in app.mass_jobs:
                return (*self.finish_mass(appid, spec["msg_id"], spec.get("status", "send success")), openid)
            fields = {**head, "FromUserName": "mphelper", "MsgType": "event", "Event": "MASSSENDJOBFINISH",
                      "MsgID": spec.get("msg_id", 1000000001), "Status": spec.get("status", "send success"),
                      "TotalCount": spec.get("total_count", 0), "FilterCount": spec.get("filter_count", 0),
                      "SentCount": spec.get("sent_count", 0), "ErrorCount": spec.get("error_count", 0)}
        elif kind == "templatesendjobfinish":
            fields = {**head, "MsgType": "event", "Event": "TEMPLATESENDJOBFINISH",
                      "MsgID": spec.get("msg_id", 200228332), "Status": spec.get("status", "success")}
        else:
            raise ApiError(47001, f"unknown event type {spec.get('type')!r}")
        return app, build_xml(fields), openid

    def _follow_event(self, app: OAApp, kind: str, head: dict, openid: str, scene: str | None, spec: dict) -> dict:
        """subscribe (with a qrscene_ when it came through a code), SCAN by a follower, unsubscribe."""
        if kind == "subscribe":
            fields = {**head, "MsgType": "event", "Event": "subscribe"}
            if scene is not None:
                fields["EventKey"] = "qrscene_" + scene
                fields["Ticket"] = self._ticket_for(app, scene, spec.get("ticket"))
            else:
                fields["EventKey"] = ""
            self._follow(app, openid, scene, spec)
            app.activity.append({"t": head["CreateTime"], "kind": "subscribe",
                                 "scene": app.followers.get(openid)["subscribe_scene"]})
            self._open_window(app, openid, "subscribe")
        elif kind == "scan":
            if scene is None:
                raise ApiError(47001, "scan needs a scene")
            fields = {**head, "MsgType": "event", "Event": "SCAN", "EventKey": scene,
                      "Ticket": self._ticket_for(app, scene, spec.get("ticket"))}
            self._open_window(app, openid, "scan")
        else:  # unsubscribe
            fields = {**head, "MsgType": "event", "Event": "unsubscribe", "EventKey": ""}
            rec = app.followers.get(openid)
            if rec and rec["subscribe"]:
                app.activity.append({"t": head["CreateTime"], "kind": "unsubscribe", "scene": rec["subscribe_scene"]})
            app.followers.unsubscribe(openid)
            app.windows.pop(openid, None)
        return fields

    def _message_event(self, app: OAApp, kind: str, head: dict, openid: str, spec: dict) -> dict:
        """A follower's message or menu action: text, CLICK, VIEW, LOCATION."""
        if kind == "text":
            fields = {**head, "MsgType": "text", "Content": spec.get("content", "hello"),
                      "MsgId": spec.get("msg_id") or secrets.randbelow(9 * 10**18) + 10**18}
            app.activity.append({"t": head["CreateTime"], "kind": "text", "openid": openid})
            self._open_window(app, openid, "text")
        elif kind == "click":
            fields = {**head, "MsgType": "event", "Event": "CLICK", "EventKey": spec.get("key", "")}
            self._open_window(app, openid, "click")
        elif kind == "view":
            fields = {**head, "MsgType": "event", "Event": "VIEW", "EventKey": spec.get("key") or spec.get("url", ""),
                      "MenuId": spec.get("menu_id", 1)}
        else:  # location
            fields = {**head, "MsgType": "event", "Event": "LOCATION",
                      "Latitude": spec.get("latitude", 23.137466), "Longitude": spec.get("longitude", 113.352425),
                      "Precision": spec.get("precision", 119.385040)}
        return fields

    def follower(self, appid: str, openid: str) -> dict:
        app = self.app(appid)
        rec = app.followers.get(openid)
        if rec is None:
            raise ApiError(46004, "user not exist")
        return {**rec, "window": app.windows.get(openid),
                "mass_received_this_month": self._receipts(app, openid)}


ROUTES.update(MENU_ROUTES)  # custom menus (oa_menus.py)
ROUTES.update(FOLLOWER_ROUTES)  # user/get and user/info/batchget (oa_followers.py)
