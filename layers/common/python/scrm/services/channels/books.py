"""Shared contact books (platform admins only): which accounts see one another's people as one contact book.

The membership is kept and checked by the contact store (scrm.stores.contacts); these are the use cases the
admin API calls."""

from __future__ import annotations

from ... import bootstrap
from ...tenancy import Scope


def show(scope: Scope, book_id: str) -> dict:
    return bootstrap.contact_store().get_book(scope, book_id)


def set_members(scope: Scope, book_id: str, members: list[str]) -> dict:
    return bootstrap.contact_store().set_members(scope, book_id, members,
                                                 account_exists=bootstrap.account_reads().account_exists)


def delete(scope: Scope, book_id: str) -> dict:
    contacts = bootstrap.contact_store()
    contacts.get_book(scope, book_id)  # 404 for an unknown book
    return contacts.set_members(scope, book_id, [], account_exists=lambda _: True)


def book_of(scope: Scope, account_id: str) -> dict:
    """The book an account uses (for its own admins): its own, or the shared one with its members."""
    contacts = bootstrap.contact_store()
    book = contacts.open_book(scope, account_id)
    if not book.shared:
        return {"book_id": None, "shared": False, "members": [account_id]}
    return {"book_id": book.shared_id, "shared": True,
            "members": contacts.get_book(Scope.system(), book.shared_id)["members"]}
