"""Applying `change_external_chat` events to customer groups, exactly once.

The event worker runs `on_chat_event` once per (account, dedupe key) (scrm.services.events, Powertools
idempotency). Beneath that, each event's writes are transactions conditional on the group's version, the last one
carrying the event's marker (scrm.stores.groups): a redelivery after a crash between the commit and the
idempotency record finds the marker and changes nothing (the channel statistics and the members-only codes'
figures are writes of the same transaction: counted exactly once); a crash between two slices of a large change
leaves the first slices applied, and the redelivery recomputes from the stored state, where the membership rules
(scrm.domain.groups) make an applied join or leave a no-op.

DynamoDB round trips of one event: the group (GetItem), the members it names (BatchGetItem), one TransactWriteItems
(more than 90 member writes are split into transactions of 90). WeCom: one `groupchat/get` when the group is new
or the event needs what only it tells (who joined how, by which state; the new owner or name); none for a leave or a
dismiss of a known group.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from ... import bootstrap
from ...domain import groups as rules
from ...domain.callbacks import event_time
from ...domain.channels import day_of
from ...errors import WeChatBusy, WeChatError, WeChatRateLimited, WeChatTokenInvalid
from ...stores.groups.base import marker_of
from ...tenancy import Scope
from ..events import on

MAX_ATTEMPTS = 8
SLICE = 90  # member writes per transaction (DynamoDB takes 100 items; marker, group, day and counters share it)
TRANSIENT = (WeChatBusy, WeChatRateLimited, WeChatTokenInvalid)

# Called after an event changed a group: fn(account_id, group, change); group codes' rotation (codes.py) is loaded
# with this module (see the end).
after_change: list[Callable] = []


class ConcurrentUpdate(RuntimeError):
    """The group kept changing under us; the event goes back to the queue."""


class UnknownChat(Exception):
    def __init__(self, errcode: int, errmsg: str):
        super().__init__(f"{errcode} {errmsg}")
        self.errcode, self.errmsg = errcode, errmsg


def _gateway(account_id: str):
    from ..channels import common

    return common.gateway_of(common.account_of(account_id, allow_disabled=True))


def _details(account_id: str, chat_id: str) -> dict:
    """groupchat/get's group_chat (https://developer.work.weixin.qq.com/document/path/92122); an errcode that
    retrying cannot change (the chat id is unknown, not a customer group, not visible to the app) is UnknownChat."""
    try:
        return _gateway(account_id).group_chat(chat_id).get("group_chat") or {}
    except TRANSIENT:
        raise
    except WeChatError as exc:
        raise UnknownChat(exc.errcode, exc.errmsg) from None


@on("wecom.change_external_chat")
def on_chat_event(payload: dict) -> dict:
    ev = payload["event"]
    chat_id = ev.get("ChatId")
    if not isinstance(chat_id, str) or not chat_id or len(chat_id) > 128:
        return {"ignored": "no ChatId"}
    return apply_chat_event(payload["account_id"], ev, payload["dedupe_key"], payload["kind"])


def _needs_details(group: dict | None, change_type: str, detail: str) -> bool:
    if change_type == "dismiss":
        return False
    return group is None or change_type == "create" or detail in ("add_member", "change_owner", "change_name")


def _channel_of(account_id: str, state: str | None) -> str | None:
    if not state:
        return None
    from ..channels.resolve import definition, resolve

    channel_id = resolve(account_id, "st", state)
    defn = definition(account_id, channel_id) if channel_id else None
    return channel_id if defn and defn.get("kind") == "wecom_group" else None


def _plan(account_id: str, ev: dict, group: dict | None, details: dict | None, known: dict, t: int) -> rules.Change:
    chat_id, change_type = ev["ChatId"], (ev.get("ChangeType") or "").lower()
    if change_type == "dismiss":
        return rules.dismiss(group or rules.new_group(chat_id, t), t)
    if group is None:
        created = int((details or {}).get("create_time") or t)
        change = rules.baseline(rules.new_group(chat_id, created), details or {}, known, t)
    else:
        change = rules.Change(group=dict(group))
        if change_type == "create" and details:
            change.group.update({k: details[k] for k in ("name", "owner") if details.get(k) is not None})
    if change_type == "update":
        rules.apply_update(change, ev, details, known, t)
    change.group["updated_at"] = t
    for m in change.joins:  # the join way the member came by: a group code channel
        m["channel_id"] = m.get("channel_id") or _channel_of(account_id, m.get("state"))
    return change


def _slices(change: rules.Change) -> list[rules.Change]:
    """The change as transactions of at most SLICE member writes, each with the group's size after it."""
    if len(change.members) <= SLICE:
        return [change]
    joined = {id(m) for m in change.joins}
    quit_ = {id(m) for m in change.quits}
    final_size, out = change.group["size"], []
    size = final_size - len(change.joins) + len(change.quits)
    for start in range(0, len(change.members), SLICE):
        part = change.members[start:start + SLICE]
        joins = [m for m in part if id(m) in joined]
        quits = [m for m in part if id(m) in quit_]
        size += len(joins) - len(quits)
        out.append(rules.Change(group={**change.group, "size": size}, members=part, joins=joins, quits=quits))
    return out


def _counters(account_id: str, part: rules.Change, t: int) -> list:
    """The slice's counters, written in its transaction: the channel statistics' group joins and quits, and the
    members-only codes' figures (scrm.services.members.joins)."""
    from ..members.joins import figure_writes

    deltas: Counter = Counter()
    for m in part.joins:
        if m.get("channel_id"):
            deltas[(account_id, m["channel_id"], day_of(m.get("join_time") or t), "group_joins")] += 1
    for m in part.quits:
        if m.get("channel_id"):
            deltas[(account_id, m["channel_id"], day_of(t), "group_quits")] += 1
    channel = bootstrap.channel_store().counter_writes(dict(deltas)) if deltas else []
    return channel + (figure_writes(account_id, part.joins) if part.joins else [])


def apply_chat_event(account_id: str, ev: dict, dedupe_key: str, kind: str = "") -> dict:
    """Apply one change_external_chat event (see the module); returns what it did."""
    store, scope = bootstrap.group_store(), Scope.system(account_id)
    chat_id, t = ev["ChatId"], event_time(ev, bootstrap.container().now())
    change_type, detail = (ev.get("ChangeType") or "").lower(), ev.get("UpdateDetail") or ""
    marker = marker_of(dedupe_key)
    now = bootstrap.container().now()
    userids = [u for u in ev.get("MemChangeList") or [] if isinstance(u, str) and u]
    for _attempt in range(MAX_ATTEMPTS):
        group = store.get_groups(scope, account_id, [chat_id]).get(chat_id)
        try:
            details = _details(account_id, chat_id) if _needs_details(group, change_type, detail) else None
        except UnknownChat as exc:
            recorded = store.record_chat_failure(scope, account_id, marker=marker, now=now, failure={
                "chat_id": chat_id, "dedupe_key": dedupe_key, "kind": kind, "errcode": exc.errcode,
                "errmsg": exc.errmsg, "at": t})
            return {"failed": exc.errcode, "duplicate": not recorded}
        wanted = userids + ([m.get("userid") for m in (details or {}).get("member_list") or []
                             if isinstance(m, dict) and m.get("userid")] if group is None else [])
        known = store.get_members(scope, account_id, chat_id, wanted) if wanted else {}
        change = _plan(account_id, ev, group, details, known, t)
        outcome = _commit(store, scope, account_id, change, group, marker, t, now)
        if outcome is not None:
            # a duplicate runs the hooks too: a crash between the commit and them must not lose a rotation (they
            # are idempotent; the counts are in the commit itself)
            for hook in list(after_change):
                hook(account_id, change.group, change)
            return outcome
    raise ConcurrentUpdate(f"group {chat_id} of {account_id} kept changing; retry later")


def _commit(store, scope, account_id: str, change: rules.Change, group: dict | None, marker: str, t: int,
            now: float) -> dict | None:
    """Commit the change's slices; None when a condition failed (read again), else the outcome."""
    version = group["version"] if group else None
    before = group["size"] if group else 0
    parts = _slices(change)
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        figures = rules.day_figures(part, before, t)
        day = figures if (part.joins or part.quits or figures["changed"] or group is None) else None
        ok = store.commit_change(scope, account_id, marker=marker if last else None, group=part.group,
                          expect_version=version, members=part.members, day=day,
                          also=_counters(account_id, part, t), now=now)
        if not ok:
            if last and store.applied(scope, account_id, marker):
                return {"duplicate": True, "chat_id": change.group["chat_id"]}
            return None
        version, before = (version or 0) + 1, part.group["size"]
    return {"applied": True, "chat_id": change.group["chat_id"], "size": change.group["size"],
            "joins": len(change.joins), "quits": len(change.quits), "transactions": len(parts)}


from . import codes  # noqa: E402,F401  (registers the rotation in after_change)
