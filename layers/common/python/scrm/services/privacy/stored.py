"""Personal data in other capabilities' tables (callbacks' inbox and interactions, campaigns, pushes,
reassignment, admin idempotency), read on their PynamoDB models; the audit log through its store. Kept in this
one module so each can move to its capability's store when that exists (as the audit log's has); nothing else in
scrm.services.privacy touches a model.

Each finder is (scope, person, erase) -> the person's items as JSON (read before any erasure), in the shape
of `person.found`: records, which of them are the person's, how they are shown, how they are erased.
"""

from __future__ import annotations

import json
from dataclasses import asdict

from pynamodb.attributes import BinaryAttribute

from ... import bootstrap
from ...data.admin_idempotency import AdminRequest
from ...data.campaigns import CampaignRecord, campaign_key
from ...data.coupon_codes import CouponCode
from ...data.draws import DrawRecord
from ...data.inbox import InboxRecord
from ...data.interactions import InteractionRecord
from ...data.participants import ParticipantRecord
from ...data.push_batches import PushBatchRecord
from ...data.pushes import PushRecord
from ...data.quota_ledger import QuotaLedgerRecord
from ...data.segments import SegmentRecord
from ...data.shares import ShareRecord
from ...data.transfer_batches import TransferBatch
from ...data.transfer_ledger import TransferLedgerEntry
from ...data.transfer_notices import TransferNotice
from ...data.transfers import TransferItem
from ...data.votes import VoteRecord
from ...domain.instants import answer_time
from ...stores.pushes.layout import pack, run_pk, unpack
from ...tenancy import Scope
from .person import Person, found, swap_sk


def dump(item) -> dict:
    binary = {n for n, a in item.get_attributes().items() if isinstance(a, BinaryAttribute)}
    # compressed recipient chunks are exported as what they say about the person instead
    return {k: v for k, v in item.to_simple_dict(force=True).items() if k not in binary}


def _rekey(model, **changes):
    """An eraser: put a copy of the item with changed attributes (keys included), then delete the original."""
    def erase(item) -> None:
        values = {name: getattr(item, name) for name in item.get_attributes()}
        values.update({k: (v(item) if callable(v) else v) for k, v in changes.items()})
        values = {k: v for k, v in values.items() if v is not None}
        model(**values).save()
        keys = [item._hash_keyname] + ([item._range_keyname] if item._range_keyname else [])
        if [getattr(item, k) for k in keys] != [values[k] for k in keys]:
            item.delete()
    return erase


def _any_of(p: Person, condition) -> object:
    """`condition(value)` for each of the person's identifiers, or-ed (a filter for a scan or query)."""
    out = None
    for value in sorted(p.ids):
        c = condition(value)
        out = c if out is None else out | c
    return out


# The analysis of what each function may touch (infra/access.py) reads the models a function names: every
# finder below names its model next to its calls (no helper takes a model and calls it for them).

# --- callbacks

def interactions(scope: Scope, p: Person, erase: bool) -> list[dict]:
    scope.check(p.account_id)
    def get(openid):
        try:
            return InteractionRecord.get(p.account_id, openid, consistent_read=True)
        except InteractionRecord.DoesNotExist:
            return None

    records = (get(v) for v in sorted(p.openids | p.external_userids))
    return found(records, lambda r: r is not None, dump, lambda r: r.delete(), erase)


def inbox(scope: Scope, p: Person, erase: bool) -> list[dict]:
    scope.check(p.account_id)
    records = InboxRecord.scan((InboxRecord.account_id == p.account_id) & _any_of(p, InboxRecord.payload.contains))
    # the dedupe key holds the sender too: the item goes (WeChat's retries are long over)
    return found(records, lambda _: True, dump, lambda r: r.delete(), erase)


# --- campaigns

def campaign_keys(scope: Scope, account_id: str) -> list[tuple[object, str]]:
    scope.check(account_id)
    return [(c, campaign_key(account_id, c.campaign_id)) for c in CampaignRecord.query(account_id)]


def share_ids(scope: Scope, p: Person) -> dict[str, str]:
    """A random new id for each share link derived from the person's openids (share_id_for)."""
    import secrets

    from ..campaigns import share_id_for

    return {share_id_for(p.account_id, record.campaign_id, openid): secrets.token_hex(10)
            for record, _key in campaign_keys(scope, p.account_id) for openid in sorted(p.openids)}


def _in_campaigns(scope: Scope, p: Person, query) -> list:
    return [rec for _c, key in campaign_keys(scope, p.account_id) for rec in query(key)]


def campaigns(scope: Scope, p: Person, erase: bool) -> list[dict]:
    """The published lottery result names its winners."""
    def text(r):
        return json.dumps(r.lottery_result, ensure_ascii=False) if r.lottery_result else None

    return found((c for c, _k in campaign_keys(scope, p.account_id)), lambda r: p.mentions(text(r)),
                 lambda r: {"campaign_id": r.campaign_id, "lottery_result": r.lottery_result},
                 lambda r: r.update(actions=[CampaignRecord.lottery_result.set(json.loads(p.scrub(text(r))))]),
                 erase)


def draws(scope: Scope, p: Person, erase: bool) -> list[dict]:
    """Draw records (kept, so wins and stock add up): openid and the note pseudonymised; the coupon code stays
    (it was handed out once) but no longer leads to anyone."""
    records = _in_campaigns(scope, p, lambda key: DrawRecord.query(key, consistent_read=True))
    return found(records, lambda d: d.openid in p.ids or swap_sk(d.draw_id, p) != d.draw_id, dump,
                 _rekey(DrawRecord, draw_id=lambda d: swap_sk(d.draw_id, p), openid=lambda d: p.swap(d.openid),
                        redemption_note=lambda d: p.scrub(d.redemption_note)), erase)


def participants(scope: Scope, p: Person, erase: bool) -> list[dict]:
    def query(key):
        for value in sorted(p.ids):
            for prefix in (f"u#{value}", f"d#{value}#"):
                for rec in ParticipantRecord.query(key, ParticipantRecord.sk.startswith(prefix), consistent_read=True):
                    if not prefix.startswith("u#") or rec.sk == prefix:  # not u#<other openid starting the same>
                        yield rec

    return found(_in_campaigns(scope, p, query), lambda _: True, dump,
                 _rekey(ParticipantRecord, sk=lambda r: swap_sk(r.sk, p), openid=lambda r: p.swap(r.openid)), erase)


def votes(scope: Scope, p: Person, erase: bool) -> list[dict]:
    """Ballots, per-day limits, option markers and the voter item (re-keyed to the pseudonym: the votes keep
    counting, the counters never named anyone)."""
    def query(key):
        for value in sorted(p.ids):
            for prefix in ("b", "d", "o", "u"):
                start = f"{prefix}#{value}" + ("" if prefix == "u" else "#")
                for rec in VoteRecord.query(key, VoteRecord.sk.startswith(start), consistent_read=True):
                    if prefix != "u" or rec.sk == start:  # not u#<other openid starting the same>
                        yield rec

    return found(_in_campaigns(scope, p, query), lambda _: True, dump,
                 _rekey(VoteRecord, sk=lambda r: swap_sk(r.sk, p), openid=lambda r: p.swap(r.openid)), erase)


def shares(scope: Scope, p: Person, erase: bool) -> list[dict]:
    """Links owned (owner pseudonymised; views and onward shares keep counting), views and onward shares made
    (re-keyed to the pseudonym: still one distinct viewer)."""
    out = []
    rekey = _rekey(ShareRecord, sk=lambda r: swap_sk(r.sk, p), share_id=lambda r: p.swap(r.share_id),
                   owner=lambda r: p.swap(r.owner), parent=lambda r: p.swap(r.parent))
    for rec in _in_campaigns(scope, p, lambda key: ShareRecord.query(key, consistent_read=True)):
        # their link (owner), views and onward shares they made (v#/f#<share>#<openid>), and the views and
        # onward shares of their link by others and links shared on from it (share id renamed)
        if rec.owner not in p.ids and rec.parent not in p.renames and swap_sk(rec.sk, p) == rec.sk:
            continue
        if rec.owner in p.ids or rec.sk.rsplit("#", 1)[-1] in p.ids:  # not other viewers' markers
            out.append(dump(rec))
        if erase:
            rekey(rec)
    return out


def coupon_codes(scope: Scope, p: Person, erase: bool) -> list[dict]:
    pools = sorted({f"{key}#{d.prize_id}" for _c, key in campaign_keys(scope, p.account_id)
                    for d in DrawRecord.query(key, consistent_read=True)
                    if d.code and d.prize_id and d.openid in p.ids | {p.pseudonym}})
    records = (rec for pool in pools
               for rec in CouponCode.query(pool, CouponCode.sk.startswith("slot#"), consistent_read=True))
    return found(records, lambda r: r.claimed_by in p.ids, dump,
                 lambda r: r.update(actions=[CouponCode.claimed_by.set(p.pseudonym),
                                             CouponCode.draw_id.set(swap_sk(r.draw_id or "", p) or None)]), erase)


# --- pushes

def _audiences(model, id_name: str):
    """Pushes or segments whose audience lists the person (an explicit list)."""
    def finder(scope: Scope, p: Person, erase: bool) -> list[dict]:
        scope.check(p.account_id)
        return found(model.query(p.account_id), lambda r: p.mentions(r.audience),
                     lambda r: {id_name: getattr(r, id_name), "audience": json.loads(r.audience)},
                     lambda r: r.update(actions=[model.audience.set(p.scrub(r.audience))]), erase)
    return finder


pushes = _audiences(PushRecord, "push_id")
segments = _audiences(SegmentRecord, "segment_id")


def _batch_item(p: Person, push_id: str, run_no: int, rec, erase: bool) -> dict | None:
    if rec.recipients is not None:
        ids = unpack(rec.recipients)
        hit = [i for i in ids if i in p.ids]
        if not hit:
            return None
        if erase:
            rec.update(actions=[PushBatchRecord.recipients.set(pack([p.swap(i) for i in ids]))])
        return {"push_id": push_id, "run": run_no, "batch": rec.sk.split("#")[0], "recipient": hit}
    if rec.sk.startswith("m#") and rec.sk[2:] in p.ids:
        if erase:
            _rekey(PushBatchRecord, sk=f"m#{p.pseudonym}")(rec)
        return {"push_id": push_id, "run": run_no, "sent_to": rec.sk[2:]}
    if p.mentions(rec.doc):
        shown = {"push_id": push_id, "run": run_no, "item": rec.sk, "doc": rec.doc}
        if erase:
            rec.update(actions=[PushBatchRecord.doc.set(p.scrub(rec.doc))])
        return shown
    return None


def push_batches(scope: Scope, p: Person, erase: bool) -> list[dict]:
    """Recipient lists: the person's id becomes the pseudonym (batch sizes and figures unchanged); once-markers
    of customer-service sends re-keyed."""
    scope.check(p.account_id)
    out = []
    for push in PushRecord.query(p.account_id):
        for run_no in range(1, int(push.run_no or 1) + 1):
            for rec in PushBatchRecord.query(run_pk(p.account_id, push.push_id, run_no), consistent_read=True):
                if (item := _batch_item(p, push.push_id, run_no, rec, erase)) is not None:
                    out.append(item)
    return out


def quota_ledger(scope: Scope, p: Person, erase: bool) -> list[dict]:
    """Per-recipient quota rows (<account>#<delivery>#<scope>#<period>#<recipient>): re-keyed, so the
    account-wide usage they add up to stays."""
    scope.check(p.account_id)
    return found(QuotaLedgerRecord.scan(QuotaLedgerRecord.key.startswith(f"{p.account_id}#")),
                 lambda r: r.key.rsplit("#", 1)[-1] in p.ids, dump,
                 _rekey(QuotaLedgerRecord, key=lambda r: r.key.rsplit("#", 1)[0] + "#" + p.pseudonym), erase)


# --- reassignment

def _transfer_items(scope: Scope, p: Person) -> list:
    scope.check(p.account_id)
    return [i for value in sorted(p.external_userids)
            for i in TransferItem.by_target.query(f"{p.account_id}#{value}")]


def _history(p: Person, item) -> list:
    return json.loads(p.scrub(json.dumps([h.as_dict() if hasattr(h, "as_dict") else dict(h)
                                          for h in item.history or []], default=str)))


def transfers(scope: Scope, p: Person, erase: bool) -> list[dict]:
    records = (TransferItem.get(i.plan_key, i.item_key, consistent_read=True) for i in _transfer_items(scope, p))
    return found(records, lambda _: True, dump,
                 _rekey(TransferItem, item_key=f"c#{p.pseudonym}", target_id=p.pseudonym,
                        target_key=f"{p.account_id}#{p.pseudonym}", reason=lambda i: p.scrub(i.reason),
                        history=lambda i: _history(p, i)), erase)


def _plans_of(scope: Scope, p: Person) -> list[str]:
    return sorted({i.plan_key for i in _transfer_items(scope, p)})


def _summary(batch) -> str:
    return json.dumps(batch.summary.as_dict() if batch.summary else {}, default=str)


def transfer_batches(scope: Scope, p: Person, erase: bool) -> list[dict]:
    records = (b for plan_key in _plans_of(scope, p) for b in TransferBatch.query(plan_key, consistent_read=True))
    return found(records, lambda b: any(t in p.ids for t in b.targets or []) or p.mentions(_summary(b)), dump,
                 lambda b: b.update(actions=[TransferBatch.targets.set([p.swap(t) for t in b.targets or []]),
                                             TransferBatch.summary.set(json.loads(p.scrub(_summary(b))))]), erase)


def transfer_notices(scope: Scope, p: Person, erase: bool) -> list[dict]:
    records = (n for plan_key in _plans_of(scope, p) for n in TransferNotice.query(plan_key, consistent_read=True))
    return found(records, lambda n: p.mentions(n.text) or any(s in p.ids for s in n.sample or []), dump,
                 lambda n: n.update(actions=[TransferNotice.text.set(p.scrub(n.text)),
                                             TransferNotice.sample.set([p.swap(s) for s in n.sample or []])]), erase)


def transfer_ledger(scope: Scope, p: Person, erase: bool) -> list[dict]:
    scope.check(p.account_id)
    records = (e for value in sorted(p.external_userids)
               for e in TransferLedgerEntry.query(f"{p.account_id}#{value}", consistent_read=True))
    return found(records, lambda _: True, dump, lambda r: r.delete(), erase)


# --- audit and admin requests

def audit_log(scope: Scope, p: Person, erase: bool) -> list[dict]:
    """Entries stay (who did what, when); an identifier in their object or detail becomes the pseudonym
    (through the audit store)."""
    store = bootstrap.audit_store()
    return found(store.entries_mentioning(scope, p.account_id, p.ids),
                 lambda r: p.mentions(r.object) or p.mentions(r.detail),
                 lambda r: {**asdict(r), "at": answer_time(r.at)},
                 lambda r: store.scrub_entry(scope, p.account_id, r.entry_id, object=p.scrub(r.object) or "",
                                             detail=p.scrub(r.detail)), erase)


def admin_idempotency(scope: Scope, p: Person, erase: bool) -> list[dict]:
    """Stored responses of idempotent creates (e.g. a push with an explicit audience); they expire in a day."""
    scope.check(p.account_id)
    records = AdminRequest.scan(AdminRequest.id.startswith(f"{p.account_id}#")
                                & _any_of(p, AdminRequest.response.contains))
    return found(records, lambda _: True, lambda r: {"id": r.id, "response": r.response},
                 lambda r: r.delete(), erase)
