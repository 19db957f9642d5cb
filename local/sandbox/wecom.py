"""WeCom (企业微信) 客户联系 server APIs and simulated member/customer actions, with state.

Shapes, limits and error codes follow reference/wechat-protocol.md §3 and §6. Runs under the Sandbox
lock; callbacks produced by state changes go to `outbox` and are sent by the server after unlocking.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable
from typing import Any

from .callbacks import build_xml
from .core import DAY, ApiError, rand_id

ROUTES: dict[str, tuple[str, str, bool]] = {}


def api(method: str, endpoint: str, auth: bool = True) -> Callable:
    def register(fn: Callable) -> Callable:
        ROUTES[endpoint] = (method, fn.__name__, auth)
        return fn
    return register


EC = "externalcontact/"
DEFAULT_SETTINGS = {"groupmsg_quota_per_day": 1, "transfer_page_size": 100, "welcome_code_ttl": 20,
                    "onjob_transfers_per_90_days": 2, "moment_job_seconds": 1}


def bad(msg: str) -> ApiError:
    return ApiError(40058, f"invalid parameter, {msg}")


def page(items: list, cursor: Any, limit: int) -> tuple[list, str]:
    """Offset cursors encoded as strings; "" means no more pages."""
    try:
        start = int(cursor) if cursor not in (None, "") else 0
    except (TypeError, ValueError):
        raise bad("invalid cursor") from None
    chunk = items[start:start + limit]
    return chunk, str(start + limit) if start + limit < len(items) else ""


class WeComCorp:
    def __init__(self, cfg: dict) -> None:
        self.cfg: dict = {}
        self.configure(cfg)
        self.token: str | None = None  # the customer-contact Secret's token
        self.app_tokens: dict[str, str] = {}  # each self-built app's own token, by AgentID (app_secrets())
        self.staff: dict[str, dict] = {}
        self.customers: dict[str, dict] = {}
        self.contact_ways: dict[str, dict] = {}
        self.welcome_codes: dict[str, dict] = {}
        self.welcome_sent: list[dict] = []
        self.tag_groups: dict[str, dict] = {}
        self.tag_index: dict[str, str] = {}  # tag id -> group id
        self.msg_templates: dict[str, dict] = {}
        self.receipts: dict[tuple[str, int], int] = {}  # (external_userid or chat_id, day) -> group messages received
        self.transfers: list[dict] = []
        self.groupchats: dict[str, dict] = {}
        self.app_messages: list[dict] = []
        self.login_codes: dict[str, dict] = {}  # web login codes (wecom_login.py): code -> identity, expiry

    def configure(self, cfg: dict) -> None:
        merged = {**DEFAULT_SETTINGS, "token": "", "aes_key": "", "callback_url": "", "agentid": "",
                  "agent_secret": "", **self.cfg, **cfg}
        if len(merged["aes_key"] or "") != 43:
            raise ApiError(47001, "aes_key (EncodingAESKey) must be 43 characters")
        apps = cfg.get("apps") or {}
        if not isinstance(apps, dict) or not all(str(k).isdigit() and v for k, v in apps.items()):
            raise ApiError(47001, "apps is {AgentID: Secret} of the corp's self-built apps")
        merged["apps"] = {**(self.cfg.get("apps") or {}), **{str(k): str(v) for k, v in apps.items()}}
        self.cfg = merged

    def app_secrets(self) -> dict[str, str]:
        """The corp's self-built apps: AgentID -> Secret (`apps`, and the login app `agentid`/`agent_secret`)."""
        out = dict(self.cfg.get("apps") or {})
        if self.cfg.get("agentid") and self.cfg.get("agent_secret"):
            out[str(self.cfg["agentid"])] = self.cfg["agent_secret"]
        return out

    def summary(self) -> dict:
        public = {k: v for k, v in self.cfg.items() if k not in ("secret", "agent_secret", "apps")}
        return {**public, "apps": sorted(self.app_secrets()), "staff": len(self.staff),
                "customers": len(self.customers),
                "contact_ways": len(self.contact_ways), "msg_templates": len(self.msg_templates),
                "transfers": len(self.transfers), "groupchats": len(self.groupchats)}


class WeComPlatform:
    name = "wecom"

    def __init__(self, sandbox) -> None:
        self.sb = sandbox
        self.apps: dict[str, WeComCorp] = {}
        self.outbox: list[tuple[dict, str]] = []
        self.sent_callbacks: list[dict] = []

    @staticmethod
    def routes() -> dict:
        return ROUTES

    @property
    def now(self) -> int:
        return int(self.sb.clock.now())

    def app(self, corpid: str) -> WeComCorp:
        if corpid not in self.apps:
            raise ApiError(40013, f"invalid corpid {corpid}")
        return self.apps[corpid]

    def register(self, cfg: dict) -> dict:
        if not cfg.get("corpid") or not cfg.get("secret"):
            raise ApiError(47001, "corpid and secret are required")
        if cfg["corpid"] in self.apps:
            self.apps[cfg["corpid"]].configure(cfg)
        else:
            self.apps[cfg["corpid"]] = WeComCorp(cfg)
        return self.apps[cfg["corpid"]].summary()

    # ------------------------------------------------------------------ helpers
    def _staff(self, corp: WeComCorp, userid: Any, active: bool = True) -> dict:
        s = corp.staff.get(userid) if isinstance(userid, str) else None
        if s is None or (active and s["status"] != "active"):
            raise ApiError(60111, f"invalid userid {userid}")
        return s

    def _ensure_staff(self, corp: WeComCorp, userid: str) -> dict:
        if userid not in corp.staff:
            corp.staff[userid] = {"userid": userid, "name": userid, "department": [1], "status": "active",
                                  "dimission_time": 0}
        return corp.staff[userid]

    def _add_follow(self, corp: WeComCorp, ext: str, userid: str, state: str = "", add_way: int = 1,
                    name: str | None = None, oper: str | None = None) -> dict:
        cust = corp.customers.get(ext)
        if cust is None:
            cust = corp.customers[ext] = {
                "external_userid": ext, "name": name or f"客户{ext[-6:]}", "type": 1, "gender": 0,
                "avatar": "", "unionid": None, "follow": {}}
        cust["follow"][userid] = {"userid": userid, "remark": "", "description": "", "createtime": self.now,
                                  "tags": [], "remark_corp_name": "", "remark_mobiles": [],
                                  "oper_userid": oper or ext, "add_way": add_way, "state": state}
        return cust

    def _customers_of(self, corp: WeComCorp, userid: str) -> list[str]:
        return [e for e, c in corp.customers.items() if userid in c["follow"]]

    def _emit(self, corp: WeComCorp, fields: dict) -> None:
        self.outbox.append((dict(corp.cfg), build_xml(fields)))

    def _head(self, corp: WeComCorp, event: str, change_type: str) -> dict:
        return {"ToUserName": corp.cfg["corpid"], "FromUserName": "sys", "CreateTime": self.now,
                "MsgType": "event", "Event": event, "ChangeType": change_type}

    def _tag_view(self, corp: WeComCorp, tag_id: str) -> dict | None:
        gid = corp.tag_index.get(tag_id)
        if gid is None:
            return None
        group = corp.tag_groups[gid]
        tag = next(t for t in group["tag"] if t["id"] == tag_id)
        return {"group_name": group["group_name"], "tag_name": tag["name"], "tag_id": tag_id, "type": 1}

    def _contact_view(self, cust: dict) -> dict:
        out = {k: cust[k] for k in ("external_userid", "name", "type", "gender", "avatar")}
        if cust.get("unionid"):
            out["unionid"] = cust["unionid"]
        return out

    # ------------------------------------------------------------------ token & members
    @api("GET", "gettoken", auth=False)
    def gettoken(self, corp, q, body):
        corpid = q.get("corpid")
        if not corpid or corpid not in self.apps:
            raise ApiError(40013, "invalid corpid")
        corp = self.apps[corpid]
        # Every app has its own Secret and token ("每个应用有独立的secret,获取到的access_token只能本应用使用",
        # https://developer.work.weixin.qq.com/document/path/91039): the customer-contact Secret's, or the
        # self-built app's (by AgentID), which alone redeems that app's login codes (wecom_login.getuserinfo) and
        # alone sends that app's messages (app_message).
        secret = q.get("corpsecret")
        if secret and secret == corp.cfg["secret"]:
            agentid = ""
        else:
            agentid = next((a for a, s in corp.app_secrets().items() if secret and secret == s), None)
            if agentid is None:
                raise ApiError(40001, "invalid credential (corpsecret)")
        tokens = self.sb.tokens
        current = corp.token if agentid == "" else corp.app_tokens.get(agentid)
        info = tokens.tokens.get(current or "")
        if info is None or info["expires_at"] <= self.now:
            # same token for the whole validity; a new one only after expiry
            current = tokens.mint("wecom", corpid, self.now, agentid=agentid)
            if agentid == "":
                corp.token = current
            else:
                corp.app_tokens[agentid] = current
            info = tokens.tokens[current]
        tokens.count_fetch(corpid)
        return {"errcode": 0, "errmsg": "ok", "access_token": current,
                "expires_in": int(info["expires_at"] - self.now)}

    @api("GET", "user/get")
    def user_get(self, corp, q, body):
        s = self._staff(corp, q.get("userid"))
        return {"userid": s["userid"], "name": s["name"], "department": s["department"], "status": 1}

    @api("GET", "auth/getuserinfo")
    def auth_getuserinfo(self, corp, q, body):
        """Who signed in with the web login (wecom_login.py has the documented shapes)."""
        from . import wecom_login

        return wecom_login.getuserinfo(self, corp, q)

    @api("POST", "message/send")
    def app_message(self, corp, q, body):
        """发送应用消息 to members (loss alerts, reassignment notices), sent as the app `agentid` names, with that
        app's own token: "每个应用有独立的secret,获取到的access_token只能本应用使用" (gettoken,
        https://developer.work.weixin.qq.com/document/path/91039). A token of another app, or the customer-contact
        Secret's, is refused with 301002 "not allow operate another agent with this accesstoken" (全局错误码 301002
        无权限操作指定的应用: "发消息接口 指定了参数 agentid: 14, 但使用的 access_token 是通过应用 agentid: 100032
        生成的调用凭证, 这种就会报该错误码", https://developer.work.weixin.qq.com/document/path/90313); no agentid is
        41011 "missing agentid". https://developer.work.weixin.qq.com/document/path/90236"""
        if body.get("agentid") in (None, ""):
            raise ApiError(41011, "missing agentid")
        token = self.sb.tokens.tokens.get(q.get("access_token") or "") or {}
        if not token.get("agentid") or token["agentid"] != str(body["agentid"]):
            raise ApiError(301002, "not allow operate another agent with this accesstoken.")
        if not body.get("msgtype") or not isinstance(body.get(body["msgtype"]), dict):
            raise ApiError(40008, "invalid message type")
        users = [u for u in str(body.get("touser") or "").split("|") if u]
        if not users and not body.get("toparty") and not body.get("totag"):
            raise ApiError(40058, "invalid parameter, touser, toparty and totag are all empty")
        invalid = [u for u in users if corp.staff.get(u, {}).get("status") != "active"]
        from . import wecom_alerts  # textcard fields, the duplicate check

        wecom_alerts.check(body)
        repeat = wecom_alerts.repeat_of(corp, body, self.now)
        if repeat:
            return {"invaliduser": "|".join(invalid), "msgid": repeat}
        corp.app_messages.append({"touser": users, "msgtype": body["msgtype"], "agentid": body.get("agentid"),
                                  "body": body, "at": self.now})
        msgid = "sbx" + rand_id(20)
        wecom_alerts.remember(corp, body, msgid, self.now)
        return {"invaliduser": "|".join(invalid), "msgid": msgid}

    # ------------------------------------------------------------------ customers
    @api("GET", EC + "get_follow_user_list")
    def follow_user_list(self, corp, q, body):
        return {"follow_user": [u for u, s in corp.staff.items() if s["status"] == "active"]}

    @api("GET", EC + "list")
    def ext_list(self, corp, q, body):
        userid = q.get("userid")
        if userid not in corp.staff:
            raise ApiError(60111, f"invalid userid {userid}")
        ids = self._customers_of(corp, userid)
        if not ids:
            raise ApiError(84061, "not external contact")
        return {"external_userid": ids}

    @api("GET", EC + "get")
    def ext_get(self, corp, q, body):
        cust = corp.customers.get(q.get("external_userid") or "")
        if cust is None:
            raise ApiError(40096, "invalid external userid")
        follow = []
        for f in cust["follow"].values():
            view = {k: v for k, v in f.items() if k != "tags"}
            view["tags"] = [t for t in (self._tag_view(corp, tid) for tid in f["tags"]) if t]
            follow.append(view)
        return {"external_contact": self._contact_view(cust), "follow_user": follow}

    @api("POST", EC + "batch/get_by_user")
    def batch_get_by_user(self, corp, q, body):
        users = body.get("userid_list")
        if users is None and body.get("userid"):
            users = [body["userid"]]  # wechatpy 2.x still sends the legacy single userid
        if not isinstance(users, list) or not 1 <= len(users) <= 100:
            raise bad("userid_list must hold 1..100 userids")
        limit = max(1, min(int(body.get("limit") or 50), 100))
        pairs = [(u, e) for u in users for e in self._customers_of(corp, u)]
        chunk, nxt = page(pairs, body.get("cursor"), limit)
        out = []
        for u, e in chunk:
            cust, f = corp.customers[e], corp.customers[e]["follow"][u]
            info = {k: v for k, v in f.items() if k != "tags"}
            info["tag_id"] = list(f["tags"])
            out.append({"external_contact": self._contact_view(cust), "follow_info": info})
        return {"external_contact_list": out, "next_cursor": nxt}

    @api("POST", EC + "remark")
    def remark(self, corp, q, body):
        cust = corp.customers.get(body.get("external_userid") or "")
        if cust is None or body.get("userid") not in cust["follow"]:
            raise ApiError(84061, "not external contact")
        f = cust["follow"][body["userid"]]
        for key, field in (("remark", "remark"), ("description", "description"),
                           ("remark_company", "remark_corp_name"), ("remark_mobiles", "remark_mobiles")):
            if key in body:
                f[field] = body[key]
        return {}

    # ------------------------------------------------------------------ contact ways (联系我)
    def _validate_way(self, corp: WeComCorp, w: dict) -> None:
        if len(w.get("state") or "") > 30:
            raise bad("state exceeds 30 characters")
        if len(w.get("remark") or "") > 30:
            raise bad("remark exceeds 30 characters")
        users, party = w.get("user") or [], w.get("party") or []
        if not isinstance(users, list) or not isinstance(party, list):
            raise bad("user and party must be lists")
        if len(users) + len(party) > 100:
            raise ApiError(41041, "exceed max user count of contact way (100)")
        if w["type"] == 1 and (len(users) != 1 or party):
            raise bad("type 1 (single) takes exactly one user and no party")
        if not users and not party:
            raise bad("user or party is required")
        for u in users:
            if u not in corp.staff or corp.staff[u]["status"] != "active":
                raise ApiError(610004, f"userid {u} not in the customer-contact scope")

    @api("POST", EC + "add_contact_way")
    def add_contact_way(self, corp, q, body):
        if "type" not in body:
            raise ApiError(41037, "missing type")
        if "scene" not in body:
            raise ApiError(41038, "missing scene")
        if body["type"] not in (1, 2):
            raise ApiError(41039, "invalid type")
        if body["scene"] not in (1, 2):
            raise ApiError(41040, "invalid scene")
        if len(corp.contact_ways) >= 500000:
            raise ApiError(41045, "contact way count exceeds the API limit")
        way = {"type": body["type"], "scene": body["scene"], "style": body.get("style", 1),
               "remark": body.get("remark", ""), "skip_verify": body.get("skip_verify", True),
               "state": body.get("state", ""), "user": body.get("user") or [], "party": body.get("party") or [],
               "is_temp": bool(body.get("is_temp", False)), "expires_in": body.get("expires_in"),
               "chat_expires_in": body.get("chat_expires_in"), "unionid": body.get("unionid"),
               "conclusions": body.get("conclusions")}
        self._validate_way(corp, way)
        config_id = uuid.uuid4().hex
        way["config_id"] = config_id
        way["created_at"] = self.now
        out = {"config_id": config_id}
        if way["scene"] == 2:
            # real WeCom hosts the image (wework.qpic.cn); the sandbox serves a real PNG on itself
            base = self.sb.public_url or "http://127.0.0.1:8089"
            way["qr_code"] = out["qr_code"] = f"{base}/wecom/qr/{config_id}.png"
        corp.contact_ways[config_id] = way
        return out

    def _way(self, corp: WeComCorp, config_id: Any) -> dict:
        if not config_id:
            raise ApiError(41043, "missing config_id")
        if config_id not in corp.contact_ways:
            raise ApiError(41044, "invalid config_id")
        return corp.contact_ways[config_id]

    def qr_image(self, config_id: str) -> bytes | None:
        """The PNG behind a contact way's or a group join way's qr_code URL (None when no corp holds that way)."""
        for corp in self.apps.values():
            if config_id in corp.contact_ways or config_id in (getattr(corp, "join_ways", None) or {}):
                import segno

                buf = io.BytesIO()
                segno.make(f"https://work.weixin.qq.com/ca/{config_id}", error="m").save(buf, kind="png", scale=6)
                return buf.getvalue()
        return None

    @api("POST", EC + "get_contact_way")
    def get_contact_way(self, corp, q, body):
        way = self._way(corp, body.get("config_id"))
        return {"contact_way": {k: v for k, v in way.items() if k != "created_at" and v is not None}}

    @api("POST", EC + "update_contact_way")
    def update_contact_way(self, corp, q, body):
        way = self._way(corp, body.get("config_id"))
        updated = {**way, **{k: body[k] for k in ("remark", "skip_verify", "style", "state", "user", "party",
                                                   "expires_in", "chat_expires_in", "unionid", "conclusions")
                             if k in body}}
        self._validate_way(corp, updated)
        way.update(updated)
        return {}

    @api("POST", EC + "del_contact_way")
    def del_contact_way(self, corp, q, body):
        self._way(corp, body.get("config_id"))
        del corp.contact_ways[body["config_id"]]
        return {}

    # ------------------------------------------------------------------ welcome message
    @api("POST", EC + "send_welcome_msg")
    def send_welcome_msg(self, corp, q, body):
        code = body.get("welcome_code")
        if not code:
            raise ApiError(41049, "missing welcome code")
        rec = corp.welcome_codes.get(code)
        if rec is None or self.sb.clock.now() >= rec["expires_at"]:
            raise ApiError(41050, "invalid welcome code or expired (valid 20 s after the add event)")
        if rec["used"]:
            raise ApiError(41051, "externaluser has started chatting")
        _check_message(body)
        rec["used"] = True
        corp.welcome_sent.append({"welcome_code": code, "userid": rec["userid"],
                                  "external_userid": rec["external_userid"], "at": self.now,
                                  "text": body.get("text"), "attachments": body.get("attachments")})
        return {}

    # corp tags (get_corp_tag_list, add_corp_tag, edit_corp_tag, del_corp_tag): wecom_tags.py

    @api("POST", EC + "mark_tag")
    def mark_tag(self, corp, q, body):
        add, remove = body.get("add_tag") or [], body.get("remove_tag") or []
        if not add and not remove:
            raise bad("add_tag and remove_tag cannot both be empty")
        cust = corp.customers.get(body.get("external_userid") or "")
        if cust is None:
            raise ApiError(40096, "invalid external userid")
        follow = cust["follow"].get(body.get("userid"))
        if follow is None:
            raise ApiError(84061, "not external contact")
        for tid in add + remove:
            if tid not in corp.tag_index:
                raise ApiError(40068, f"invalid tagid {tid}")
        follow["tags"] = [t for t in follow["tags"] if t not in remove] + [t for t in add if t not in follow["tags"]]
        return {}

    # ------------------------------------------------------------------ group messages (企业群发)
    @api("POST", EC + "add_msg_template")
    def add_msg_template(self, corp, q, body):
        chat_type = body.get("chat_type", "single")
        _check_msg_template(body, chat_type)
        sender = body.get("sender")
        if sender:
            self._staff(corp, sender)
        fail: list[str] = []
        if chat_type == "group":
            targets = self._group_targets(corp, sender, body.get("chat_id_list"))
        else:
            targets = self._customer_targets(corp, sender, body.get("external_userid"), fail)
        if not targets:
            raise ApiError(41048, "no customer to send to", fail_list=fail)
        msgid = "msg" + rand_id(26)
        corp.msg_templates[msgid] = {
            "msgid": msgid, "chat_type": chat_type, "creator": sender or "", "create_type": 0,
            "create_time": self.now, "text": body.get("text"), "attachments": body.get("attachments") or [],
            "tasks": {u: {"userid": u, "status": 0, "send_time": 0} for u in targets},
            "results": {u: {t: {"status": 0, "send_time": 0} for t in ts} for u, ts in targets.items()},
            "fail_list": fail}
        return {"fail_list": fail, "msgid": msgid}

    def _group_targets(self, corp: WeComCorp, sender: str | None, chat_ids=None) -> dict[str, list[str]]:
        """sender -> the live group chats it owns (those of chat_id_list when given: "仅在chat_type为group时有效，
        最多可一次指定2000个客户群", https://developer.work.weixin.qq.com/document/path/92135). A listed group the
        sender does not own, or that is gone, is not in the task (the doc does not say; we never rely on it)."""
        if not sender:
            raise bad("sender is required for group chat_type")
        if chat_ids is not None and (not isinstance(chat_ids, list) or len(chat_ids) > 2000):
            raise bad("chat_id_list must be a list of at most 2000 chat ids")
        chats = [c for c, g in corp.groupchats.items() if g["owner"] == sender and g["status"] == 0
                 and (chat_ids is None or c in chat_ids)]
        return {sender: chats} if chats else {}

    def _customer_targets(self, corp: WeComCorp, sender: str | None, ext_ids, fail: list[str]
                          ) -> dict[str, list[str]]:
        """member -> customers to send to; customers nobody can reach go to `fail`."""
        if ext_ids is not None and (not isinstance(ext_ids, list) or len(ext_ids) > 10000):
            raise bad("external_userid must be a list of at most 10000 ids")
        if not ext_ids and not sender:
            raise bad("external_userid and sender cannot both be empty")
        if not ext_ids:
            ext_ids = self._customers_of(corp, sender)
        targets: dict[str, list[str]] = {}
        for e in dict.fromkeys(ext_ids):
            owner = self._sender_for(corp, corp.customers.get(e), sender)
            if owner is None:
                fail.append(e)
            else:
                targets.setdefault(owner, []).append(e)
        return targets

    @staticmethod
    def _sender_for(corp: WeComCorp, cust: dict | None, sender: str | None) -> str | None:
        if sender:
            return sender if cust and sender in cust["follow"] else None
        # the platform picks the member who last interacted with the customer
        follows = sorted((cust or {}).get("follow", {}).values(), key=lambda f: f["createtime"])
        active = [f["userid"] for f in follows if corp.staff.get(f["userid"], {}).get("status") == "active"]
        return active[-1] if active else None

    def _template(self, corp: WeComCorp, msgid: Any) -> dict:
        if not msgid:
            raise ApiError(41046, "missing msgid")
        if msgid not in corp.msg_templates:
            raise ApiError(41047, "invalid msgid")
        return corp.msg_templates[msgid]

    @api("POST", EC + "get_groupmsg_list_v2")
    def groupmsg_list_v2(self, corp, q, body):
        start, end = body.get("start_time"), body.get("end_time")
        if not isinstance(start, int) or not isinstance(end, int) or end < start:
            raise bad("start_time and end_time are required")
        if end - start > 31 * DAY:
            raise bad("the time range cannot exceed one month")
        limit = max(1, min(int(body.get("limit") or 50), 100))
        ft = body.get("filter_type", 2)
        msgs = [m for m in corp.msg_templates.values()
                if m["chat_type"] == body.get("chat_type", "single") and start <= m["create_time"] <= end
                and (not body.get("creator") or m["creator"] == body["creator"])
                and (ft == 2 or m["create_type"] == ft)]
        chunk, nxt = page(msgs, body.get("cursor"), limit)
        out = [{k: m[k] for k in ("msgid", "creator", "create_time", "create_type", "attachments")} |
               ({"text": m["text"]} if m["text"] else {}) for m in chunk]
        return {"group_msg_list": out, "next_cursor": nxt}

    @api("POST", EC + "get_groupmsg_task")
    def groupmsg_task(self, corp, q, body):
        m = self._template(corp, body.get("msgid"))
        limit = max(1, min(int(body.get("limit") or 500), 1000))
        chunk, nxt = page(list(m["tasks"].values()), body.get("cursor"), limit)
        return {"task_list": [dict(t) for t in chunk], "next_cursor": nxt}

    @api("POST", EC + "get_groupmsg_send_result")
    def groupmsg_send_result(self, corp, q, body):
        m = self._template(corp, body.get("msgid"))
        userid = body.get("userid")
        if not userid:
            raise bad("userid is required")
        key = "chat_id" if m["chat_type"] == "group" else "external_userid"
        rows = [{key: t, "userid": userid, **r} for t, r in m["results"].get(userid, {}).items()
                if m["chat_type"] == "single" or r["status"] == 1]  # group sends list only sent records
        limit = max(1, min(int(body.get("limit") or 500), 1000))
        chunk, nxt = page(rows, body.get("cursor"), limit)
        return {"send_list": chunk, "next_cursor": nxt}

    def confirm_groupmsg(self, corpid: str, msgid: str, body: dict) -> dict:
        """A member taps "send" on the task in their client: deliver, applying the per-day quota."""
        corp = self.app(corpid)
        m = self._template(corp, msgid)
        userid = body.get("userid")
        if userid not in m["tasks"]:
            raise ApiError(41047, f"no task for userid {userid}")
        task = m["tasks"][userid]
        if task["status"] == 2:
            return {"task": task, "already": True}
        task.update(status=2, send_time=self.now)
        day, quota = self.sb.clock.day(), int(corp.cfg["groupmsg_quota_per_day"])
        counts = {1: 0, 2: 0, 3: 0}
        for target, r in m["results"][userid].items():
            if m["chat_type"] == "single" and userid not in corp.customers.get(target, {}).get("follow", {}):
                status = 2
            elif corp.receipts.get((target, day), 0) >= quota:
                status = 3
            else:
                status = 1
                corp.receipts[(target, day)] = corp.receipts.get((target, day), 0) + 1
            r.update(status=status, send_time=self.now if status == 1 else 0)
            counts[status] += 1
        return {"task": task, "sent": counts[1], "not_friend": counts[2], "over_quota": counts[3]}

    # ------------------------------------------------------------------ transfers (离职/在职继承)
    def tick(self) -> None:
        """Settle transfers whose 24 h waiting time has passed on the sandbox clock."""
        for corp in self.apps.values():
            for t in corp.transfers:
                if t["status"] == 2 and self.now >= t["takeover_time"]:
                    self._complete_transfer(corp, t)

    def _complete_transfer(self, corp: WeComCorp, t: dict) -> None:
        t["status"] = 1
        cust = corp.customers.get(t["external_userid"])
        if cust is None:
            return
        old = cust["follow"].pop(t["handover_userid"], None) or {}
        new = self._add_follow(corp, t["external_userid"], t["takeover_userid"], state=old.get("state", ""),
                               add_way=202, oper=t["takeover_userid"])["follow"][t["takeover_userid"]]
        new.update(remark=old.get("remark", ""), description=old.get("description", ""),
                   tags=list(old.get("tags", [])))
        if t["kind"] == "onjob":  # the old member's side of the relation is removed by the platform
            self._emit(corp, {**self._head(corp, "change_external_contact", "del_external_contact"),
                              "UserID": t["handover_userid"], "ExternalUserID": t["external_userid"],
                              "Source": "DELETE_BY_TRANSFER"})

    def _transfer(self, corp: WeComCorp, body: dict, kind: str) -> dict:
        ids = body.get("external_userid")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
            raise bad("external_userid must hold 1..100 ids")
        handover, takeover = body.get("handover_userid"), body.get("takeover_userid")
        h = self._staff(corp, handover, active=False)
        self._staff(corp, takeover)
        if kind == "resigned" and h["status"] != "resigned":
            raise ApiError(40097, "the handover member has not resigned")
        if kind == "onjob" and h["status"] != "active":
            raise ApiError(60111, f"invalid userid {handover}: the member has resigned, use resigned/transfer_customer")
        if kind == "onjob" and body.get("transfer_success_msg") and len(body["transfer_success_msg"]) > 200:
            raise bad("transfer_success_msg exceeds 200 characters")
        window = self.now - 90 * DAY
        out = []
        for e in ids:
            cust = corp.customers.get(e)
            pending = any(t["external_userid"] == e and t["status"] == 2 for t in corp.transfers)
            recent = sum(1 for t in corp.transfers if t["external_userid"] == e and t["kind"] == "onjob"
                         and t["created_at"] >= window and t["status"] in (1, 2))
            if cust is None:
                code = 40096
            elif handover not in cust["follow"]:
                code = 40131
            elif handover == takeover:
                code = 40130
            elif pending:
                code = 40100 if kind == "resigned" else 40129
            elif kind == "onjob" and recent >= int(corp.cfg["onjob_transfers_per_90_days"]):
                code = 40128
            else:
                code = 0
                corp.transfers.append({"kind": kind, "handover_userid": handover, "takeover_userid": takeover,
                                       "external_userid": e, "status": 2, "created_at": self.now,
                                       "takeover_time": self.now + DAY,
                                       "transfer_success_msg": body.get("transfer_success_msg")})
            out.append({"external_userid": e, "errcode": code})
        return {"customer": out}

    @api("POST", EC + "resigned/transfer_customer")
    def resigned_transfer(self, corp, q, body):
        return self._transfer(corp, body, "resigned")

    @api("POST", EC + "transfer_customer")
    def onjob_transfer(self, corp, q, body):
        return self._transfer(corp, body, "onjob")

    def _transfer_result(self, corp: WeComCorp, body: dict, kind: str) -> dict:
        self.tick()
        h, t = body.get("handover_userid"), body.get("takeover_userid")
        if not h or not t:
            raise bad("handover_userid and takeover_userid are required")
        latest: dict[str, dict] = {}
        for rec in corp.transfers:
            if rec["kind"] == kind and rec["handover_userid"] == h and rec["takeover_userid"] == t:
                latest[rec["external_userid"]] = rec
        rows = [{"external_userid": e, "status": r["status"],
                 "takeover_time": r["takeover_time"] if r["status"] in (1, 2) else 0} for e, r in latest.items()]
        chunk, nxt = page(rows, body.get("cursor"), int(corp.cfg["transfer_page_size"]))
        return {"customer": chunk, "next_cursor": nxt}

    @api("POST", EC + "resigned/transfer_result")
    def resigned_transfer_result(self, corp, q, body):
        return self._transfer_result(corp, body, "resigned")

    @api("POST", EC + "transfer_result")
    def onjob_transfer_result(self, corp, q, body):
        return self._transfer_result(corp, body, "onjob")

    def transfer_outcome(self, corpid: str, body: dict) -> dict:
        """Control: the customer refuses (3) or the takeover hits the customer limit (4)."""
        corp = self.app(corpid)
        status = int(body.get("status", 3))
        if status not in (3, 4):
            raise bad("status must be 3 (refused) or 4 (takeover limit)")
        pending = [t for t in corp.transfers if t["external_userid"] == body.get("external_userid")
                   and t["status"] == 2]
        if not pending:
            raise ApiError(40096, "no pending transfer for this external_userid")
        t = pending[-1]
        t["status"] = status
        self._emit(corp, {**self._head(corp, "change_external_contact", "transfer_fail"),
                          "UserID": t["takeover_userid"], "ExternalUserID": t["external_userid"],
                          "FailReason": "customer_refused" if status == 3 else "customer_limit_exceed"})
        return {"transfer": t}

    @api("POST", EC + "get_unassigned_list")
    def unassigned_list(self, corp, q, body):
        size = max(1, min(int(body.get("page_size") or 1000), 1000))
        rows = [{"handover_userid": u, "external_userid": e, "dimission_time": s["dimission_time"]}
                for u, s in corp.staff.items() if s["status"] == "resigned" for e in self._customers_of(corp, u)]
        cursor = body.get("cursor")
        if not cursor and body.get("page_id"):
            if int(body["page_id"]) * size >= 50000:
                raise bad("page_id*page_size must be below 50000, use cursor")
            cursor = str(int(body["page_id"]) * size)
        chunk, nxt = page(rows, cursor, size)
        return {"info": chunk, "is_last": not nxt, "next_cursor": nxt}

    # ------------------------------------------------------------------ group chats
    @api("POST", EC + "groupchat/list")
    def groupchat_list(self, corp, q, body):
        limit = body.get("limit")
        if not isinstance(limit, int) or not 1 <= limit <= 1000:
            raise bad("limit must be 1..1000")
        owners = (body.get("owner_filter") or {}).get("userid_list") or []
        if len(owners) > 100:
            raise bad("owner_filter.userid_list holds at most 100 userids")
        sf = body.get("status_filter", 0)
        chats = [{"chat_id": c, "status": g["status"]} for c, g in corp.groupchats.items()
                 if (not owners or g["owner"] in owners) and (sf == 0 and g["status"] != -1 or g["status"] == sf)]
        chunk, nxt = page(chats, body.get("cursor"), limit)
        return {"group_chat_list": chunk, "next_cursor": nxt}

    @api("POST", EC + "groupchat/get")
    def groupchat_get(self, corp, q, body):
        g = corp.groupchats.get(body.get("chat_id") or "")
        if g is None:
            raise ApiError(40050, "chatid not found")
        return {"group_chat": {k: v for k, v in g.items() if k != "status"}}

    def _chat_transfer(self, corp: WeComCorp, body: dict, resigned: bool) -> dict:
        ids = body.get("chat_id_list")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
            raise bad("chat_id_list must hold 1..100 chat ids")
        new_owner = body.get("new_owner")
        self._staff(corp, new_owner)
        failed = []
        for c in ids:
            g = corp.groupchats.get(c)
            owner = corp.staff.get(g["owner"], {}) if g else {}
            if g is None:
                err = (90501, "chat is not external group chat")
            elif resigned and owner.get("status") != "resigned":
                err = (90500, "the owner of this chat is not resigned")
            elif not resigned and owner.get("status") == "resigned":
                err = (90502, "the owner of this chat has resigned")
            elif g["owner"] == new_owner:
                err = (90504, "the owner of this chat is the new owner already")
            else:
                g["owner"] = new_owner
                continue
            failed.append({"chat_id": c, "errcode": err[0], "errmsg": err[1]})
        return {"failed_chat_list": failed}

    @api("POST", EC + "groupchat/transfer")
    def groupchat_transfer(self, corp, q, body):
        return self._chat_transfer(corp, body, resigned=True)

    @api("POST", EC + "groupchat/onjob_transfer")
    def groupchat_onjob_transfer(self, corp, q, body):
        return self._chat_transfer(corp, body, resigned=False)

    # ------------------------------------------------------------------ control: seeding and inspection
    def control_collection(self, corpid: str, kind: str, body: dict) -> dict:
        corp = self.app(corpid)
        if kind == "settings":
            for k in DEFAULT_SETTINGS:
                if k in body:
                    corp.cfg[k] = body[k]
            return {k: corp.cfg[k] for k in DEFAULT_SETTINGS}
        if not body:  # GET: list
            if kind == "staff":
                return {"staff": list(corp.staff.values())}
            if kind == "customers":
                return {"count": len(corp.customers), "external_userids": list(corp.customers)[:1000]}
            return {"groupchats": list(corp.groupchats.values())}
        if kind == "staff":
            return self._seed_staff(corp, body)
        if kind == "customers":
            owner = body.get("userid")
            self._ensure_staff(corp, owner)
            ids = body.get("external_userids") or ["wm" + rand_id(30) for _ in range(int(body.get("count", 1)))]
            for e in ids:
                self._add_follow(corp, e, owner, state=body.get("state", ""), add_way=int(body.get("add_way", 1)))
            return {"created": len(ids), "external_userids": ids}
        return self._seed_groupchats(corp, body)

    def _seed_staff(self, corp: WeComCorp, body: dict) -> dict:
        """Create or change members (`users`, or the body as one member)."""
        made = []
        for spec in body.get("users") or [body]:
            s = self._ensure_staff(corp, spec["userid"])
            for k in ("name", "department"):
                if k in spec:
                    s[k] = spec[k]
            status = spec.get("status", s["status"])
            if status not in ("active", "resigned"):
                raise bad("status must be active or resigned")
            if status == "resigned" and s["status"] != "resigned":
                s["dimission_time"] = self.now
            s["status"] = status
            made.append(dict(s))
        return {"staff": made}

    def _seed_groupchats(self, corp: WeComCorp, body: dict) -> dict:
        """`count` customer group chats owned by `owner`, with `external_userids` as members."""
        owner = body.get("owner")
        self._ensure_staff(corp, owner)
        ids = []
        for i in range(int(body.get("count", 1))):
            cid = "wr" + rand_id(30)
            members = [{"userid": owner, "type": 1, "join_time": self.now, "join_scene": 1}]
            members += [{"userid": e, "type": 2, "join_time": self.now, "join_scene": 1, "invitor": {"userid": owner}}
                        for e in body.get("external_userids") or []]
            corp.groupchats[cid] = {"chat_id": cid, "name": body.get("name") or f"客户群{i + 1}", "owner": owner,
                                    "create_time": self.now, "notice": "", "member_list": members,
                                    "admin_list": [], "member_version": rand_id(32), "status": 0}
            ids.append(cid)
        return {"created": len(ids), "chat_ids": ids}

    def customer_view(self, corpid: str, ext: str) -> dict:
        corp = self.app(corpid)
        cust = corp.customers.get(ext)
        if cust is None:
            raise ApiError(40096, "invalid external userid")
        return {**cust, "owners": list(cust["follow"]),
                "transfers": [t for t in corp.transfers if t["external_userid"] == ext],
                "welcome_codes": [{"code": c, **w} for c, w in corp.welcome_codes.items()
                                  if w["external_userid"] == ext]}

    # ------------------------------------------------------------------ simulated events
    CONTACT_EVENTS = ("add_external_contact", "add_half_external_contact", "edit_external_contact",
                      "del_external_contact", "del_follow_user", "transfer_fail")
    STAFF_EVENTS = ("delete_user", "update_user", "create_user")

    def event(self, corpid: str, spec: dict) -> tuple[WeComCorp, str, dict]:
        corp = self.app(corpid)
        kind = spec.get("type")
        extra: dict[str, Any] = {}
        if kind in self.CONTACT_EVENTS:
            fields = self._contact_event(corp, kind, spec, extra)
        elif kind in self.STAFF_EVENTS:
            fields = self._staff_event(corp, kind, spec, extra)
        elif kind == "change_external_chat":
            fields = self._chat_event(corp, kind, spec, extra)
        elif kind == "change_external_tag":
            fields = self._tag_event(corp, spec, extra)  # wecom_tags.py
        else:
            raise bad(f"unknown event type {kind!r}")
        fields["CreateTime"] = int(spec["create_time"]) if spec.get("create_time") else self.now
        # the event is built with UserID etc. in a stable order; WeChat does not promise any
        return corp, build_xml(fields), extra

    def _contact_event(self, corp: WeComCorp, kind: str, spec: dict, extra: dict) -> dict:
        """change_external_contact: a customer added, edited or deleted, or a transfer failed."""
        userid = spec.get("userid")
        ext = spec.get("external_userid")
        if not userid:
            raise bad("userid is required")
        head = self._head(corp, "change_external_contact", kind)
        fields = {**head, "UserID": userid}
        if kind.startswith("add_"):
            ext = self._customer_added(corp, spec, userid, ext, fields, extra)
        else:
            if not ext:
                raise bad("external_userid is required")
            fields["ExternalUserID"] = ext
            cust = corp.customers.get(ext)
            if kind == "edit_external_contact" and spec.get("state") is not None:
                fields["State"] = spec["state"]
            elif kind in ("del_external_contact", "del_follow_user") and cust:
                cust["follow"].pop(userid, None)
                if spec.get("source"):
                    fields["Source"] = spec["source"]
            elif kind == "transfer_fail":
                reason = spec.get("fail_reason", "customer_refused")
                fields["FailReason"] = reason
                for t in corp.transfers:
                    if t["external_userid"] == ext and t["status"] == 2:
                        t["status"] = 3 if reason == "customer_refused" else 4
        extra["external_userid"] = ext
        return fields

    def _customer_added(self, corp: WeComCorp, spec: dict, userid: str, ext: str | None, fields: dict,
                        extra: dict) -> str:
        """The add of a customer (its follow, state, unionid and a welcome code); returns its external_userid."""
        self._ensure_staff(corp, userid)
        ext = ext or "wm" + rand_id(30)
        state = spec.get("state")
        if state is None and spec.get("config_id") in corp.contact_ways:
            state = corp.contact_ways[spec["config_id"]]["state"]
        self._add_follow(corp, ext, userid, state=state or "", add_way=int(spec.get("add_way", 1)),
                         name=spec.get("name"))
        if spec.get("unionid"):  # the customer's WeChat unionid, as externalcontact/get reports it
            corp.customers[ext]["unionid"] = spec["unionid"]
        fields.update(ExternalUserID=ext, State=state or "")
        if spec.get("welcome", True):
            code = rand_id(43)
            corp.welcome_codes[code] = {"userid": userid, "external_userid": ext, "used": False,
                                        "expires_at": self.sb.clock.now() + float(corp.cfg["welcome_code_ttl"])}
            fields["WelcomeCode"] = code
            extra["welcome_code"] = code
        return ext

    def _staff_event(self, corp: WeComCorp, kind: str, spec: dict, extra: dict) -> dict:
        """change_contact: a member created, updated or deleted."""
        userid = spec.get("userid")
        if not userid:
            raise bad("userid is required")
        fields = {**self._head(corp, "change_contact", kind), "UserID": userid}
        s = self._ensure_staff(corp, userid)
        if kind == "delete_user":
            s.update(status="resigned", dimission_time=self.now)
        else:
            if spec.get("name"):
                s["name"] = fields["Name"] = spec["name"]
            if spec.get("department"):
                s["department"] = spec["department"]
                fields["Department"] = ",".join(map(str, spec["department"]))
            if spec.get("new_userid"):
                fields["NewUserID"] = spec["new_userid"]
            if spec.get("status") is not None:
                fields["Status"] = spec["status"]
        return fields

    def _chat_event(self, corp: WeComCorp, kind: str, spec: dict, extra: dict) -> dict:
        """change_external_chat: a customer group chat created, updated or dismissed."""
        userid = spec.get("userid")
        change = spec.get("change_type", "update")
        chat_id = spec.get("chat_id") or "wr" + rand_id(30)
        fields = {**self._head(corp, "change_external_chat", change), "ChatId": chat_id}
        if change == "create" and chat_id not in corp.groupchats:
            owner = spec.get("owner") or userid or "owner"
            self._ensure_staff(corp, owner)
            corp.groupchats[chat_id] = {"chat_id": chat_id, "name": spec.get("name", "客户群"), "owner": owner,
                                        "create_time": self.now, "notice": "", "admin_list": [],
                                        "member_list": [{"userid": owner, "type": 1, "join_time": self.now,
                                                         "join_scene": 1}],
                                        "member_version": rand_id(32), "status": 0}
        elif change == "dismiss":
            corp.groupchats.pop(chat_id, None)
        elif change == "update":
            members = spec.get("members") or []
            fields.update(UpdateDetail=spec.get("update_detail", "add_member"),
                          JoinScene=spec.get("join_scene", 0), QuitScene=spec.get("quit_scene", 0),
                          MemChangeCnt=len(members), MemChangeList=members or None,
                          LastMemVer=rand_id(32), CurMemVer=rand_id(32))
        extra["chat_id"] = chat_id
        return fields


def _check_msg_template(body: dict, chat_type: str) -> None:
    """add_msg_template's refusals of the message itself (errcode 40058, via `bad`)."""
    if chat_type not in ("single", "group"):
        raise bad("chat_type must be single or group")
    _check_message(body)


def _check_message(body: dict) -> None:
    """A welcome or group message: text and/or at most 9 attachments, text at most 4000 bytes."""
    if not body.get("text") and not body.get("attachments"):
        raise bad("text or attachments required")
    if len((body.get("text") or {}).get("content", "").encode("utf-8")) > 4000:
        raise bad("text.content exceeds 4000 bytes")
    if len(body.get("attachments") or []) > 9:
        raise bad("at most 9 attachments")
