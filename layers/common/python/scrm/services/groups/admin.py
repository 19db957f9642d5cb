"""Customer groups for the admin API: the account's groups (paged), one group, its members (paged), its size per day."""

from __future__ import annotations

from ... import bootstrap
from ...domain.instants import answer_time
from ...errors import NotFound, ValidationError
from ...tenancy import Scope
from ..channels.stats import day_range


def _store():
    return bootstrap.group_store()


def group_view(g: dict) -> dict:
    return {"chat_id": g["chat_id"], "name": g.get("name"), "owner": g.get("owner"), "status": g["status"],
            "size": g.get("size") or 0, "vip": bool(g.get("vip")), "tags": list(g.get("tags") or ()),
            "created_at": answer_time(g.get("created_at")),
            "updated_at": answer_time(g.get("updated_at")), "dismissed_at": answer_time(g.get("dismissed_at"))}


def member_view(m: dict) -> dict:
    return {"userid": m["userid"], "type": m.get("type"), "in_group": bool(m.get("in_group")),
            "join_scene": m.get("join_scene"), "invitor": m.get("invitor"),
            "join_time": answer_time(m.get("join_time")),
            "quit_time": answer_time(m.get("quit_time")), "quit_scene": m.get("quit_scene"), "state": m.get("state"),
            "channel_id": m.get("channel_id")}


def _cursor_error():
    return ValidationError("cursor is not one this listing returned", field="cursor")


def list_groups_page(scope: Scope, account_id: str, *, limit: int, start: dict | None = None):
    scope.check(account_id)
    try:
        items, last = _store().page_groups(scope, account_id, limit=limit, start=start)
    except ValueError:
        raise _cursor_error() from None
    return [group_view(g) for g in items], last


def get_group(scope: Scope, account_id: str, chat_id: str) -> dict:
    scope.check(account_id)
    group = _store().get_groups(scope, account_id, [chat_id]).get(chat_id)
    if group is None:
        raise NotFound(f"group {chat_id!r} not found in account {account_id}")
    return group_view(group)


def members_page(scope: Scope, account_id: str, chat_id: str, *, limit: int, start: dict | None = None):
    get_group(scope, account_id, chat_id)  # 404 for an unknown group
    try:
        items, last = _store().page_members(scope, account_id, chat_id, limit=limit, start=start)
    except ValueError:
        raise _cursor_error() from None
    return [member_view(m) for m in items], last


def sizes(scope: Scope, account_id: str, chat_id: str, query: dict, now: float) -> dict:
    group = get_group(scope, account_id, chat_id)
    begin, end = day_range(query, now)
    return {"chat_id": chat_id, "from": begin, "to": end, "size": group["size"],
            "days": _store().sizes(scope, account_id, chat_id, begin, end)}


def failures(scope: Scope, account_id: str, limit: int = 100) -> list[dict]:
    scope.check(account_id)
    return [{**f, "at": answer_time(f["at"])} for f in _store().failures(scope, account_id, limit)]


def set_vip(scope: Scope, account_id: str, chat_id: str, body: dict) -> dict:
    """A customer leaving a VIP group is a loss alert (scrm.services.groups.leave_alerts). Written over the group's
    version, as membership commits are, so neither overwrites the other."""
    from ...contracts import parse
    from ...contracts.groups import GroupVip
    from ...errors import Conflict

    vip = parse(GroupVip, body).vip
    for _attempt in range(5):
        group = _store().get_groups(scope, account_id, [chat_id]).get(chat_id)
        if group is None:
            raise NotFound(f"group {chat_id!r} not found in account {account_id}")
        if _store().set_vip(scope, account_id, chat_id, vip, group["version"]):
            return {"chat_id": chat_id, "vip": vip}
    raise Conflict(f"group {chat_id!r} kept changing; retry")
