"""The person a request names, with every identifier we know them by in the account, and the shape every
table's finder shares (`found`)."""

from __future__ import annotations

from collections.abc import Callable

from ... import accounts, bootstrap
from ...domain.persons import Person, found, swap_sk
from ...errors import ValidationError
from ...tenancy import Scope

__all__ = ["KINDS", "Person", "found", "identify", "swap_sk"]

KINDS = ("openid", "external_userid", "unionid")


def _named(identity: dict) -> tuple[str, str]:
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
    return kind, value


def identify(scope: Scope, account_id: str, identity: dict, share_ids: Callable[[Person], dict[str, str]]
             ) -> Person:
    """The person named by one identifier, joined by the contact book to their other identifiers in the
    account; `share_ids(person)` gives the share links to rename (campaigns)."""
    kind, value = _named(identity)
    scope.check(account_id)
    accounts.get(account_id, allow_disabled=True)  # an unknown account is a clear 404
    contacts = bootstrap.contact_store()
    book = contacts.open_book(scope, account_id)  # the account's own book or the shared one it is a member of
    person = Person(account_id=account_id, book=book)
    {"openid": person.openids, "external_userid": person.external_userids, "unionid": person.unionids}[kind].add(value)
    pointer = {"openid": f"oa:{account_id}:{value}", "external_userid": f"wecom:{account_id}:{value}",
               "unionid": f"u:{value}"}[kind]
    person.contact_id = contacts.contact_id_for(book, pointer)
    contact = contacts.load_contact(book, person.contact_id) if person.contact_id else None
    if contact is not None:  # the person's other identifiers in this account
        if contact["unionid"]:
            person.unionids.add(contact["unionid"])
        for ident in contact["identities"]:
            platform, acct, ident_value = ident.split(":", 2)
            if acct == account_id:
                (person.openids if platform == "oa" else person.external_userids).add(ident_value)
    person.renames.update(share_ids(person))
    return person
