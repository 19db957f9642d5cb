"""Facts of the unified contact, kept from the events that already exist (the event worker's handlers, and the
draw and redemption use cases, which queue
`campaign.draw` / `campaign.redemption` events for the worker), exactly once per event.

Which person: the contact book the account uses (scrm.stores.contacts; shared by an OA and a WeCom corp of one
company, it joins a follower and a customer by unionid). When the book knows the identity's unionid the record is
`u:<unionid>`; otherwise the identity's own key. When a unionid becomes known later, the identity's record is
folded into the unionid's in the same transaction (and deleted with its index entries).

Exactly once: every event has a key (the callback's dedupe key, `draw:<campaign>:<draw_id>`,
`redeem:<campaign>:<draw_id>`); its marker (SHA-256 of account and key) is written in the same transaction as the
facts and their index entries, conditional on its absence, and the facts conditional on their version. A
redelivered event, a draw answered again from its record, or a crash between the write and the queue's
acknowledgement changes nothing twice; a concurrent event for the same person makes the write fail and it is
read again and retried (MAX_ATTEMPTS, then the event goes back to the queue).
"""

from __future__ import annotations

import hashlib

from ... import bootstrap
from ...domain import segments as rules
from ...domain.callbacks import event_time
from ...domain.channels import DIRECT, UNKNOWN, parse_event_key
from ...domain.followers import TAGS_SEEN_KIND
from ...domain.service_window import USER_MESSAGE_KINDS
from ...stores.segments import CONFLICT, FactWrite
from ...tenancy import Scope
from ..events import on

MAX_ATTEMPTS = 6
MARKER_TTL_SECONDS = 15 * 86400  # longer than any redelivery (SQS keeps a message and its DLQ at most 14 days)
# a follower's messages (a location *message* is oa.location_msg; oa.location is the automatic position report)
MESSAGE_KINDS = USER_MESSAGE_KINDS


class ConcurrentUpdate(RuntimeError):
    """The person's facts kept changing under us; the event goes back to the queue."""


def _hash(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode("utf-8")).hexdigest()


def person_key(contacts, book, identity_key: str) -> str:
    """`u:<unionid>` when the contact book knows this identity's unionid, else the identity's key."""
    contact_id = contacts.contact_id_for(book, identity_key)
    contact = contacts.load_contact(book, contact_id) if contact_id else None
    union = (contact or {}).get("unionid")
    return f"u:{union}" if union else identity_key


def record(account_id: str, platform: str, identity: str, event: dict, event_key: str) -> str:
    """Apply one event {kind, t, channel?, tags?} to the person's facts: WRITTEN or DUPLICATE (see the module)."""
    scope = Scope.system(account_id)
    contacts = bootstrap.contact_store()
    book = contacts.open_book(scope, account_id)
    identity_key = f"{platform}:{account_id}:{identity}"
    person = person_key(contacts, book, identity_key)
    store = bootstrap.segment_store()
    marker = _hash(account_id, event_key)
    expires = int(bootstrap.container().now()) + MARKER_TTL_SECONDS
    for _attempt in range(MAX_ATTEMPTS):
        keys = [person] + ([identity_key] if person != identity_key else [])
        found = store.facts(scope, account_id, book.partition, keys)
        current = found.get(person)
        base = current or rules.empty_facts(person)
        writes = []
        folded = found.get(identity_key) if person != identity_key else None
        if folded is not None:  # the unionid became known: this identity's own record joins the person's
            base = rules.merge_facts(base, folded)
            writes.append(FactWrite(identity_key, folded["version"], None, frozenset(rules.index_entries(folded))))
        after = rules.apply_event(base, {**event, "identity": identity_key})
        writes.insert(0, FactWrite(person, current["version"] if current else None, after,
                                   frozenset(rules.index_entries(current)) if current else frozenset(),
                                   frozenset(rules.index_entries(after))))
        outcome = store.write_facts(scope, account_id, book.partition, writes, marker, expires)
        if outcome != CONFLICT:
            return outcome
    raise ConcurrentUpdate(f"facts of {identity_key} kept changing; retry later")


# ---------------------------------------------------------------- the event worker's handlers


def _channel(account_id: str, kind: str, value: str | None) -> tuple[str | None, list]:
    """The channel a scene (OA) or state (WeCom) belongs to and the tags it gives, or (None, [])."""
    from ..channels.resolve import definition, resolve

    channel = resolve(account_id, kind, value) if value else None
    if channel in (None, DIRECT, UNKNOWN):
        return None, []
    defn = definition(account_id, channel) or {}
    return channel, [str(t) for t in (defn.get("tags") or [])]


def _apply(payload: dict, platform: str, identity: str | None, kind: str, **extra) -> dict:
    if not identity:
        return {"facts": "no identity"}
    t = event_time(payload.get("event") or {}, bootstrap.container().now())
    outcome = record(payload["account_id"], platform, identity, {"kind": kind, "t": t, **extra},
                     payload["dedupe_key"])
    return {"facts": outcome}


@on("oa.subscribe", "oa.scan", "oa.unsubscribe")
def on_oa_follow(payload: dict) -> dict:
    ev = payload.get("event") or {}
    event = (ev.get("Event") or "").lower()
    if event == "unsubscribe":
        return _apply(payload, "oa", ev.get("FromUserName"), rules.UNFOLLOW)
    channel, tags = _channel(payload["account_id"], "sc", parse_event_key(event, ev.get("EventKey")))
    kind = rules.FOLLOW if event == "subscribe" else "touch"
    return _apply(payload, "oa", ev.get("FromUserName"), kind, channel=channel, tags=tags)


@on("wecom.change_external_contact.add_external_contact", "wecom.change_external_contact.del_follow_user",
    "wecom.change_external_contact.del_external_contact")
def on_wecom_contact(payload: dict) -> dict:
    ev = payload.get("event") or {}
    if ev.get("ChangeType") != "add_external_contact":
        if ev.get("Source") == "DELETE_BY_TRANSFER":
            return {"facts": "transfer"}
        return _apply(payload, "wecom", ev.get("ExternalUserID"), rules.UNFOLLOW)
    channel, tags = _channel(payload["account_id"], "st", ev.get("State") or None)
    return _apply(payload, "wecom", ev.get("ExternalUserID"), rules.FOLLOW, channel=channel, tags=tags)


@on(*MESSAGE_KINDS)
def on_message(payload: dict) -> dict:
    return _apply(payload, "oa", (payload.get("event") or {}).get("FromUserName"), rules.MESSAGE)


@on("oa.click", "oa.view")
def on_menu_click(payload: dict) -> dict:
    return _apply(payload, "oa", (payload.get("event") or {}).get("FromUserName"), rules.MENU_CLICK)


@on("oa.templatesendjobfinish")
def on_template_delivered(payload: dict) -> dict:
    """A template message delivered (Status success): the one push WeChat reports per person."""
    ev = payload.get("event") or {}
    if ev.get("Status") != "success":
        return {"facts": "not delivered"}
    return _apply(payload, "oa", ev.get("FromUserName"), rules.PUSH_DELIVERY)


@on("push.delivered")
def on_push_delivered(payload: dict) -> dict:
    """Customer-service messages and WeCom group messages a push delivered (hand_off.push_delivered): one push
    delivery for each person, exactly once per push run (the key names both)."""
    ev, outcomes = payload.get("event") or {}, {}
    platform = payload.get("platform") or "oa"
    for identity in ev.get("identities") or []:
        key = f"push-delivered:{ev.get('push_id')}:{ev.get('run_no')}:{identity}"
        outcome = record(payload["account_id"], platform, identity,
                         {"kind": rules.PUSH_DELIVERY, "t": int(ev.get("at") or 0)}, key)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return {"facts": outcomes}


@on(TAGS_SEEN_KIND)
def on_follower_tags(payload: dict) -> dict:
    """The OA tags WeChat holds for up to 100 followers at `as_of` (a follower sync read them): each follower's
    facts take them (rules.oa_tags_seen), exactly once per follower and sync (the key names both)."""
    ev = payload.get("event") or {}
    as_of, outcomes = int(ev.get("as_of") or 0), {}
    for openid, tags in sorted((ev.get("tags") or {}).items()):
        key = f"follower-tags:{ev.get('run') or 'event'}:{as_of}:{openid}"
        outcome = record(payload["account_id"], "oa", openid, {"kind": rules.OA_TAGS, "t": as_of, "tags": tags}, key)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return {"facts": outcomes}


# ---------------------------------------------------------------- draws and redemptions (queued by hand_off)


@on("campaign.draw")
def on_draw(payload: dict) -> dict:
    won = bool((payload.get("event") or {}).get("won"))
    return _apply(payload, "oa", (payload.get("event") or {}).get("FromUserName"), rules.WIN if won else rules.DRAW)


@on("campaign.win")
def on_prize_awarded(payload: dict) -> dict:
    """A lottery award or a share reward (hand_off.prize_awarded): a win, no draw."""
    return _apply(payload, "oa", (payload.get("event") or {}).get("FromUserName"), rules.PRIZE_AWARDED)


@on("campaign.redemption")
def on_redemption(payload: dict) -> dict:
    return _apply(payload, "oa", (payload.get("event") or {}).get("FromUserName"), rules.REDEMPTION)


# ---------------------------------------------------------------- a person's facts, for privacy export and erasure


def person_keys(account_id: str, openids, external_userids, unionids) -> list[str]:
    """Every record a person's facts may stand under: the unionid's, and each identity's own (not folded yet)."""
    return ([f"u:{u}" for u in sorted(unionids)] + [f"oa:{account_id}:{o}" for o in sorted(openids)]
            + [f"wecom:{account_id}:{e}" for e in sorted(external_userids)])


def facts_of(scope: Scope, account_id: str, book: str, keys: list[str]) -> dict[str, dict]:
    return bootstrap.segment_store().facts(scope, account_id, book, keys)


def erase_facts(scope: Scope, account_id: str, book: str, key: str, facts: dict) -> None:
    """Delete one person's record with its index entries (previews and segments stop counting them; the totals
    already reported stay). Conditional on its version: a concurrent event makes it raise, and the erasure step
    is run again."""
    write = FactWrite(key, facts["version"], None, frozenset(rules.index_entries(facts)))
    if bootstrap.segment_store().write_facts(scope, account_id, book, [write], None, 0) == CONFLICT:
        raise ConcurrentUpdate(f"facts of {key} changed while being erased; retry")
