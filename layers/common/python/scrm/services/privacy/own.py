"""The channels capability's own personal data, read and erased through its stores: the contact (and its
pointers), the follower profiles of the same table, and the pending channel taggings."""

from __future__ import annotations

from ... import bootstrap
from ...tenancy import Scope
from .person import Person, found


def contacts(scope: Scope, p: Person, erase: bool) -> list[dict]:
    """The contact and the pointers of the person's identities in this account. Erased: the pointers go; the
    contact goes with its unionid pointer, unless a shared book holds identities of other accounts for the
    same person (their account erases them), in which case only this account's part of it goes."""
    store = bootstrap.contact_store()
    out = _follower_profiles(p, erase)
    if not p.contact_id:
        return out
    contact = store.load_contact(p.book, p.contact_id)
    if contact is None:
        return out
    mine = p.identity_keys()
    pointers = store.existing_pointers(p.book, mine)
    out += [contact] + [{"identity": key, "contact_id": p.contact_id} for key in pointers]
    if not erase:
        return out
    store.delete_pointers(p.book, pointers)
    others = [i for i in contact["identities"] if i not in mine]
    if not others:  # nobody else in a shared book: the person goes, with their unionid pointer
        if contact["unionid"]:
            store.delete_pointers(p.book, store.existing_pointers(p.book, [f"u:{contact['unionid']}"]))
        store.delete_contact(p.book, p.contact_id)
    else:
        store.keep_only(p.book, p.contact_id, others, [t for t in contact["touches"] if t.get("a") != p.account_id])
    return out


def _follower_profiles(p: Person, erase: bool) -> list[dict]:
    """The follower profiles of the person's openids in this OA (scrm.services.followers)."""
    if not p.openids:
        return []
    from ..followers.sync import erase as erase_profiles

    return erase_profiles(p.account_id, sorted(p.openids), erase)


def channel_tagging(scope: Scope, p: Person, erase: bool) -> list[dict]:
    store = bootstrap.channel_store()
    return found(store.taggings_of(scope, p.account_id, p.ids), lambda _: True, dict,
                 lambda t: store.delete_taggings([t]), erase)


def customer_groups(scope: Scope, p: Person, erase: bool) -> list[dict]:
    """The person's member items in customer groups (by external_userid). Erased: each is kept under the
    pseudonym (the group's size and per-day figures stay), without the invitor."""
    store = bootstrap.group_store()
    return found(store.member_items(scope, p.account_id, set(p.external_userids)), lambda _: True, dict,
                 lambda m: store.erase_member(scope, p.account_id, m, p.pseudonym), erase)
