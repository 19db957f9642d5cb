"""Loss alerts for VIP customer groups: a customer leaving (`change_external_chat` update / `del_member`,
https://developer.work.weixin.qq.com/document/path/92130) a group flagged VIP, or a group of a group code flagged
VIP, is a loss alert to the group's owner (or the account's supervisor) through the same machinery as a deleted
staff member (scrm.services.staff.alerts: the account's settings with the event `vip_group_leave`, one record
claimed per (event, customer) before sending, WeCom's duplicate check, counted per China day).

Runs in the event worker after the membership handler (scrm.services.events.HANDLER_MODULES order), so the group
and its members as stored already reflect the event; a redelivery runs both again and the alert's record stops a
second message. Staff members (type 1) leaving are not customers lost.
"""

from __future__ import annotations

from ... import bootstrap
from ...domain.callbacks import event_time
from ...tenancy import Scope
from ..events import on
from ..staff import alerts

EVENT = "vip_group_leave"
STAFF = 1


def is_vip(account_id: str, group: dict) -> bool:
    """The group is VIP, or it is in the pool of a group code that is."""
    if group.get("vip"):
        return True
    from ..channels.resolve import definition, resolve

    channel_id = resolve(account_id, "gc", group["chat_id"])
    defn = definition(account_id, channel_id) if channel_id else None
    return bool(defn and defn.get("kind") == "wecom_group" and defn.get("vip"))


@on("wecom.change_external_chat")
def on_member_left(payload: dict) -> dict:
    ev, account_id = payload["event"], payload["account_id"]
    if (ev.get("ChangeType") or "").lower() != "update" or ev.get("UpdateDetail") != "del_member":
        return {"alert": "ignored", "why": "not a member leaving"}
    chat_id = ev.get("ChatId")
    userids = list(dict.fromkeys(u for u in ev.get("MemChangeList") or [] if isinstance(u, str) and u))
    if not isinstance(chat_id, str) or not chat_id or not userids:
        return {"alert": "ignored", "why": "no ChatId/MemChangeList"}
    scope = Scope.system(account_id)
    settings = alerts.settings_of(scope, account_id)
    if not settings["enabled"] or EVENT not in settings["events"]:
        return {"alert": "off"}
    store = bootstrap.group_store()
    group = store.get_groups(scope, account_id, [chat_id]).get(chat_id)
    if group is None or not is_vip(account_id, group):
        return {"alert": "not vip"}
    owner = group.get("owner")
    if settings["recipient"] == "staff" and not owner:
        return {"alert": "ignored", "why": "the group's owner is unknown"}
    members = store.get_members(scope, account_id, chat_id, userids)
    at = event_time(ev, bootstrap.container().now())
    out = []
    for userid in userids:
        member = members.get(userid) or {}
        if int(member.get("type") or 2) == STAFF:
            continue
        context = {"name": group.get("name"), "channel_id": member.get("channel_id")}
        out.append(alerts.alert(scope, account_id, f"{payload['dedupe_key']}#{userid}", EVENT, owner or "", userid,
                                at, settings, group=context))
    return {"alerts": out}
