"""Personal data in other capabilities' tables, each through the store that owns it: campaigns (campaigns,
draws, participants, votes, shares, coupon codes: scrm.stores.campaigns.privacy), pushes (pushes, segments, push
batches, quota ledger, interactions: scrm.stores.pushes.privacy), reassignment (transfers, their batches, notices
and ledger: scrm.stores.reassignment.privacy), the callbacks' inbox (scrm.data.inbox), the admin API's stored
responses (scrm.data.admin_idempotency, which has no store of its own) and the audit log. Nothing here touches a
model: each store finds, exports and erases its own items, with tenancy checked inside it.

Each finder is (scope, person, erase) -> the person's items as JSON (read before any erasure), in the shape
of `person.found`: records, which of them are the person's, how they are shown, how they are erased.
"""

from __future__ import annotations

from dataclasses import asdict

from ... import bootstrap
from ...data import admin_idempotency as admin_requests
from ...domain.instants import answer_time
from ...tenancy import Scope
from .person import Person, found

# --- callbacks

def interactions(scope: Scope, p: Person, erase: bool) -> list[dict]:
    return bootstrap.push_store().person_interactions(scope, p, erase)


def inbox(scope: Scope, p: Person, erase: bool) -> list[dict]:
    return bootstrap.inbox().person_entries(scope, p, erase)


# --- campaigns

def share_ids(scope: Scope, p: Person) -> dict[str, str]:
    """A random new id for each share link derived from the person's openids (share_id_for)."""
    import secrets

    from ..campaigns import share_id_for

    return {share_id_for(p.account_id, campaign_id, openid): secrets.token_hex(10)
            for campaign_id in bootstrap.campaign_store().campaign_ids_of(scope, p.account_id)
            for openid in sorted(p.openids)}


def campaigns(scope: Scope, p: Person, erase: bool) -> list[dict]:
    """The published lottery result names its winners."""
    return bootstrap.campaign_store().person_campaigns(scope, p, erase)


def draws(scope: Scope, p: Person, erase: bool) -> list[dict]:
    """Draw records (kept, so wins and stock add up): openid and the note pseudonymised; the coupon code stays
    (it was handed out once) but no longer leads to anyone."""
    return bootstrap.campaign_store().person_draws(scope, p, erase)


def participants(scope: Scope, p: Person, erase: bool) -> list[dict]:
    return bootstrap.campaign_store().person_participants(scope, p, erase)


def votes(scope: Scope, p: Person, erase: bool) -> list[dict]:
    """Ballots, per-day limits, option markers and the voter item (re-keyed to the pseudonym: the votes keep
    counting, the counters never named anyone)."""
    return bootstrap.campaign_store().person_votes(scope, p, erase)


def shares(scope: Scope, p: Person, erase: bool) -> list[dict]:
    """Links owned (owner pseudonymised; views and onward shares keep counting), views and onward shares made
    (re-keyed to the pseudonym: still one distinct viewer)."""
    return bootstrap.campaign_store().person_shares(scope, p, erase)


def coupon_codes(scope: Scope, p: Person, erase: bool) -> list[dict]:
    return bootstrap.campaign_store().person_coupon_codes(scope, p, erase)


# --- pushes

def pushes(scope: Scope, p: Person, erase: bool) -> list[dict]:
    return bootstrap.push_store().person_pushes(scope, p, erase)


def segments(scope: Scope, p: Person, erase: bool) -> list[dict]:
    return bootstrap.push_store().person_segments(scope, p, erase)


def push_batches(scope: Scope, p: Person, erase: bool) -> list[dict]:
    """Recipient lists: the person's id becomes the pseudonym (batch sizes and figures unchanged); once-markers
    of customer-service sends re-keyed."""
    return bootstrap.push_store().person_push_batches(scope, p, erase)


def quota_ledger(scope: Scope, p: Person, erase: bool) -> list[dict]:
    """Per-recipient quota rows: re-keyed, so the account-wide usage they add up to stays."""
    return bootstrap.push_store().person_quota_ledger(scope, p, erase)


# --- reassignment

def transfers(scope: Scope, p: Person, erase: bool) -> list[dict]:
    return bootstrap.reassignment_store().person_transfers(scope, p, erase)


def transfer_batches(scope: Scope, p: Person, erase: bool) -> list[dict]:
    return bootstrap.reassignment_store().person_transfer_batches(scope, p, erase)


def transfer_notices(scope: Scope, p: Person, erase: bool) -> list[dict]:
    return bootstrap.reassignment_store().person_transfer_notices(scope, p, erase)


def transfer_ledger(scope: Scope, p: Person, erase: bool) -> list[dict]:
    return bootstrap.reassignment_store().person_transfer_ledger(scope, p, erase)


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
    return admin_requests.person_responses(scope, p, erase)
