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


for _fn in (groupchat_add_join_way, groupchat_get_join_way, groupchat_update_join_way, groupchat_del_join_way):
    setattr(WeComPlatform, _fn.__name__, _fn)
