"""Attribution workers: OA subscribe/SCAN/unsubscribe and WeCom add/delete events become touches on
one contact per person, per-channel statistics and channel taggings, all in one DynamoDB transaction.

Exactness: the contact item is the dedupe record (its touches carry the events' dedupe keys) and is
written with an optimistic version check in the same transaction as the counter deltas and the
pending taggings; so a duplicate, a redelivery after a crash, or a concurrent event for the same person
can neither double-count nor lose a count. See scrm.domain.attribution for the out-of-order rules.
"""

from __future__ import annotations

import json
import secrets
import time

from ..domain import attribution as rules
from ..domain.channels import DIRECT, UNKNOWN, day_of, parse_event_key
from ..errors import WeChatBusy, WeChatError, WeChatRateLimited, WeChatUnavailable
from . import channels as channel_service
from .events import on

MAX_ATTEMPTS = 8
TAG_BATCH = 50  # tags/members/batchtagging takes at most 50 openids
TAG_MAX_DELAY = 300  # a partial batch waits at most this long for company


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
    t = _event_time(ev)
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
    t = _event_time(ev)
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
        result["way_updated"] = channel_service.note_add(account_id, channel, userid, t)
    return result


def _event_time(ev: dict) -> int:
    for key in ("CreateTime", "received_at"):
        try:
            if ev.get(key) is not None:
                return int(float(ev[key]))
        except (TypeError, ValueError):
            continue
    return int(time.time())


def _channel_for(account_id: str, kind: str, value: str | None) -> str:
    return rules.channel_for_scene(value, lambda v: channel_service.resolve(account_id, kind, v))


# --- the transaction

def _models():
    from ..data.channel_tagging import PendingTagging
    from ..data.contacts import ContactItem

    return ContactItem, PendingTagging




def _fetch_unionid(account, book, platform: str, identity: str) -> str | None:
    """unionid joins a follower and a customer; only worth a call when the book is shared."""
    if not book.shared and not (account.options or {}).get("fetch_unionid"):
        return None
    from ..gateway import gateway_for

    gateway = gateway_for(account)
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


def attribute(account_id: str, platform: str, identity: str, touch: dict, now: float | None = None) -> dict:
    from pynamodb.exceptions import TransactWriteError
    from pynamodb.transactions import TransactWrite

    from .. import accounts
    from ..data.contacts import open_book
    from ..tenancy import Scope
    from .channel_stats import counter_updates

    scope = Scope.system(account_id)
    account = accounts.get(account_id, allow_disabled=True)
    contact_model, tagging_model = _models()
    book = open_book(scope, account_id)  # the account's own book, or the shared one it is a member of
    identity_key = f"{platform}:{account_id}:{identity}"
    now = time.time() if now is None else now
    unionid_known, unionid = False, None
    for _attempt in range(MAX_ATTEMPTS):
        new_pointers: list[str] = []
        contact_id = book.contact_id_for(identity_key)
        if contact_id is None:
            if not unionid_known:
                unionid, unionid_known = _fetch_unionid(account, book, platform, identity), True
            contact_id = book.contact_id_for(f"u:{unionid}") if unionid else None
            new_pointers.append(identity_key)
            if contact_id is None:
                contact_id = secrets.token_hex(8)
                if unionid:
                    new_pointers.append(f"u:{unionid}")
        contact = book.load_contact(contact_id)
        touches = json.loads(contact.touches) if contact and contact.touches else []
        if rules.is_duplicate(touches, touch["a"], touch["d"]):
            return {"duplicate": True, "contact_id": contact_id}
        after = touches + [touch]
        deltas = rules.delta(touches, after)
        kept = rules.trim(after)
        summary = rules.summary(kept)
        version = contact.version if contact else 0
        identities = list(contact.identities or []) if contact else []
        if identity_key not in identities:
            identities.append(identity_key)
        record = book.contact_item(contact_id,
                               unionid=(contact.unionid if contact and contact.unionid else unionid),
                               identities=identities, touches=json.dumps(kept, separators=(",", ":")),
                               first_touch=summary["first_touch"], last_touch=summary["last_touch"],
                               version=version + 1,
                               created_at=contact.created_at if contact else int(now), updated_at=int(now))
        try:
            with TransactWrite(connection=_connection(contact_model)) as tx:
                condition = (contact_model.version == version) if contact else contact_model.sk.does_not_exist()
                tx.save(record, condition=condition)
                book.guard(tx)  # still a member of a shared book, as of this write
                for key in new_pointers:
                    tx.save(book.pointer_item(key, contact_id), condition=contact_model.sk.does_not_exist())
                for item, actions in counter_updates(deltas):
                    tx.update(item, actions=actions)
                for item, actions in _taggings(account, platform, identity, touch, tagging_model, now):
                    tx.update(item, actions=actions)
                if touch["k"] == rules.ADD and touch["c"] not in (DIRECT, UNKNOWN):
                    item, actions = channel_service.cap_counter_update(account_id, touch["c"], touch["u"],
                                                                       day_of(touch["t"]), now)
                    tx.update(item, actions=actions)
        except TransactWriteError as exc:
            if _conflict(exc):
                continue  # someone else changed this person (or created them) meanwhile: read again
            raise
        return {"contact_id": contact_id, "deltas": len(deltas), "channel": touch["c"]}
    raise ConcurrentUpdate(f"contact for {identity_key} kept changing; retry later")


def _connection(model):
    """The model's own low-level connection (one botocore client per container, not one per event)."""
    return model._get_connection().connection




def _conflict(exc) -> bool:
    reasons = getattr(exc, "cancellation_reasons", None) or []
    codes = {getattr(r, "code", None) for r in reasons if r is not None}
    if codes & {"ConditionalCheckFailed", "TransactionConflict"}:
        return True
    text = str(getattr(exc, "cause", "")) + str(exc)
    return "ConditionalCheckFailed" in text or "TransactionConflict" in text


def _taggings(account, platform: str, identity: str, touch: dict, model, now: float) -> list[tuple]:
    """Pending taggings for the channel's tags (applied by the flush schedule in batches)."""
    if touch["k"] not in (rules.FOLLOW, rules.SCAN, rules.ADD) or touch["c"] in (DIRECT, UNKNOWN):
        return []
    defn = channel_service.definition(account.account_id, touch["c"])
    tags = (defn or {}).get("tags") or []
    if not tags:
        return []
    if platform == "oa":
        return [(model(account.account_id, f"oa#{tag}#{identity}"),
                 [model.queued_at.set(int(now)), model.attempts.set(0)]) for tag in tags]
    return [(model(account.account_id, f"wecom#{touch['u']}#{identity}"),
             [model.tags.set(list(tags)), model.queued_at.set(int(now)), model.attempts.set(0)])]


# --- applying taggings in batches (scheduled)

def flush_taggings(now: float | None = None, *, force: bool = False) -> dict:
    """Apply pending taggings: OA 50 openids per batchtagging call per (account, tag), a partial batch
    only once its oldest entry waited TAG_MAX_DELAY (or `force`); WeCom one mark_tag per relationship.
    Failures stay pending and are retried on the next run."""
    from .. import accounts
    from ..gateway import gateway_for
    from ..observability import logger

    _, model = _models()
    now = time.time() if now is None else now
    pending: dict[str, dict] = {}
    for item in model.scan():
        pending.setdefault(item.account_id, {}).setdefault(item.sk.split("#", 1)[0], []).append(item)
    calls = applied = failed = 0
    for account_id, kinds in pending.items():
        try:
            gateway = gateway_for(accounts.get(account_id))
        except Exception:
            logger().exception("tagging: account unavailable", extra={"account_id": account_id})
            continue
        by_tag: dict[int, list] = {}
        for item in kinds.get("oa", []):
            _, tag, openid = item.sk.split("#", 2)
            by_tag.setdefault(int(tag), []).append((openid, item))
        for tag, members in by_tag.items():
            members.sort(key=lambda m: m[1].queued_at or 0)
            for start in range(0, len(members), TAG_BATCH):
                chunk = members[start:start + TAG_BATCH]
                oldest = chunk[0][1].queued_at or 0
                if len(chunk) < TAG_BATCH and not force and now - oldest < TAG_MAX_DELAY:
                    continue
                calls += 1
                try:
                    gateway.post("tags/members/batchtagging", {"openid_list": [m[0] for m in chunk],
                                                               "tagid": tag})
                except WeChatError as exc:
                    if exc.errcode == 45159:  # the tag was deleted: nothing to retry
                        _delete(model, [m[1] for m in chunk])
                    elif exc.errcode in PER_OPENID_ERRORS:
                        # one bad openid (unfollowed since, 20 tags already) fails the whole call: go one by one
                        c, ok = _tag_one_by_one(gateway, model, tag, chunk)
                        calls, applied = calls + c, applied + ok
                    else:
                        failed += len(chunk)
                        logger().warning(f"batchtagging failed ({exc.errcode}); will retry",
                                         extra={"account_id": account_id, "tag": tag, "errcode": exc.errcode})
                    continue
                except WeChatUnavailable:
                    failed += len(chunk)
                    continue
                _delete(model, [m[1] for m in chunk])
                applied += len(chunk)
        for item in kinds.get("wecom", []):
            _, userid, ext = item.sk.split("#", 2)
            calls += 1
            try:
                gateway.mark_tag(userid, ext, list(item.tags or []))
            except WeChatError as exc:
                if exc.errcode in (84061, 40096, 40068):  # no longer a customer / tag gone
                    _delete(model, [item])
                else:
                    failed += 1
                continue
            except WeChatUnavailable:
                failed += 1
                continue
            _delete(model, [item])
            applied += 1
    return {"calls": calls, "applied": applied, "failed": failed}


PER_OPENID_ERRORS = (40003, 49003, 45059, 43004)


def _tag_one_by_one(gateway, model, tag: int, chunk: list) -> tuple[int, int]:
    calls = applied = 0
    for openid, item in chunk:
        calls += 1
        try:
            gateway.post("tags/members/batchtagging", {"openid_list": [openid], "tagid": tag})
        except WeChatError as exc:
            if exc.errcode in PER_OPENID_ERRORS:
                _delete(model, [item])  # this follower cannot take the tag: drop it, keep the others
            continue
        except WeChatUnavailable:
            continue
        _delete(model, [item])
        applied += 1
    return calls, applied


def _delete(model, items) -> None:
    with model.batch_write() as batch:
        for item in items:
            batch.delete(item)


# --- reading contacts (admin API)

def find_contact(scope, account_id: str, *, openid: str | None = None, external_userid: str | None = None,
                 unionid: str | None = None) -> dict:
    from ..data.contacts import open_book
    from ..errors import NotFound, ValidationError

    scope.check(account_id)
    if openid:
        key = f"oa:{account_id}:{openid}"
    elif external_userid:
        key = f"wecom:{account_id}:{external_userid}"
    elif unionid:
        key = f"u:{unionid}"
    else:
        raise ValidationError("openid: give openid, external_userid or unionid", field="openid")
    book = open_book(scope, account_id)
    contact_id = book.contact_id_for(key)
    contact = book.load_contact(contact_id) if contact_id else None
    if contact is None:
        raise NotFound("no contact with that identity")
    touches = json.loads(contact.touches or "[]")
    summary = rules.summary(touches)
    return {"contact_id": contact.contact_id, "unionid": contact.unionid, "identities": contact.identities,
            "first_touch": summary["first_touch"], "last_touch": summary["last_touch"],
            "relations": summary["relations"],
            "touches": [{"kind": t["k"], "at": t["t"], "account_id": t["a"], "channel": t["c"],
                         **({"staff": t["u"]} if t.get("u") else {}), **({"scene": t["sc"]} if t.get("sc") else {})}
                        for t in sorted(touches, key=lambda t: t["t"])]}
