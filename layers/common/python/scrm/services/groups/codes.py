"""Group codes (群活码): a channel of kind `wecom_group` is a WeCom join way (加入群聊, scene 2: a QR code) over the
first groups of its pool that are under the company's cap; when a group reaches the cap (known from membership events)
or is dismissed, the code moves to the next groups of the pool.

WeCom: `externalcontact/groupchat/add_join_way` / `get_join_way` / `update_join_way` / `del_join_way`
(https://developer.work.weixin.qq.com/document/path/92229): chat_id_list of at most 5, auto_create_room with
room_base_name / room_base_id, state ≤ 30 characters (members who join by the code carry it in groupchat/get).

Exactly once per change: the groups the code shows are stored on the channel (`users`), and a rotation first
claims the new set with a write conditional on the channel's version, then calls update_join_way; of many workers
seeing the cap at once, one wins the claim and calls WeCom, the others find the set already changed. A failed call
gives the claim back (conditional on the claim's version) and raises, so the event's retry tries again.
"""

from __future__ import annotations

import time

from ... import bootstrap
from ...domain import groups as rules
from ...tenancy import Scope
from ..channels import common
from ..channels.resolve import definition, resolve

JOIN_WAY_DOC = "https://developer.work.weixin.qq.com/document/path/92229"


def join_way_body(defn: dict, chat_ids: list[str], state: str) -> dict:
    body = {"scene": 2, "remark": defn["name"][:30], "auto_create_room": 1 if defn.get("auto_create_room") else 0,
            "chat_id_list": list(chat_ids), "state": state}
    if defn.get("auto_create_room"):
        if defn.get("room_base_name"):
            body["room_base_name"] = defn["room_base_name"]
        if defn.get("room_base_id"):
            body["room_base_id"] = defn["room_base_id"]
    return body


def wanted_groups(account_id: str, defn: dict) -> list[str]:
    pool = defn.get("chat_ids") or []
    groups = bootstrap.group_store().get_groups(Scope.system(account_id), account_id, pool)
    return rules.in_code(pool, groups, int(defn.get("group_cap") or 100))


def create_join_way(gateway, account_id: str, defn: dict, state: str, now: float) -> dict:
    """The join way of a new channel, over the groups that are open now; the channel's fields it fills."""
    chat_ids = wanted_groups(account_id, defn) or defn["chat_ids"][:rules.MAX_CODE_GROUPS]
    res = gateway.post("externalcontact/groupchat/add_join_way", join_way_body(defn, chat_ids, state))
    config_id = res["config_id"]
    way = gateway.post("externalcontact/groupchat/get_join_way", {"config_id": config_id}).get("join_way") or {}
    return {"config_id": config_id, "qr_code": way.get("qr_code"), "users": chat_ids, "users_updated_at": int(now)}


def delete_join_way(gateway, config_id: str) -> None:
    from ...errors import WeChatError

    try:
        gateway.post("externalcontact/groupchat/del_join_way", {"config_id": config_id})
    except WeChatError as exc:
        if exc.errcode != 41044:  # already gone
            raise


def rotate(account_id: str, channel_id: str, now: float | None = None, *, only_if_full: bool = False) -> bool:
    """Put the pool's open groups on the code if that set changed; whether update_join_way was called.
    `only_if_full`: only when every group on the code now is at the cap (the pool had run out and a leave reopened
    a group: the code goes back to it instead of filling its last group past the cap)."""
    now = time.time() if now is None else now
    channel = common.load(account_id, channel_id)
    if channel["kind"] != "wecom_group" or channel["status"] != "active" or not channel["config_id"]:
        return False
    defn = channel["definition"]
    current = list(channel["users"] or [])
    pool = defn.get("chat_ids") or []
    groups = bootstrap.group_store().get_groups(Scope.system(account_id), account_id, pool)
    cap = int(defn.get("group_cap") or 100)
    if only_if_full and any(int((groups.get(c) or {}).get("size") or 0) < cap for c in current):
        return False
    wanted = rules.in_code(pool, groups, cap, current=current)
    if not rules.needs_rotation(current, wanted):
        return False
    store, scope, version = common.store(), Scope.system(account_id), channel["version"] or 1
    if not store.update_channel(scope, account_id, channel_id, {"users": wanted, "users_updated_at": int(now),
                                                               "version": version + 1}, expect_version=version):
        return False  # another worker claimed this change (or the channel changed): it calls WeCom
    try:
        common.gateway_of(common.account_of(account_id)).post("externalcontact/groupchat/update_join_way", {
            "config_id": channel["config_id"], **join_way_body(defn, wanted, channel["scene"])})
    except BaseException:
        store.update_channel(scope, account_id, channel_id, {"users": current, "version": version + 2},
                             expect_version=version + 1)
        raise
    return True


def on_group_change(account_id: str, group: dict, change) -> None:
    """Membership hook: a group of a code's pool reached the cap or was dismissed → rotate that code."""
    channel_id = resolve(account_id, "gc", group["chat_id"])
    defn = definition(account_id, channel_id) if channel_id else None
    if not defn or defn.get("kind") != "wecom_group" or defn.get("status") != "active":
        return
    now = bootstrap.container().now()
    if group.get("status") == "dismissed" or int(group.get("size") or 0) >= int(defn.get("group_cap") or 100):
        rotate(account_id, channel_id, now)
    elif change.quits:
        rotate(account_id, channel_id, now, only_if_full=True)


def _register() -> None:
    from .membership import after_change
    from .pool import adopt_auto_room

    for hook in (on_group_change, adopt_auto_room):
        if hook not in after_change:
            after_change.append(hook)


_register()
