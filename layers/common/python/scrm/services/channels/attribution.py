"""Attribution workers: OA subscribe/SCAN/unsubscribe and WeCom add/delete events become touches on
one contact per person, per-channel statistics and channel taggings, all in one DynamoDB transaction.

Exactness: the contact item is the dedupe record (its touches carry the events' dedupe keys) and is
written with an optimistic version check in the same transaction as the counter deltas and the
pending taggings (scrm.stores.contacts.base.ContactStore.record_contact); so a duplicate, a redelivery after a
crash, or a concurrent event for the same person can neither double-count nor lose a count. See
scrm.domain.attribution for the out-of-order rules.

`scrm.services.attribution` names what the event worker and the tagging schedule run from here. "Now" is the
container's clock (`bootstrap.reset(clock=...)` in tests).
"""

from __future__ import annotations

import secrets

from ... import bootstrap
from ...domain import attribution as rules
from ...domain.callbacks import event_time
from ...domain.channels import DIRECT, UNKNOWN, day_of, parse_event_key
from ...domain.instants import answer_times
from ...errors import NotFound, ValidationError, WeChatBusy, WeChatError, WeChatRateLimited, WeChatUnavailable
from ...tenancy import Scope
from ..events import on
from . import common
from .resolve import resolve
from .rotation import note_add
from .tagging import TAG_BATCH, TAG_MAX_DELAY, flush_taggings, queue_writes

__all__ = ["MAX_ATTEMPTS", "TAG_BATCH", "TAG_MAX_DELAY", "ConcurrentUpdate", "attribute", "find_contact",
           "flush_taggings", "on_oa_event", "on_wecom_event"]

MAX_ATTEMPTS = 8


class ConcurrentUpdate(RuntimeError):
    """The contact kept changing under us; the event goes back to the queue."""


# --- event handlers

@on("oa.subscribe", "oa.scan", "oa.unsubscribe")
def on_oa_event(payload: dict) -> dict:
    ev = payload["event"]
    event = (ev.get("Event") or "").lower()
    openid = ev.get("FromUserName")
    if not openid:
        return {"ignored": "no FromUserName"}
    account_id = payload["account_id"]
    t = event_time(ev, bootstrap.container().now())
    scene = parse_event_key(event, ev.get("EventKey")) if event in ("subscribe", "scan") else None
    if event == "subscribe":
        channel = _channel_for(account_id, "sc", scene)
        kind, scan = rules.FOLLOW, scene is not None
    elif event == "scan":
        channel = _channel_for(account_id, "sc", scene) if scene else UNKNOWN
        kind, scan = rules.SCAN, True
    else:
        channel, kind, scan = DIRECT, rules.UNFOLLOW, False
    touch = rules.make_touch(kind=kind, t=t, account_id=account_id, identity=openid, channel=channel,
                             dedupe_key=payload["dedupe_key"], scan=scan, scene=scene)
    return attribute(account_id, "oa", openid, touch)


@on("wecom.change_external_contact.add_external_contact",
    "wecom.change_external_contact.del_follow_user",
    "wecom.change_external_contact.del_external_contact")
def on_wecom_event(payload: dict) -> dict:
    ev = payload["event"]
    change = ev.get("ChangeType")
    ext, userid = ev.get("ExternalUserID"), ev.get("UserID")
    if not ext or not userid:
        return {"ignored": "no ExternalUserID/UserID"}
    if change == "del_external_contact" and ev.get("Source") == "DELETE_BY_TRANSFER":
        return {"ignored": "transfer to another staff member is not a lost customer"}
    account_id = payload["account_id"]
    t = event_time(ev, bootstrap.container().now())
    if change == "add_external_contact":
        state = ev.get("State") or None
        channel = _channel_for(account_id, "st", state)
        kind = rules.ADD
    else:
        channel, kind, state = DIRECT, rules.DELETE, None
    touch = rules.make_touch(kind=kind, t=t, account_id=account_id, identity=ext, channel=channel,
                             dedupe_key=payload["dedupe_key"], staff=userid, scene=state)
    result = attribute(account_id, "wecom", ext, touch)
    if kind == rules.ADD and channel not in (DIRECT, UNKNOWN):
        result["way_updated"] = note_add(account_id, channel, userid, t)
    return result


def _channel_for(account_id: str, kind: str, value: str | None) -> str:
    return rules.channel_for_scene(value, lambda v: resolve(account_id, kind, v))


# --- the transaction

def _fetch_unionid(account, book, platform: str, identity: str) -> str | None:
    """unionid joins a follower and a customer; only worth a call when the book is shared."""
    if not book.shared and not (account.options or {}).get("fetch_unionid"):
        return None
    gateway = common.gateway_of(account)
    try:
        if platform == "oa":
            info = gateway.get("user/info", openid=identity, lang="zh_CN")
        else:
            info = gateway.get("externalcontact/get", external_userid=identity).get("external_contact") or {}
    except (WeChatBusy, WeChatRateLimited, WeChatUnavailable):
        raise  # transient: the event is retried, so the join is not lost
    except WeChatError:
        return None  # e.g. 46004 user gone: attribute without a unionid
    return info.get("unionid") or None


def _contact_id(contacts, book, identity_key: str, unionid) -> tuple[str, list[str]]:
    """The person's contact id (known by this identity, or joined by unionid, or new) and the pointers to
    create with the write. `unionid()` asks WeChat once, only for an identity not seen before."""
    contact_id = contacts.contact_id_for(book, identity_key)
    if contact_id is not None:
        return contact_id, []
    union = unionid()
    contact_id = contacts.contact_id_for(book, f"u:{union}") if union else None
    if contact_id is not None:
        return contact_id, [identity_key]
    return secrets.token_hex(8), [identity_key] + ([f"u:{union}"] if union else [])


def _next_contact(contact: dict | None, contact_id: str, identity_key: str, after: list[dict],
                  unionid: str | None, now: float) -> dict:
    kept = rules.trim(after)
    summary = rules.summary(kept)
    identities = list(contact["identities"]) if contact else []
    if identity_key not in identities:
        identities.append(identity_key)
    return {"contact_id": contact_id, "unionid": (contact or {}).get("unionid") or unionid,
            "identities": identities, "touches": kept, "first_touch": summary["first_touch"],
            "last_touch": summary["last_touch"], "version": (contact["version"] if contact else 0) + 1,
            "created_at": contact["created_at"] if contact else int(now), "updated_at": int(now)}


def _channel_writes(account, platform: str, identity: str, touch: dict, deltas: dict, now: float) -> list:
    """The counter deltas, pending taggings and the rotation's add counter that go with the contact write."""
    store = bootstrap.channel_store()
    writes = store.counter_writes(deltas) + queue_writes(store, account, platform, identity, touch, now)
    if touch["k"] == rules.ADD and touch["c"] not in (DIRECT, UNKNOWN):
        writes.append(store.cap_write(account.account_id, touch["c"], touch["u"], day_of(touch["t"]), now))
    return writes


def attribute(account_id: str, platform: str, identity: str, touch: dict, now: float | None = None) -> dict:
    """Apply one touch to the person's contact and the channel's figures, exactly once (see the module)."""
    scope = Scope.system(account_id)
    account = common.account_of(account_id, allow_disabled=True)
    contacts = bootstrap.contact_store()
    book = contacts.open_book(scope, account_id)  # the account's own book, or the shared one it is a member of
    identity_key = f"{platform}:{account_id}:{identity}"
    now = bootstrap.container().now() if now is None else now
    fetched: dict[str, str | None] = {}

    def unionid() -> str | None:
        if "u" not in fetched:
            fetched["u"] = _fetch_unionid(account, book, platform, identity)
        return fetched["u"]

    for _attempt in range(MAX_ATTEMPTS):
        contact_id, new_pointers = _contact_id(contacts, book, identity_key, unionid)
        contact = contacts.load_contact(book, contact_id)
        touches = contact["touches"] if contact else []
        if rules.is_duplicate(touches, touch["a"], touch["d"]):
            return {"duplicate": True, "contact_id": contact_id}
        after = touches + [touch]
        deltas = rules.delta(touches, after)
        record = _next_contact(contact, contact_id, identity_key, after, fetched.get("u"), now)
        if contacts.record_contact(book, record, expected_version=(contact["version"] or 0) if contact else None,
                           new_pointers=new_pointers,
                           also=_channel_writes(account, platform, identity, touch, deltas, now)):
            return {"contact_id": contact_id, "deltas": len(deltas), "channel": touch["c"]}
        # someone else changed this person (or created them) meanwhile: read again
    raise ConcurrentUpdate(f"contact for {identity_key} kept changing; retry later")


# --- reading contacts (admin API)

def _identity_key(account_id: str, openid: str | None, external_userid: str | None, unionid: str | None) -> str:
    if openid:
        return f"oa:{account_id}:{openid}"
    if external_userid:
        return f"wecom:{account_id}:{external_userid}"
    if unionid:
        return f"u:{unionid}"
    raise ValidationError("openid: give openid, external_userid or unionid", field="openid")


def find_contact(scope, account_id: str, *, openid: str | None = None, external_userid: str | None = None,
                 unionid: str | None = None) -> dict:
    scope.check(account_id)
    key = _identity_key(account_id, openid, external_userid, unionid)
    contacts = bootstrap.contact_store()
    book = contacts.open_book(scope, account_id)
    contact_id = contacts.contact_id_for(book, key)
    contact = contacts.load_contact(book, contact_id) if contact_id else None
    if contact is None:
        raise NotFound("no contact with that identity")
    touches = contact["touches"]
    summary = rules.summary(touches)
    return answer_times({"contact_id": contact["contact_id"], "unionid": contact["unionid"],
                         "identities": contact["identities"],
            "first_touch": summary["first_touch"], "last_touch": summary["last_touch"],
            "relations": summary["relations"],
            "touches": [{"kind": t["k"], "at": t["t"], "account_id": t["a"], "channel": t["c"],
                         **({"staff": t["u"]} if t.get("u") else {}), **({"scene": t["sc"]} if t.get("sc") else {})}
                        for t in sorted(touches, key=lambda t: t["t"])]})
