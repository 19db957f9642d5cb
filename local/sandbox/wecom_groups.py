"""WeCom customer group codes (客户群「加入群聊」管理) and customers joining, leaving and groups dismissed, as the
sandbox plays them. Registered onto WeComPlatform (wecom.py) at import; server.py wires one control route.

Official shapes copied here (https://developer.work.weixin.qq.com/document/path/92229):
- `groupchat/add_join_way {scene 1|2, remark ≤30, auto_create_room 0|1 (default 1), room_base_name ≤40,
  room_base_id, chat_id_list (≤5), state ≤30}` → `{config_id}`;
- `groupchat/get_join_way {config_id}` → `{join_way: {config_id, scene, remark, auto_create_room, room_base_name,
  room_base_id, chat_id_list, qr_code (scene 2), state}}`;
- `groupchat/update_join_way` (the whole configuration again), `groupchat/del_join_way {config_id}` → `{}`;
- a member who joined by a join way carries its `state` in groupchat/get's member_list (the page's appendix).
Errcodes: 40058 invalid parameter (bad scene, more than 5 chat ids, state or remark too long), 41043 missing
config_id, 41044 invalid config_id, 40050 an unknown chat id (as groupchat/get answers it).

Group welcome templates (入群欢迎语素材管理, https://developer.work.weixin.qq.com/document/path/92366):
- `group_welcome_template/add {text{content ≤3000 bytes}, image{media_id|pic_url}, link{title ≤128 bytes, picurl,
  desc ≤512 bytes, url}, miniprogram{title ≤64 bytes, pic_media_id, appid, page}, file, video, agentid, notify}` →
  `{template_id}`; at most 100 templates a corp; text, image, link, miniprogram, file, video not all empty;
- `group_welcome_template/edit {template_id, ...the same}` → `{}` (the fields given replace the stored ones);
- `group_welcome_template/get {template_id}` → `{text, image, link, miniprogram, file, video}`;
- `group_welcome_template/del {template_id, agentid}` → `{}`.
Errcodes: 40058 invalid parameter (nothing given, a field too long, a link without title/url, an unknown
template_id or none: the page names no dedicated code).

Customers' actions (control API): `scan` a join way's code puts the customer into the first group of its
chat_id_list with fewer than 200 members (WeCom's own limit), or into a new group when they are all full and
auto_create_room is on, and sends the `change_external_chat` update/add_member callback (JoinScene 3);
`leave` sends update/del_member (QuitScene 0); `dismiss` sends dismiss.
"""

from __future__ import annotations

import uuid
from typing import Any

from .core import ApiError, rand_id
from .wecom import EC, WeComPlatform, api, bad

GROUP_LIMIT = 200


def _ways(corp) -> dict:
    if not hasattr(corp, "join_ways"):
        corp.join_ways = {}
    return corp.join_ways


def _check(corp, w: dict) -> None:
    if w.get("scene") not in (1, 2):
        raise bad("scene must be 1 or 2")
    if len(w.get("remark") or "") > 30:
        raise bad("remark exceeds 30 characters")
    if len(w.get("state") or "") > 30:
        raise bad("state exceeds 30 characters")
    if len(w.get("room_base_name") or "") > 40:
        raise bad("room_base_name exceeds 40 characters")
    ids = w.get("chat_id_list")
    if not isinstance(ids, list) or len(ids) > 5 or (not ids and not w.get("auto_create_room")):
        raise bad("chat_id_list must hold 1..5 chat ids")
    for c in ids:
        if c not in corp.groupchats:
            raise ApiError(40050, f"chatid not found: {c}")


def _join_way(platform, corp, body: dict, config_id: str) -> dict:
    base = platform.sb.public_url or "http://127.0.0.1:8089"
    w = {"config_id": config_id, "scene": body.get("scene"), "remark": body.get("remark", ""),
         "auto_create_room": int(body.get("auto_create_room", 1)), "room_base_name": body.get("room_base_name", ""),
         "room_base_id": int(body.get("room_base_id") or 1), "chat_id_list": list(body.get("chat_id_list") or []),
         "state": body.get("state", "")}
    if w["scene"] == 2:
        w["qr_code"] = f"{base}/wecom/qr/{config_id}.png"
    _check(corp, w)
    return w


def _way(corp, config_id: Any) -> dict:
    if not config_id:
        raise ApiError(41043, "missing config_id")
    if config_id not in _ways(corp):
        raise ApiError(41044, "invalid config_id")
    return _ways(corp)[config_id]


@api("POST", EC + "groupchat/add_join_way")
def groupchat_add_join_way(self, corp, q, body):
    config_id = uuid.uuid4().hex
    _ways(corp)[config_id] = _join_way(self, corp, body, config_id)
    return {"config_id": config_id}


@api("POST", EC + "groupchat/get_join_way")
def groupchat_get_join_way(self, corp, q, body):
    return {"join_way": dict(_way(corp, body.get("config_id")))}


@api("POST", EC + "groupchat/update_join_way")
def groupchat_update_join_way(self, corp, q, body):
    old = _way(corp, body.get("config_id"))
    _ways(corp)[old["config_id"]] = _join_way(self, corp, {**old, **body}, old["config_id"])
    return {}


@api("POST", EC + "groupchat/del_join_way")
def groupchat_del_join_way(self, corp, q, body):
    _way(corp, body.get("config_id"))
    del _ways(corp)[body["config_id"]]
    return {}


# ---- group welcome templates (92366)

TEMPLATE_PARTS = ("text", "image", "link", "miniprogram", "file", "video")
MAX_TEMPLATES = 100
_LIMITS = {("text", "content"): 3000, ("link", "title"): 128, ("link", "desc"): 512, ("miniprogram", "title"): 64}
_REQUIRED = {"link": ("title", "url"), "miniprogram": ("title", "pic_media_id", "appid", "page"),
             "file": ("media_id",), "video": ("media_id",)}


def _templates(corp) -> dict:
    if not hasattr(corp, "group_welcome_templates"):
        corp.group_welcome_templates = {}
    return corp.group_welcome_templates


def _template_parts(body: dict) -> dict:
    parts = {k: dict(body[k]) for k in TEMPLATE_PARTS if isinstance(body.get(k), dict) and body[k]}
    for (part, key), limit in _LIMITS.items():
        if len(str((parts.get(part) or {}).get(key) or "").encode("utf-8")) > limit:
            raise bad(f"{part}.{key} exceeds {limit} bytes")
    for part, keys in _REQUIRED.items():
        if part in parts and not all(parts[part].get(k) for k in keys):
            raise bad(f"{part} needs {', '.join(keys)}")
    if "image" in parts and not (parts["image"].get("media_id") or parts["image"].get("pic_url")):
        raise bad("image needs media_id or pic_url")
    if "image" in parts and parts["image"].get("media_id") and not parts["image"].get("pic_url"):
        parts["image"]["pic_url"] = f"https://wework.qpic.cn/wwpic/{parts['image']['media_id']}/0"
    return parts


def _template(corp, template_id) -> dict:
    if not template_id or template_id not in _templates(corp):
        raise bad("invalid template_id")
    return _templates(corp)[template_id]


@api("POST", EC + "group_welcome_template/add")
def group_welcome_template_add(self, corp, q, body):
    parts = _template_parts(body)
    if not parts:
        raise bad("text, image, link, miniprogram, file, video are all empty")
    if len(_templates(corp)) >= MAX_TEMPLATES:
        raise bad(f"the corp holds {MAX_TEMPLATES} group welcome templates")
    template_id = "msg" + rand_id(29)
    _templates(corp)[template_id] = parts
    return {"template_id": template_id}


@api("POST", EC + "group_welcome_template/edit")
def group_welcome_template_edit(self, corp, q, body):
    stored = _template(corp, body.get("template_id"))
    stored.update(_template_parts(body))
    return {}


@api("POST", EC + "group_welcome_template/get")
def group_welcome_template_get(self, corp, q, body):
    return {k: dict(v) for k, v in _template(corp, body.get("template_id")).items()}


@api("POST", EC + "group_welcome_template/del")
def group_welcome_template_del(self, corp, q, body):
    _template(corp, body.get("template_id"))
    del _templates(corp)[body["template_id"]]
    return {}


def _new_room(platform, corp, w: dict, owner: str) -> str:
    cid = "wr" + rand_id(30)
    name = f"{w['room_base_name'] or '客户群'}{w['room_base_id']}"
    w["room_base_id"] += 1
    corp.groupchats[cid] = {"chat_id": cid, "name": name, "owner": owner, "create_time": platform.now, "notice": "",
                            "member_list": [{"userid": owner, "type": 1, "join_time": platform.now, "join_scene": 1}],
                            "admin_list": [], "member_version": rand_id(32), "status": 0}
    w["chat_id_list"].append(cid)
    return cid


def _update(platform, corp, chat_id: str, detail: str, userid: str, scene_field: str, scene: int) -> dict:
    return {**platform._head(corp, "change_external_chat", "update"), "ChatId": chat_id, "UpdateDetail": detail,
            scene_field: scene, "MemChangeCnt": 1, "MemChangeList": [userid], "LastMemVer": rand_id(32),
            "CurMemVer": rand_id(32)}


def scan(platform, corp, body: dict) -> dict:
    """A customer scans a join way's code: which group they land in, and the callback's fields."""
    w = _way(corp, body.get("config_id"))
    ext = body.get("external_userid") or "wm" + rand_id(30)
    target = next((c for c in w["chat_id_list"] if c in corp.groupchats
                   and len(corp.groupchats[c]["member_list"]) < GROUP_LIMIT), None)
    if target is None:
        if not w["auto_create_room"]:
            raise ApiError(90503, "all the groups of the join way are full")
        owner = corp.groupchats[w["chat_id_list"][0]]["owner"] if w["chat_id_list"] else "owner"
        target = _new_room(platform, corp, w, owner)
    g = corp.groupchats[target]
    member = {"userid": ext, "type": 2, "join_time": platform.now, "join_scene": 3, "group_nickname": "",
              "invitor": {"userid": g["owner"]}}
    if w["state"]:
        member["state"] = w["state"]
    g["member_list"].append(member)
    g["member_version"] = rand_id(32)
    return {"fields": _update(platform, corp, target, "add_member", ext, "JoinScene", 3),
            "chat_id": target, "external_userid": ext, "size": len(g["member_list"])}


def leave(platform, corp, body: dict) -> dict:
    chat_id, userid = body.get("chat_id"), body.get("userid")
    g = corp.groupchats.get(chat_id or "")
    if g is None:
        raise ApiError(40050, "chatid not found")
    if not userid:
        raise bad("userid is required")
    g["member_list"] = [m for m in g["member_list"] if m["userid"] != userid]
    g["member_version"] = rand_id(32)
    fields = _update(platform, corp, chat_id, "del_member", userid, "QuitScene", int(body.get("quit_scene", 0)))
    return {"fields": fields, "chat_id": chat_id, "size": len(g["member_list"])}


def dismiss(platform, corp, body: dict) -> dict:
    chat_id = body.get("chat_id")
    if corp.groupchats.pop(chat_id or "", None) is None:
        raise ApiError(40050, "chatid not found")
    return {"fields": {**platform._head(corp, "change_external_chat", "dismiss"), "ChatId": chat_id},
            "chat_id": chat_id}


ACTIONS = {"scan": scan, "leave": leave, "dismiss": dismiss}


def act(platform, corpid: str, action: str, body: dict) -> tuple[Any, str, dict]:
    """(corp, the callback's XML, what happened) of a customer's action on a group (under the sandbox lock)."""
    from .callbacks import build_xml

    if action not in ACTIONS:
        raise bad(f"unknown group action {action!r}")
    corp = platform.app(corpid)
    out = ACTIONS[action](platform, corp, body)
    fields = out.pop("fields")
    return corp, build_xml(fields), out


def join_way_of(platform, corpid: str, config_id: str) -> dict:
    return dict(_way(platform.app(corpid), config_id))


for _fn in (groupchat_add_join_way, groupchat_get_join_way, groupchat_update_join_way, groupchat_del_join_way,
            group_welcome_template_add, group_welcome_template_edit, group_welcome_template_get,
            group_welcome_template_del):
    setattr(WeComPlatform, _fn.__name__, _fn)
