"""Personal data on request (PIPL): export everything held about one customer of an account, or erase it.

A person is named by one identifier in an account (openid, external_userid or unionid); the contact book joins
it to the person's other identifiers in that account. Every table of `scrm.data.registry` is either covered here
(`TABLES`: one function per table that finds the person's items and, when erasing, erases them) or listed in
`NO_PERSONAL_DATA` with the reason; tests/unit/test_privacy_tables.py fails for a table in neither.

Erasure keeps the figures already reported: the person leaves the lists, not the totals. Items that counts are
made of (participants, draws, share views, push recipients, transfer items, quota rows, coupon holders) are
pseudonymised: every identifier of the person becomes one random pseudonym (`erased-<hex>`, unlinked to the
person, the same across tables so "distinct" counts stay distinct); items that only serve the person (contact
records and their pointers, interactions, pending taggings, inbox payloads, the on-job transfer ledger, stored
admin responses) are deleted. Channel counters, campaign reports and push figures are never touched.

Queue-held payloads cannot be edited in SQS, so an erasure also writes a tombstone per identifier
(`scrm.data.erasures`, hashed) and `scrm.services.erased_events.drop_if_erased` (called by the event worker
before applying an event) drops an event of that person created before the erasure. Erasing twice is harmless:
the second run finds nothing and moves the tombstones' time forward.

Cost: keyed queries per campaign, push run and transfer plan of the account; `inbox`, `quota_ledger` and
`admin_idempotency` have no index by person and are scanned with a filter (all three expire within 40 days).
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ..errors import ValidationError
from ..tenancy import Scope

KINDS = ("openid", "external_userid", "unionid")

# Tables that hold nothing about a customer, and why (tests fail for a registry table in neither list).
NO_PERSONAL_DATA = {
    "accounts": "the company's accounts (app ids, names, options)",
    "admin_keys": "admin keys of the company's staff (hashed), no customer data",
    "channel_stats": "per-channel, per-day counters only; totals already reported stay as they are",
    "channels": "channel definitions and staff rotation counters (staff userids, no customers)",
    "prizes": "prize stock shards (numbers only)",
    "reply_rules": "the company's reply rules and welcome texts",
    "reassignment_policies": "per-account reassignment strategy",
    "tokens": "WeChat access tokens per app",
    "idempotency": "hashed event keys and handler results (counts); expire after 7 days",
    "transfer_plans": "a departing staff member's plan: staff userids and counts, no customer ids",
    "erasures": "tombstones of erased people: SHA-256 of account and identifier only",
    "callback_claims": "Token hashes, and per signed query the event's dedupe key for the clock-skew window only "
                       "(TTL; a replay guard, never read back as data about a person)",
}


@dataclass
class Person:
    """One customer in one account, with every identifier we know them by there."""

    account_id: str
    openids: set[str] = field(default_factory=set)
    external_userids: set[str] = field(default_factory=set)
    unionids: set[str] = field(default_factory=set)
    contact_id: str | None = None
    book: str | None = None  # the contact book's partition
    book_id: str | None = None  # the book as open_book names it (the account's id, or the shared book's)
    pseudonym: str = field(default_factory=lambda: "erased-" + secrets.token_hex(8))
    # share ids are derived from the openid (scrm.services.campaigns.share_id_for): each gets a random new one,
    # or the link would still lead back to whoever knows the openid
    renames: dict[str, str] = field(default_factory=dict)

    @property
    def ids(self) -> set[str]:
        return self.openids | self.external_userids | self.unionids

    def identities(self) -> list[tuple[str, str]]:
        return ([("openid", v) for v in sorted(self.openids)]
                + [("external_userid", v) for v in sorted(self.external_userids)]
                + [("unionid", v) for v in sorted(self.unionids)])

    def scrub(self, text: str | None) -> str | None:
        """Every identifier of the person in a string (JSON or a path) replaced by the pseudonym."""
        if not text:
            return text
        import re

        # whole identifiers only (WeChat ids are [A-Za-z0-9_-]): another person's id containing this one stays
        for old, new in [*((v, self.pseudonym) for v in self.ids), *self.renames.items()]:
            text = re.sub(rf"(?<![A-Za-z0-9_-]){re.escape(old)}(?![A-Za-z0-9_-])", new, text)
        return text

    def swap(self, value: str | None) -> str | None:
        if value in self.ids:
            return self.pseudonym
        return self.renames.get(value, value)

    def mentions(self, text: str | None) -> bool:
        return bool(text) and self.scrub(text) != text


def _dump(item) -> dict:
    from pynamodb.attributes import BinaryAttribute

    binary = {n for n, a in item.get_attributes().items() if isinstance(a, BinaryAttribute)}
    # compressed recipient chunks are exported as what they say about the person instead
    return {k: v for k, v in item.to_simple_dict(force=True).items() if k not in binary}


# --- one function per table: (scope, person, erase) -> the person's items as JSON (before any erasure)

def _contacts(scope: Scope, p: Person, erase: bool) -> list[dict]:
    from ..data.contacts import ContactItem, open_book

    if not p.contact_id:
        return []
    contact = open_book(scope, p.account_id, p.book_id).load_contact(p.contact_id)
    if contact is None:
        return []
    mine = [f"oa:{p.account_id}:{v}" for v in sorted(p.openids)] + \
           [f"wecom:{p.account_id}:{v}" for v in sorted(p.external_userids)]
    pointers = [ContactItem.get(p.book, f"i#{k}") for k in mine if _exists(ContactItem, p.book, f"i#{k}")]
    out = [_dump(contact)] + [_dump(i) for i in pointers]
    if not erase:
        return out
    others = [i for i in (contact.identities or []) if i not in mine]
    for pointer in pointers:
        pointer.delete()
    if not others:  # nobody else in a shared book: the person goes, with their unionid pointer
        if contact.unionid and _exists(ContactItem, p.book, f"i#u:{contact.unionid}"):
            ContactItem(p.book, f"i#u:{contact.unionid}").delete()
        contact.delete()
    else:  # the same person's identities of other accounts in a shared book stay (their account erases them)
        touches = [t for t in json.loads(contact.touches or "[]") if t.get("a") != p.account_id]
        contact.update(actions=[ContactItem.identities.set(others),
                                ContactItem.touches.set(json.dumps(touches, separators=(",", ":"))),
                                ContactItem.first_touch.remove(), ContactItem.last_touch.remove()])
    return out


def _exists(model, hash_key, range_key=None) -> bool:
    try:
        model.get(hash_key, range_key, consistent_read=True) if range_key is not None else model.get(hash_key)
        return True
    except model.DoesNotExist:
        return False


def _interactions(scope: Scope, p: Person, erase: bool) -> list[dict]:
    from ..data.interactions import InteractionRecord

    scope.check(p.account_id)
    out = []
    for openid in sorted(p.openids | p.external_userids):
        try:
            rec = InteractionRecord.get(p.account_id, openid, consistent_read=True)
        except InteractionRecord.DoesNotExist:
            continue
        out.append(_dump(rec))
        if erase:
            rec.delete()
    return out


def _channel_tagging(scope: Scope, p: Person, erase: bool) -> list[dict]:
    from ..data.channel_tagging import PendingTagging

    scope.check(p.account_id)
    out = []
    for rec in PendingTagging.query(p.account_id, consistent_read=True):
        if rec.sk.rsplit("#", 1)[-1] in p.ids:  # oa#<tag>#<openid> | wecom#<userid>#<external_userid>
            out.append(_dump(rec))
            if erase:
                rec.delete()
    return out


def _inbox(scope: Scope, p: Person, erase: bool) -> list[dict]:
    from ..data.inbox import InboxRecord

    scope.check(p.account_id)
    condition = None
    for value in sorted(p.ids):
        c = InboxRecord.payload.contains(value)
        condition = c if condition is None else condition | c
    out = []
    for rec in InboxRecord.scan((InboxRecord.account_id == p.account_id) & condition):
        out.append(_dump(rec))
        if erase:  # the dedupe key holds the sender too: the item goes (WeChat's retries are long over)
            rec.delete()
    return out


def _campaign_keys(scope: Scope, account_id: str) -> list[tuple[object, str]]:
    from ..data.campaigns import CampaignRecord, campaign_key

    scope.check(account_id)
    return [(c, campaign_key(account_id, c.campaign_id)) for c in CampaignRecord.query(account_id)]


def _campaigns(scope: Scope, p: Person, erase: bool) -> list[dict]:
    """The published lottery result names its winners."""
    out = []
    for record, _key in _campaign_keys(scope, p.account_id):
        text = json.dumps(record.lottery_result, ensure_ascii=False) if record.lottery_result else None
        if not p.mentions(text):
            continue
        out.append({"campaign_id": record.campaign_id, "lottery_result": record.lottery_result})
        if erase:
            from ..data.campaigns import CampaignRecord

            record.update(actions=[CampaignRecord.lottery_result.set(json.loads(p.scrub(text)))])
    return out


def _rekey(model, item, **changes):
    """Put a copy of `item` with changed attributes (keys included), then delete the original."""
    values = {name: getattr(item, name) for name in item.get_attributes()}
    values.update(changes)
    values = {k: v for k, v in values.items() if v is not None}
    model(**values).save()
    old_keys = [getattr(item, item._hash_keyname)] + ([getattr(item, item._range_keyname)]
                                                       if item._range_keyname else [])
    new_keys = [values[item._hash_keyname]] + ([values[item._range_keyname]] if item._range_keyname else [])
    if old_keys != new_keys:
        item.delete()


def _swap_sk(sk: str, p: Person) -> str:
    return "#".join(p.swap(part) or part for part in sk.split("#"))


def _draws(scope: Scope, p: Person, erase: bool) -> list[dict]:
    """Draw records (kept, so wins and stock add up): openid and the note pseudonymised; the coupon code stays
    (it was handed out once) but no longer leads to anyone."""
    from ..data.draws import DrawRecord

    out = []
    for _c, key in _campaign_keys(scope, p.account_id):
        for d in DrawRecord.query(key, consistent_read=True):
            if d.openid not in p.ids and _swap_sk(d.draw_id, p) == d.draw_id:
                continue
            out.append(_dump(d))
            if erase:
                _rekey(DrawRecord, d, draw_id=_swap_sk(d.draw_id, p), openid=p.swap(d.openid),
                       redemption_note=p.scrub(d.redemption_note))
    return out


def _participants(scope: Scope, p: Person, erase: bool) -> list[dict]:
    from ..data.participants import ParticipantRecord

    out = []
    for _c, key in _campaign_keys(scope, p.account_id):
        for value in sorted(p.ids):
            for prefix in (f"u#{value}", f"d#{value}#"):
                for rec in ParticipantRecord.query(key, ParticipantRecord.sk.startswith(prefix), consistent_read=True):
                    if prefix.startswith("u#") and rec.sk != prefix:
                        continue  # u#<other openid starting the same>
                    out.append(_dump(rec))
                    if erase:
                        _rekey(ParticipantRecord, rec, sk=_swap_sk(rec.sk, p), openid=p.swap(rec.openid))
    return out


def _shares(scope: Scope, p: Person, erase: bool) -> list[dict]:
    """Links owned (owner pseudonymised; views and onward shares keep counting), views and onward shares made
    (re-keyed to the pseudonym: still one distinct viewer)."""
    from ..data.shares import ShareRecord

    out = []
    for _c, key in _campaign_keys(scope, p.account_id):
        for rec in ShareRecord.query(key, consistent_read=True):
            # their link (owner), views and onward shares they made (v#/f#<share>#<openid>), and the views and
            # onward shares of their link by others and links shared on from it (share id renamed)
            if rec.owner not in p.ids and rec.parent not in p.renames and _swap_sk(rec.sk, p) == rec.sk:
                continue
            if rec.owner in p.ids or rec.sk.rsplit("#", 1)[-1] in p.ids:  # not other viewers' markers
                out.append(_dump(rec))
            if erase:
                _rekey(ShareRecord, rec, sk=_swap_sk(rec.sk, p), share_id=p.swap(rec.share_id),
                       owner=p.swap(rec.owner), parent=p.swap(rec.parent))
    return out


def _coupon_codes(scope: Scope, p: Person, erase: bool) -> list[dict]:
    from ..data.coupon_codes import CouponCode
    from ..data.draws import DrawRecord

    out = []
    for _c, key in _campaign_keys(scope, p.account_id):
        pools = set()
        for d in DrawRecord.query(key, consistent_read=True):
            if d.code and d.prize_id and d.openid in p.ids | {p.pseudonym}:
                pools.add(f"{key}#{d.prize_id}")
        for pool in sorted(pools):
            for rec in CouponCode.query(pool, CouponCode.sk.startswith("slot#"), consistent_read=True):
                if rec.claimed_by in p.ids:
                    out.append(_dump(rec))
                    if erase:
                        rec.update(actions=[CouponCode.claimed_by.set(p.pseudonym),
                                            CouponCode.draw_id.set(_swap_sk(rec.draw_id or "", p) or None)])
    return out


def _pushes(scope: Scope, p: Person, erase: bool) -> list[dict]:
    """Pushes whose audience lists the person (explicit list)."""
    from ..data.pushes import PushRecord

    scope.check(p.account_id)
    out = []
    for rec in PushRecord.query(p.account_id):
        if p.mentions(rec.audience):
            out.append({"push_id": rec.push_id, "audience": json.loads(rec.audience)})
            if erase:
                rec.update(actions=[PushRecord.audience.set(p.scrub(rec.audience))])
    return out


def _segments(scope: Scope, p: Person, erase: bool) -> list[dict]:
    from ..data.segments import SegmentRecord

    scope.check(p.account_id)
    out = []
    for rec in SegmentRecord.query(p.account_id):
        if p.mentions(rec.audience):
            out.append({"segment_id": rec.segment_id, "audience": json.loads(rec.audience)})
            if erase:
                rec.update(actions=[SegmentRecord.audience.set(p.scrub(rec.audience))])
    return out


def _push_batches(scope: Scope, p: Person, erase: bool) -> list[dict]:
    """Recipient lists: the person's id becomes the pseudonym (batch sizes and figures unchanged); once-markers
    of customer-service sends re-keyed."""
    from ..data.push_batches import PushBatchRecord
    from ..data.push_store import pack, run_pk, unpack
    from ..data.pushes import PushRecord

    scope.check(p.account_id)
    out = []
    for push in PushRecord.query(p.account_id):
        for run_no in range(1, int(push.run_no or 1) + 1):
            pk = run_pk(p.account_id, push.push_id, run_no)
            for rec in PushBatchRecord.query(pk, consistent_read=True):
                if rec.recipients is not None:
                    ids = unpack(rec.recipients)
                    hit = [i for i in ids if i in p.ids]
                    if hit:
                        out.append({"push_id": push.push_id, "run": run_no, "batch": rec.sk.split("#")[0],
                                    "recipient": hit})
                        if erase:
                            rec.update(actions=[PushBatchRecord.recipients.set(pack([p.swap(i) for i in ids]))])
                elif rec.sk.startswith("m#") and rec.sk[2:] in p.ids:
                    out.append({"push_id": push.push_id, "run": run_no, "sent_to": rec.sk[2:]})
                    if erase:
                        _rekey(PushBatchRecord, rec, sk=f"m#{p.pseudonym}")
                elif p.mentions(rec.doc):
                    out.append({"push_id": push.push_id, "run": run_no, "item": rec.sk, "doc": rec.doc})
                    if erase:
                        rec.update(actions=[PushBatchRecord.doc.set(p.scrub(rec.doc))])
    return out


def _quota_ledger(scope: Scope, p: Person, erase: bool) -> list[dict]:
    """Per-recipient quota rows (<account>#<delivery>#<scope>#<period>#<recipient>): re-keyed, so the
    account-wide usage they add up to stays."""
    from ..data.quota_ledger import QuotaLedgerRecord

    scope.check(p.account_id)
    out = []
    for rec in QuotaLedgerRecord.scan(QuotaLedgerRecord.key.startswith(f"{p.account_id}#")):
        if rec.key.rsplit("#", 1)[-1] in p.ids:
            out.append(_dump(rec))
            if erase:
                _rekey(QuotaLedgerRecord, rec, key=rec.key.rsplit("#", 1)[0] + "#" + p.pseudonym)
    return out


def _transfer_items(scope: Scope, p: Person) -> list:
    from ..data.transfers import TransferItem

    scope.check(p.account_id)
    return [i for value in sorted(p.external_userids)
            for i in TransferItem.by_target.query(f"{p.account_id}#{value}")]


def _transfers(scope: Scope, p: Person, erase: bool) -> list[dict]:
    from ..data.transfers import TransferItem

    out = []
    for item in _transfer_items(scope, p):
        item = TransferItem.get(item.plan_key, item.item_key, consistent_read=True)
        out.append(_dump(item))
        if erase:
            history = json.loads(p.scrub(json.dumps([h.as_dict() if hasattr(h, "as_dict") else dict(h)
                                                     for h in item.history or []], default=str)))
            _rekey(TransferItem, item, item_key=f"c#{p.pseudonym}", target_id=p.pseudonym,
                   target_key=f"{p.account_id}#{p.pseudonym}", reason=p.scrub(item.reason), history=history)
    return out


def _plans_of(scope: Scope, p: Person) -> set[str]:
    return {i.plan_key for i in _transfer_items(scope, p)}


def _transfer_batches(scope: Scope, p: Person, erase: bool) -> list[dict]:
    from ..data.transfer_batches import TransferBatch

    out = []
    for plan_key in sorted(_plans_of(scope, p)):
        for batch in TransferBatch.query(plan_key, consistent_read=True):
            if not any(t in p.ids for t in batch.targets or []) and not p.mentions(json.dumps(
                    batch.summary.as_dict() if batch.summary else {}, default=str)):
                continue
            out.append(_dump(batch))
            if erase:
                summary = json.loads(p.scrub(json.dumps(batch.summary.as_dict() if batch.summary else {},
                                                        default=str)))
                batch.update(actions=[TransferBatch.targets.set([p.swap(t) for t in batch.targets or []]),
                                      TransferBatch.summary.set(summary)])
    return out


def _transfer_notices(scope: Scope, p: Person, erase: bool) -> list[dict]:
    from ..data.transfer_notices import TransferNotice

    out = []
    for plan_key in sorted(_plans_of(scope, p)):
        for notice in TransferNotice.query(plan_key, consistent_read=True):
            if not (p.mentions(notice.text) or any(s in p.ids for s in notice.sample or [])):
                continue
            out.append(_dump(notice))
            if erase:
                notice.update(actions=[TransferNotice.text.set(p.scrub(notice.text)),
                                       TransferNotice.sample.set([p.swap(s) for s in notice.sample or []])])
    return out


def _transfer_ledger(scope: Scope, p: Person, erase: bool) -> list[dict]:
    from ..data.transfer_ledger import TransferLedgerEntry

    scope.check(p.account_id)
    out = []
    for value in sorted(p.external_userids):
        for entry in TransferLedgerEntry.query(f"{p.account_id}#{value}", consistent_read=True):
            out.append(_dump(entry))
            if erase:
                entry.delete()
    return out


def _audit_log(scope: Scope, p: Person, erase: bool) -> list[dict]:
    """Entries stay (who did what, when); an identifier in their object or detail becomes the pseudonym."""
    from ..data.audit_log import AuditEntry

    scope.check(p.account_id)
    condition = None
    for value in sorted(p.ids):
        c = AuditEntry.object.contains(value) | AuditEntry.detail.contains(value)
        condition = c if condition is None else condition | c
    out = []
    for entry in AuditEntry.query(p.account_id, filter_condition=condition):
        out.append(_dump(entry))
        if erase:
            entry.update(actions=[AuditEntry.object.set(p.scrub(entry.object)),
                                  AuditEntry.detail.set(p.scrub(entry.detail) or "")])
    return out


def _admin_idempotency(scope: Scope, p: Person, erase: bool) -> list[dict]:
    """Stored responses of idempotent creates (e.g. a push with an explicit audience); they expire in a day."""
    from ..data.admin_idempotency import AdminRequest

    scope.check(p.account_id)
    condition = None
    for value in sorted(p.ids):
        c = AdminRequest.response.contains(value)
        condition = c if condition is None else condition | c
    out = []
    for rec in AdminRequest.scan(AdminRequest.id.startswith(f"{p.account_id}#") & condition):
        out.append({"id": rec.id, "response": rec.response})
        if erase:
            rec.delete()
    return out


# Order matters for erasure: coupon holders are found through the draws, batches and notices through the
# transfer items, so those run before the items they are found through are pseudonymised (they also accept
# the pseudonym).
TABLES: dict[str, Callable[[Scope, Person, bool], list[dict]]] = {
    "contacts": _contacts,
    "interactions": _interactions,
    "channel_tagging": _channel_tagging,
    "inbox": _inbox,
    "campaigns": _campaigns,
    "coupon_codes": _coupon_codes,
    "draws": _draws,
    "participants": _participants,
    "shares": _shares,
    "pushes": _pushes,
    "segments": _segments,
    "push_batches": _push_batches,
    "quota_ledger": _quota_ledger,
    "transfer_batches": _transfer_batches,
    "transfer_notices": _transfer_notices,
    "transfers": _transfers,
    "transfer_ledger": _transfer_ledger,
    "audit_log": _audit_log,
    "admin_idempotency": _admin_idempotency,
}


# --- use cases


def _identify(scope: Scope, account_id: str, identity: dict) -> Person:
    from .. import accounts
    from ..data.contacts import open_book

    given = {k: v for k, v in (identity or {}).items() if v not in (None, "")}
    unknown = sorted(set(given) - set(KINDS))
    if unknown:
        raise ValidationError(f"unexpected field {unknown[0]!r}; give one of openid, external_userid, unionid",
                              field=unknown[0])
    if len(given) != 1:
        raise ValidationError("give exactly one of openid, external_userid or unionid", field="openid")
    kind, value = next(iter(given.items()))
    if not isinstance(value, str) or not 1 <= len(value) <= 128:
        raise ValidationError(f"{kind} must be a string of 1 to 128 characters", field=kind)
    scope.check(account_id)
    accounts.get(account_id, allow_disabled=True)  # an unknown account is a clear 404
    book = open_book(scope, account_id)  # the account's own book or the shared one it is a member of
    person = Person(account_id=account_id, book=book.partition, book_id=book.shared_id or account_id)
    {"openid": person.openids, "external_userid": person.external_userids, "unionid": person.unionids}[kind].add(value)
    pointer = {"openid": f"oa:{account_id}:{value}", "external_userid": f"wecom:{account_id}:{value}",
               "unionid": f"u:{value}"}[kind]
    person.contact_id = book.contact_id_for(pointer)
    contact = book.load_contact(person.contact_id) if person.contact_id else None
    if contact is not None:  # the person's other identifiers in this account
        if contact.unionid:
            person.unionids.add(contact.unionid)
        for ident in contact.identities or []:
            platform, acct, ident_value = ident.split(":", 2)
            if acct == account_id:
                (person.openids if platform == "oa" else person.external_userids).add(ident_value)
    from .campaigns import share_id_for

    for record, _key in _campaign_keys(scope, account_id):
        for openid in sorted(person.openids):
            person.renames[share_id_for(account_id, record.campaign_id, openid)] = secrets.token_hex(10)
    return person


def export(scope: Scope, account_id: str, identity: dict) -> dict:
    """Everything held about the person in the account, per table (JSON-ready)."""
    person = _identify(scope, account_id, identity)
    tables = {name: items for name, fn in TABLES.items() if (items := fn(scope, person, False))}
    return {"account_id": account_id, "identifiers": _identifiers(person), "tables": tables,
            "exported_at": int(time.time())}


def erase(scope: Scope, account_id: str, identity: dict, clock=time.time) -> dict:
    """Erase or pseudonymise the person everywhere; tombstones first, so an event racing the erasure is dropped."""
    from ..data import erasures

    person = _identify(scope, account_id, identity)
    at = clock()
    for kind, value in person.identities():
        erasures.record(scope, account_id, kind, value, at)
    counts = {name: n for name, fn in TABLES.items() if (n := len(fn(scope, person, True)))}
    return {"account_id": account_id, "erased": counts, "items": sum(counts.values()),
            "identifiers": len(person.identities()), "erased_at": int(at)}


def _identifiers(person: Person) -> dict:
    return {"openid": sorted(person.openids), "external_userid": sorted(person.external_userids),
            "unionid": sorted(person.unionids)}
