"""A group code's pool of groups, changed after the code was made: by an admin (groups added at the end, removed,
a new cap) and by WeCom itself (a room `auto_create_room` made when the code's groups were full).

Admin change, nothing lost on a refusal: every chat id is checked first (a group we know must be live; one we have
not seen is asked of WeCom, `groupchat/get`, https://developer.work.weixin.qq.com/document/path/92122), then the
added groups are reserved for this code (a group belongs to one code), then the channel's definition is written
over the version it was read at, then the code is rotated (codes.rotate: `update_join_way`,
https://developer.work.weixin.qq.com/document/path/92229, only when the set of groups it shows changes). A failure
at any step undoes the steps before it: the stored pool, the reservations and the code stay as they were.

An auto-created room: WeCom adds it to the join way's chat_id_list itself and its members carry the code's
`state`. The first event that shows a member who came by the code into a group outside any pool, a group the join
way lists (`groupchat/get_join_way`: not a late join into a group an admin took out), adds the group to the code's
pool (and to the groups the code shows) once: the group's reservation is a conditional create (one
code, once) and the channel's write is conditional on its version (a redelivery finds the group already in).
"""

from __future__ import annotations

from datetime import UTC, datetime

from ... import bootstrap
from ...contracts import parse
from ...contracts.channels import MAX_POOL
from ...contracts.groups import GroupPoolChange
from ...errors import Conflict, ValidationError, WeChatBusy, WeChatError, WeChatRateLimited
from ...tenancy import Scope
from ..channels import common

MAX_ATTEMPTS = 5


def _check_added(scope: Scope, account_id: str, chat_ids: list[str]) -> None:
    """Each added chat id is a live customer group of the corp (a 400 naming add[i] otherwise)."""
    known = bootstrap.group_store().get_groups(scope, account_id, chat_ids)
    gateway = None
    for i, chat_id in enumerate(chat_ids):
        group = known.get(chat_id)
        if group is not None:
            if group.get("status") == "dismissed":
                raise ValidationError(f"add[{i}]: group {chat_id!r} was dismissed", field=f"add[{i}]")
            continue
        gateway = gateway or common.gateway_of(common.account_of(account_id))
        try:
            gateway.group_chat(chat_id)  # groupchat/get: 92122
        except (WeChatBusy, WeChatRateLimited):
            raise
        except WeChatError as exc:  # 40050 and the like: not a customer group of the corp visible to us
            raise ValidationError(f"add[{i}]: WeCom knows no customer group {chat_id!r} ({exc.errcode})",
                                  field=f"add[{i}]") from None


def _new_pool(pool: list[str], change: GroupPoolChange) -> list[str]:
    for i, chat_id in enumerate(change.remove):
        if chat_id not in pool:
            raise ValidationError(f"remove[{i}]: {chat_id!r} is not in the code's pool", field=f"remove[{i}]")
    for i, chat_id in enumerate(change.add):
        if chat_id in pool:
            raise ValidationError(f"add[{i}]: {chat_id!r} is already in the code's pool", field=f"add[{i}]")
    out = [c for c in pool if c not in change.remove] + list(change.add)
    if not out:
        raise ValidationError("remove: a group code keeps at least one group", field="remove")
    if len(out) > MAX_POOL:
        raise ValidationError(f"add: a pool holds at most {MAX_POOL} groups ({len(out)} asked)", field="add")
    return out


def _reserve(scope: Scope, account_id: str, channel_id: str, chat_ids: list[str]) -> None:
    store, taken = common.store(), []
    for i, chat_id in enumerate(chat_ids):
        if not store.reserve_scene(scope, account_id, "gc", chat_id, channel_id):
            for done in taken:
                store.release_scene(scope, account_id, "gc", done)
            raise Conflict(f"add[{i}]: group {chat_id!r} already belongs to another group code")
        taken.append(chat_id)


def _release(scope: Scope, account_id: str, chat_ids: list[str]) -> None:
    for chat_id in chat_ids:
        common.store().release_scene(scope, account_id, "gc", chat_id)


def change_pool(scope: Scope, account_id: str, channel_id: str, body: dict, now: float) -> dict:
    from ..channels.admin import get_channel
    from ..channels.common import forget_cache
    from .codes import rotate

    scope.check(account_id)
    change = parse(GroupPoolChange, body)
    channel = common.load(account_id, channel_id, scope)
    if channel["kind"] != "wecom_group":
        raise ValidationError("channel_id: only a group code (wecom_group) has a pool of groups", field="channel_id")
    if channel["status"] != "active":
        raise Conflict(f"channel {channel_id} is archived")
    before = channel["definition"]
    pool = _new_pool(list(before.get("chat_ids") or []), change)
    _check_added(scope, account_id, list(change.add))
    _reserve(scope, account_id, channel_id, list(change.add))
    defn = {**before, "chat_ids": pool, "group_cap": change.group_cap or before.get("group_cap") or 100}
    version = channel["version"] or 1
    channel.update(definition=defn, version=version + 1, updated_at=datetime.fromtimestamp(now, UTC))
    if not common.store().replace_channel(scope, channel, version):
        _release(scope, account_id, list(change.add))
        raise Conflict(f"channel {channel_id} changed meanwhile; read it again and retry")
    forget_cache()
    try:
        rotate(account_id, channel_id, now)
    except BaseException:  # WeCom refused the new set: the pool goes back (rotate gave the code's set back)
        _put_back(scope, account_id, channel_id, before)
        _release(scope, account_id, list(change.add))
        forget_cache()
        raise
    _release(scope, account_id, list(change.remove))
    forget_cache()
    return get_channel(scope, account_id, channel_id)


def _put_back(scope: Scope, account_id: str, channel_id: str, definition: dict) -> None:
    for _attempt in range(MAX_ATTEMPTS):
        channel = common.load(account_id, channel_id)
        version = channel["version"] or 1
        channel.update(definition=definition, version=version + 1)
        if common.store().replace_channel(scope, channel, version):
            return


def adopt_auto_room(account_id: str, group: dict, change) -> None:
    """Membership hook: members who came by a code's state into a group outside every pool: WeCom made it for the
    code (auto_create_room); it joins the code's pool, once."""
    from ..channels.common import forget_cache
    from ..channels.resolve import definition, resolve

    chat_id = group["chat_id"]
    channels = {m.get("channel_id") for m in change.joins if m.get("channel_id")}
    if not channels or group.get("status") == "dismissed" or resolve(account_id, "gc", chat_id):
        return
    for channel_id in sorted(channels):
        defn = definition(account_id, channel_id) or {}
        if defn.get("kind") != "wecom_group" or not defn.get("auto_create_room") or defn.get("status") != "active":
            continue
        scope = Scope.system(account_id)
        if not _on_join_way(account_id, channel_id, chat_id):
            continue  # a late join into a group taken out of the pool: WeCom's join way no longer has it
        if not common.store().reserve_scene(scope, account_id, "gc", chat_id, channel_id):
            return  # another code or an earlier delivery has it
        if not _append(scope, account_id, channel_id, chat_id):
            common.store().release_scene(scope, account_id, "gc", chat_id)
        forget_cache()
        return


def _on_join_way(account_id: str, channel_id: str, chat_id: str) -> bool:
    """Whether WeCom's join way of the code lists the group (groupchat/get_join_way: WeCom adds the rooms it makes
    to chat_id_list, https://developer.work.weixin.qq.com/document/path/92229)."""
    channel = common.load(account_id, channel_id)
    if not channel.get("config_id"):
        return False
    gateway = common.gateway_of(common.account_of(account_id, allow_disabled=True))
    way = gateway.post("externalcontact/groupchat/get_join_way", {"config_id": channel["config_id"]})
    return chat_id in ((way.get("join_way") or {}).get("chat_id_list") or [])


def _append(scope: Scope, account_id: str, channel_id: str, chat_id: str) -> bool:
    for _attempt in range(MAX_ATTEMPTS):
        channel = common.load(account_id, channel_id)
        defn = channel["definition"]
        pool = list(defn.get("chat_ids") or [])
        if chat_id in pool:
            return True
        if len(pool) >= MAX_POOL:
            return False  # the pool is full: the room stays WeCom's alone
        on_code = list(dict.fromkeys([*(channel["users"] or []), chat_id]))  # WeCom put it on the join way
        version = channel["version"] or 1
        channel.update(definition={**defn, "chat_ids": [*pool, chat_id]}, users=on_code, version=version + 1)
        if common.store().replace_channel(scope, channel, version):
            return True
    raise Conflict(f"channel {channel_id} kept changing while adding {chat_id}; the event is retried")
