"""Customer groups (客户群): membership from `change_external_chat` events, and which groups a group code (加入群聊)
shows. Pure rules, no AWS and no WeChat.

WeCom's documents this follows:
- 客户群变更事件 (create / update with UpdateDetail add_member, del_member, change_owner, change_name, change_notice /
  dismiss; JoinScene 0 invited (directly or by link), 3 by the group's QR code; QuitScene 0 left, 1 removed;
  MemChangeList the userids): https://developer.work.weixin.qq.com/document/path/92130
- 获取客户群详情 `externalcontact/groupchat/get` (member_list[{userid, type, join_time, join_scene, invitor{userid},
  state}] — `state` is the join way's state the member came in by): https://developer.work.weixin.qq.com/document/path/92122
- 客户群「加入群聊」管理 (add_join_way: chat_id_list of at most 5, auto_create_room, room_base_name, room_base_id,
  state ≤ 30 characters): https://developer.work.weixin.qq.com/document/path/92229

A group is {chat_id, name, owner, status (active | dismissed), size, version, created_at, updated_at}; a member is
{chat_id, userid, type, join_scene, invitor, join_time, quit_time, quit_scene, state, channel_id, in_group}.

The rules that keep figures exact whatever order events arrive in:
- `size` changes only when a member's `in_group` flips: a join of someone already in adds nothing, a leave of someone
  not in takes nothing away, so the size never goes negative and a member is never counted twice;
- a leave that arrives before the join it follows (the join event is still on its way) is recorded as a member
  who is out, with their quit time; the late join, older than that quit, fills in how they joined and leaves them
  out (and uncounted);
- a group seen for the first time is taken from groupchat/get as it stands (its members as of that answer).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .channels import day_of

MAX_CODE_GROUPS = 5  # chat_id_list of add_join_way: "支持5个"
WECOM_GROUP_LIMIT = 200  # a customer group's members WeCom allows through a join way (then auto_create_room)
UPDATE_DETAILS = ("add_member", "del_member", "change_owner", "change_name", "change_notice")


@dataclass
class Change:
    """What one event does: the group as it will be, the member items to write, the day's figures, the joins and
    quits that count (for channel statistics)."""

    group: dict
    members: list[dict] = field(default_factory=list)
    joins: list[dict] = field(default_factory=list)
    quits: list[dict] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.members and not self.joins and not self.quits


def new_group(chat_id: str, t: int) -> dict:
    return {"chat_id": chat_id, "name": None, "owner": None, "status": "active", "size": 0, "version": 0,
            "created_at": t, "updated_at": t, "dismissed_at": None}


def member_from(chat_id: str, info: dict, t: int) -> dict:
    """A member as groupchat/get lists them (or, without `info` fields, as the event alone tells)."""
    invitor = info.get("invitor") or {}
    return {"chat_id": chat_id, "userid": info["userid"], "type": int(info.get("type") or 2),
            "join_scene": int(info["join_scene"]) if info.get("join_scene") is not None else None,
            "invitor": invitor.get("userid") if isinstance(invitor, dict) else None,
            "join_time": int(info.get("join_time") or t), "quit_time": None, "quit_scene": None,
            "state": info.get("state") or None, "channel_id": None, "in_group": False}


def _join(change: Change, member: dict, existing: dict | None) -> None:
    if existing is not None and existing.get("in_group"):
        return  # already in: counted once
    if existing is not None and existing.get("quit_time") and existing["quit_time"] >= member["join_time"]:
        # they left after this join and the leave was recorded first: fill in how they came, stay out
        merged = {**member, "in_group": False, "quit_time": existing["quit_time"],
                  "quit_scene": existing.get("quit_scene")}
        if merged != existing:
            change.members.append(merged)
        return
    member = {**member, "in_group": True, "quit_time": None, "quit_scene": None}
    change.members.append(member)
    change.joins.append(member)
    change.group["size"] += 1


def _quit(change: Change, chat_id: str, userid: str, existing: dict | None, t: int, scene) -> None:
    if existing is None:  # left before we saw them join: remembered as out, never counted
        change.members.append({**member_from(chat_id, {"userid": userid}, t), "join_time": None,
                               "quit_time": t, "quit_scene": scene})
        return
    if existing.get("in_group") and (existing.get("join_time") or 0) > t:
        return  # a leave older than their current stay (a redelivery after they came back): nothing to do
    if not existing.get("in_group"):
        if (existing.get("quit_time") or 0) < t:
            change.members.append({**existing, "quit_time": t, "quit_scene": scene})
        return
    member = {**existing, "in_group": False, "quit_time": t, "quit_scene": scene}
    change.members.append(member)
    change.quits.append(member)
    change.group["size"] = max(0, change.group["size"] - 1)


def baseline(group: dict, details: dict, known: dict[str, dict], t: int) -> Change:
    """A group seen for the first time, from groupchat/get's answer: every listed member joins."""
    change = Change(group={**group, **_header(details)})
    for info in details.get("member_list") or []:
        if isinstance(info, dict) and info.get("userid"):
            _join(change, member_from(group["chat_id"], info, t), known.get(info["userid"]))
    return change


def _header(details: dict) -> dict:
    out = {}
    for key in ("name", "owner"):
        if details.get(key) is not None:
            out[key] = details[key]
    return out


def apply_update(change: Change, event: dict, details: dict | None, known: dict[str, dict], t: int) -> Change:
    """An `update` event on top of `change` (the group as stored, or as its baseline)."""
    detail = event.get("UpdateDetail") or ""
    chat_id = change.group["chat_id"]
    listed = {m["userid"]: m for m in (details or {}).get("member_list") or [] if isinstance(m, dict)
              and m.get("userid")}
    current = {**known, **{m["userid"]: m for m in change.members}}
    userids = list(dict.fromkeys(u for u in event.get("MemChangeList") or [] if isinstance(u, str) and u))
    if detail == "add_member":
        scene = _int(event.get("JoinScene"))
        for userid in userids:
            info = listed.get(userid) or {"userid": userid, "join_scene": scene, "join_time": t}
            _join(change, member_from(chat_id, info, t), current.get(userid))
    elif detail == "del_member":
        scene = _int(event.get("QuitScene"))
        for userid in userids:
            _quit(change, chat_id, userid, current.get(userid), t, scene)
    elif details:  # change_owner / change_name / change_notice: what groupchat/get says now
        change.group.update(_header(details))
    return change


def dismiss(group: dict, t: int) -> Change:
    return Change(group={**group, "status": "dismissed", "dismissed_at": t, "size": 0})


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def day_figures(change: Change, before_size: int, t: int) -> dict:
    """The (group, day) figures this change adds: joins, quits, and the size at the end of it."""
    return {"day": day_of(t), "joins": len(change.joins), "quits": len(change.quits),
            "size": change.group["size"], "changed": change.group["size"] != before_size}


# ---- group codes: which groups a code shows

def in_code(pool: list[str], groups: dict[str, dict], cap: int, width: int = MAX_CODE_GROUPS,
            current: list[str] | tuple = ()) -> list[str]:
    """The groups a code should show: the groups on it now that are still open (not dismissed, fewer than `cap`
    members) stay; the places of the others go to the pool's next open groups, in the pool's order (a group the
    store has not seen yet counts as empty). So a code changes only when one of its groups fills up or goes, never
    because a group elsewhere in the pool reopened. When no group is open the code keeps the pool's last live group
    (WeCom lets it fill to its own 200, or makes a new group with auto_create_room): a code always holds one."""
    def is_open(c):
        g = groups.get(c) or {}
        return g.get("status", "active") != "dismissed" and int(g.get("size") or 0) < cap

    order = {c: i for i, c in enumerate(pool)}
    keep = [c for c in current if c in order and is_open(c)]
    fill = [c for c in pool if c not in keep and is_open(c)]
    chosen = (keep + fill)[:width]
    if chosen:
        return sorted(chosen, key=order.__getitem__)
    alive = [c for c in pool if (groups.get(c) or {}).get("status", "active") != "dismissed"]
    return alive[-1:] if alive else []


def needs_rotation(current: list[str], wanted: list[str]) -> bool:
    """update_join_way only when the set of groups changes (the order WeCom keeps is ours)."""
    return bool(wanted) and set(current or []) != set(wanted)
