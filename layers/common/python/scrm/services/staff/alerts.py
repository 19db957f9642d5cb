"""Loss alerts: when a customer deletes a staff member (`change_external_contact` / `del_follow_user`), or, if the
account asks for it, a staff member deletes the customer (`del_external_contact`, never a transfer's), the staff
member or a named supervisor gets a WeCom app message (`message/send`) saying which customer, the channel they came
from and their tags; alerts sent and failed are counted per China day.

Exactly once under redelivery: the event worker applies the event once per (account, dedupe key) (Powertools
idempotency, scrm.services.events); beneath that, the alert's record is claimed before sending (a record already
finished sends nothing), and the message goes out with WeCom's duplicate check on, with a body that is the same on
every attempt, so a redelivery after a crash between the send and the record's finish reaches nobody twice
(https://developer.work.weixin.qq.com/document/path/90236 发送应用消息). A send WeCom refuses (a member it cannot
reach) is counted failed; a busy or unreachable WeCom raises, and the event comes back with a back-off.

The message goes out as the app `agentid` of the settings, with that app's own token (its Secret among the account's
`agent_secrets`, scrm.gateway.WeComAppGateway): WeCom refuses the customer-contact token (301002). An account with no
Secret for that app records the alert as `unsent` (reason `no_app_secret`, counted), once: it is not retried.
"""

from __future__ import annotations

import hashlib

from ... import accounts, bootstrap
from ...contracts import parse
from ...contracts.staff import LossAlertSettings
from ...domain.callbacks import event_time
from ...domain.channels import DIRECT, UNKNOWN, day_of
from ...domain.instants import answer_time
from ...errors import NoAppSecret, ValidationError, WeChatBusy, WeChatError, WeChatRateLimited
from ...tenancy import Scope
from ..events import on

CHANNEL_NAMES = {DIRECT: "直接添加", UNKNOWN: "未知渠道"}


# ---- settings

def settings_of(scope: Scope, account_id: str) -> dict:
    stored = bootstrap.staff_store().get_alert_settings(scope, account_id) or {}
    return LossAlertSettings.model_validate(stored).model_dump()


def put_settings(scope: Scope, account_id: str, body: dict) -> dict:
    account = accounts.get(account_id, allow_disabled=True)
    if account.kind != "wecom":
        raise ValidationError("account_id: loss alerts are for WeCom corps", field="account_id")
    settings = parse(LossAlertSettings, body).model_dump()
    bootstrap.staff_store().put_alert_settings(scope, account_id, settings, bootstrap.container().now())
    return settings


# ---- the event handler

@on("wecom.change_external_contact.del_follow_user", "wecom.change_external_contact.del_external_contact")
def on_customer_lost(payload: dict) -> dict:
    ev, account_id = payload["event"], payload["account_id"]
    change, userid, ext = ev.get("ChangeType"), ev.get("UserID"), ev.get("ExternalUserID")
    if not userid or not ext:
        return {"alert": "ignored", "why": "no UserID/ExternalUserID"}
    if change == "del_external_contact" and ev.get("Source") == "DELETE_BY_TRANSFER":
        return {"alert": "ignored", "why": "a transfer to a colleague is not a lost customer"}
    scope = Scope.system(account_id)
    settings = settings_of(scope, account_id)
    if not settings["enabled"] or change not in settings["events"]:
        return {"alert": "off"}
    at = event_time(ev, bootstrap.container().now())
    return alert(scope, account_id, payload["dedupe_key"], change, userid, ext, at, settings)


def alert_key(account_id: str, dedupe_key: str) -> str:
    """The alert's record key: a hash of the event's identity (the record holds no customer id)."""
    return hashlib.sha256(f"{account_id}|{dedupe_key}".encode()).hexdigest()[:40]


def alert(scope: Scope, account_id: str, dedupe_key: str, change: str, userid: str, ext: str, at: int,
          settings: dict, group: dict | None = None) -> dict:
    """One alert of one event: `userid` the staff member the customer left (a VIP group's owner: `group` is
    {name, channel_id} of the group left, scrm.services.groups.leave_alerts)."""
    store, now = bootstrap.staff_store(), bootstrap.container().now()
    key, day = alert_key(account_id, dedupe_key), day_of(at)
    recipient = userid if settings["recipient"] == "staff" else settings["supervisor"]
    existing = store.claim_alert(scope, account_id, key, {"day": day, "event": change, "staff": userid,
                                                           "recipient": recipient}, now)
    if existing is not None and existing["state"] != "pending":
        if existing["state"] in ("sent", "failed", "unsent"):  # a crash between finishing and counting: count it now
            store.count_alert(scope, account_id, existing.get("day", day), key, existing["state"])
        return {"alert": "duplicate", "state": existing["state"]}
    gateway = _gateway(account_id)
    try:
        sender = gateway.as_app(settings["agentid"])  # the app's own token: WeCom refuses the contact one (301002)
    except NoAppSecret as exc:  # nothing can be sent until an admin sets the Secret: say so, count it, stop
        return _finish(scope, account_id, key, day, recipient, "unsent", {"reason": "no_app_secret",
                                                                           "why": str(exc)[:300]})
    name, channel, tags = describe(gateway, account_id, userid, ext)
    if group is not None and group.get("channel_id"):  # they came into the group by a group code
        channel = (definition_of(account_id, group["channel_id"]) or {}).get("name") or group["channel_id"]
    message = compose(settings, change, userid, name, channel, tags, at, group_name=(group or {}).get("name"))
    try:
        answer = sender.send_app_message([recipient], message,
                                         duplicate_check_interval=settings["duplicate_check_interval"])
    except (WeChatBusy, WeChatRateLimited):
        raise  # WeCom busy: the event comes back (the record stays pending; the duplicate check covers a resend)
    except WeChatError as exc:  # refused for good: 81013 nobody reachable, 301002 a Secret of another app, ...
        state, detail = "failed", {"errcode": exc.errcode}
    else:
        unreached = {u.lower() for u in str(answer.get("invaliduser") or "").split("|") if u}
        state = "failed" if recipient.lower() in unreached else "sent"
        detail = {"msgid": answer.get("msgid") or ""}
    return _finish(scope, account_id, key, day, recipient, state, detail)


def _finish(scope: Scope, account_id: str, key: str, day: str, recipient: str, state: str, detail: dict) -> dict:
    store = bootstrap.staff_store()
    store.finish_alert(scope, account_id, key, state, detail, bootstrap.container().now())
    store.count_alert(scope, account_id, day, key, state)
    return {"alert": state, "recipient": recipient, **({"reason": detail["reason"]} if "reason" in detail else {})}


def _gateway(account_id: str):
    from ...gateway import gateway_for  # lazy: the gateway loads wechatpy

    return gateway_for(accounts.get(account_id, allow_disabled=True))


# ---- what the message says

def describe(gateway, account_id: str, userid: str, ext: str) -> tuple[str, str, list[str]]:
    """(the customer's name, the channel they came to this staff member through, their tags)."""
    name, tags = ext, []
    try:
        info = gateway.get("externalcontact/get", external_userid=ext)
    except (WeChatBusy, WeChatRateLimited):
        raise
    except WeChatError:  # 40096/84061: WeCom no longer shows them: the alert still goes out
        info = {}
    name = (info.get("external_contact") or {}).get("name") or name
    follows = info.get("follow_user") or []
    mine = [f for f in follows if f.get("userid") == userid]
    for f in mine or follows:  # the staff member's relation, else what colleagues tagged them with
        tags += [t.get("tag_name") for t in f.get("tags") or [] if t.get("tag_name") and t["tag_name"] not in tags]
    channel, channel_tags = _channel(account_id, userid, ext)
    return name, channel, tags or _tag_names(gateway, channel_tags)


def _tag_names(gateway, tag_ids: list[str]) -> list[str]:
    """The names of the corp tags the channel gives (when WeCom no longer shows the relation's own tags)."""
    if not tag_ids:
        return []
    try:
        groups = gateway.post("externalcontact/get_corp_tag_list", {"tag_id": tag_ids}).get("tag_group") or []
    except (WeChatBusy, WeChatRateLimited):
        raise
    except WeChatError:
        return tag_ids
    names = {t.get("id"): t.get("name") for g in groups for t in g.get("tag") or []}
    return [names.get(t) or t for t in tag_ids]


def _channel(account_id: str, userid: str, ext: str) -> tuple[str, list[str]]:
    """The channel of the customer's latest add of this staff member (from their contact's touches)."""
    from ..channels.resolve import definition

    contacts = bootstrap.contact_store()
    book = contacts.open_book(Scope.system(account_id), account_id)
    contact_id = contacts.contact_id_for(book, f"wecom:{account_id}:{ext}")
    contact = contacts.load_contact(book, contact_id) if contact_id else None
    adds = sorted((t for t in (contact or {}).get("touches", []) if t.get("k") == "add" and t.get("u") == userid
                   and t.get("a") == account_id), key=lambda t: t["t"])
    channel_id = adds[-1]["c"] if adds else UNKNOWN
    if channel_id in CHANNEL_NAMES:
        return CHANNEL_NAMES[channel_id], []
    defn = definition(account_id, channel_id) or {}
    return defn.get("name") or channel_id, [str(t) for t in defn.get("tags") or []]


def definition_of(account_id: str, channel_id: str) -> dict | None:
    from ..channels.resolve import definition

    return definition(account_id, channel_id)


def compose(settings: dict, change: str, userid: str, name: str, channel: str, tags: list[str], at: int,
            group_name: str | None = None) -> dict:
    """The app message: the same for every attempt of one event (WeCom's duplicate check compares bodies)."""
    if change == "vip_group_leave":
        what = f"客户「{name}」退出了VIP客户群「{group_name or '未命名群'}」（群主 {userid}）"
    elif change == "del_follow_user":
        what = f"客户「{name}」删除了成员 {userid}"
    else:
        what = f"成员 {userid} 删除了客户「{name}」"
    when, tag_text = answer_time(at), "、".join(tags) if tags else "无"
    lines = [what, f"来源渠道：{channel}", f"客户标签：{tag_text}", f"时间：{when}"]
    if settings["message"] == "textcard":
        description = (f'<div class="gray">{when}</div><div class="normal">{what}</div>'
                       f'<div class="highlight">来源渠道：{channel}；客户标签：{tag_text}</div>')
        return {"msgtype": "textcard", "textcard": {"title": "客户流失提醒", "description": description,
                                                    "url": settings["url"], "btntxt": "详情"}}
    return {"msgtype": "text", "text": {"content": "客户流失提醒\n" + "\n".join(lines)}}

