"""The contact store: one record per person in a contact book, the identities that point to it, and the
books themselves (table `contacts`; layout in scrm.data.contacts).

A contact book is an account's own, or one shared by several accounts (a platform decision: only a platform
admin's scope may create or change a shared book). `open_book` is the one way in: it reads the account's own
membership record and refuses (Forbidden) a book the account is not a member of, so no caller names another
tenant's people. Every other method takes the `Book` it returned; writes through a shared book are conditional
on the account still being a member, in the same transaction.

A contact is a plain dict: contact_id, unionid, identities (["oa:<account>:<openid>", "wecom:<account>:<ext>"]),
touches (list, see scrm.domain.attribution), first_touch, last_touch, version, created_at, updated_at.
Identity keys (pointers) are "oa:<account>:<openid>", "wecom:<account>:<external_userid>", "u:<unionid>".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from ...errors import Forbidden, ValidationError
from ...tenancy import Scope

BOOK_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
MAX_MEMBERS = 32  # the membership change is one transaction (<= 100 items)
SHARED = "book#"  # partition prefix of shared books
PROFILE = "f#"  # sort key prefix of a follower profile
COUNTER = "#fc#"  # sort key prefix of a breakdown counter: #fc#<shard>#<counter>
SYNC = "#fsync"
# Counters are split in shards so concurrent unfollow events of one account rarely touch the same items
# (a transaction conflict) and no item takes more than a fraction of an account's writes.
SHARDS = 8


@dataclass(frozen=True)
class Book:
    """A contact book as one member account addresses it (from `open_book`, membership checked)."""

    partition: str
    account_id: str
    shared_id: str | None = None

    @property
    def shared(self) -> bool:
        return self.shared_id is not None


def platform_only(scope: Scope) -> None:
    if scope.account_id is not None:
        raise Forbidden("only a platform admin may share contact books between accounts")


def check_book_id(book_id: str) -> None:
    if not isinstance(book_id, str) or not BOOK_ID.match(book_id):
        raise ValidationError("book_id must be 2-63 lowercase letters, digits or dashes", field="book_id")


def check_members(members, account_exists: Callable[[str], bool]) -> set[str]:
    if not isinstance(members, list) or len(members) > MAX_MEMBERS or not all(isinstance(m, str) for m in members):
        raise ValidationError(f"members must be a list of at most {MAX_MEMBERS} account ids", field="members")
    for i, account_id in enumerate(members):
        if not account_exists(account_id):
            raise ValidationError(f"members[{i}]: no account {account_id[:70]!r}", field=f"members[{i}]")
    return set(members)


class ContactStore(Protocol):
    # ---- books
    def open_book(self, scope: Scope, account_id: str, book_id: str | None = None) -> Book:
        """The book `account_id` uses, for a scope that may act for it; `book_id`, if given, must be that book
        (the account's own id or its shared book's), anything else is Forbidden, as is a membership record
        the shared book does not confirm."""

    def book_of(self, account_id: str) -> str | None:
        """The shared book an account belongs to, None for its own."""

    def get_book(self, scope: Scope, book_id: str) -> dict:
        """{book_id, members} of a shared book (platform scope only; NotFound if none)."""

    def set_members(self, scope: Scope, book_id: str, members: list[str], account_exists) -> dict:
        """Create, change or (no members) delete a shared book and each member's membership in one
        transaction. An account belongs to at most one shared book (Conflict otherwise); a concurrent change
        of the book or a membership is a Conflict and changes nothing."""

    # ---- contacts
    def contact_id_for(self, book: Book, key: str) -> str | None:
        """The contact an identity key points to (strongly consistent)."""

    def load_contact(self, book: Book, contact_id: str) -> dict | None:
        """The contact (strongly consistent), or None."""

    def record_contact(self, book: Book, contact: dict, *, expected_version: int | None, new_pointers: list[str],
               also: list[Any] = ()) -> bool:
        """Write the contact, only if its stored version is still `expected_version` (None: only if it does
        not exist yet), create each of `new_pointers` only if it does not exist yet, check the book membership
        (shared book), and apply the channel store's writes `also`: all in one transaction, all or nothing.
        False when a condition failed (someone changed the person meanwhile: read again and retry)."""

    def contacts_of(self, book: Book) -> Iterator[dict]:
        """Every contact of the book (audience building; read in pages by the implementation)."""

    # ---- personal data (scrm.services.privacy)
    def existing_pointers(self, book: Book, keys: list[str]) -> list[str]:
        """Those of `keys` that point to a contact."""

    def delete_pointers(self, book: Book, keys: list[str]) -> None:
        """Idempotent."""

    def delete_contact(self, book: Book, contact_id: str) -> None:
        """Idempotent."""

    def keep_only(self, book: Book, contact_id: str, identities: list[str], touches: list[dict]) -> None:
        """Leave the contact with these identities and touches (first/last touch forgotten): another account
        of a shared book erased its part of the person."""

    # ---- follower profiles (an OA account's own partition)
    def follower_profiles(self, account_id: str, openids: list[str]) -> dict[str, dict]:
        """The stored profiles of these followers (strongly consistent), each with its `version` and `run`."""

    def save_follower_profiles(self, account_id: str, writes: list[tuple[int | None, dict]], moves: dict[str, int],
                               shard: int) -> bool:
        """Write each profile (with `run`) only if its stored version is still the expected one (None: only if it
        does not exist; a profile {"openid", "erased": True} is deleted), and add `moves` to the counters of
        `shard`: one transaction, all or nothing (<= 100 items: the caller packs them). False when a condition
        failed (read again and retry)."""

    def follower_counts(self, account_id: str) -> dict[str, int]:
        """Every counter of the account, its shards summed (one query of a few hundred items)."""

    def follower_profiles_page(self, account_id: str, start: str | None, limit: int) -> tuple[list[dict], str | None]:
        """Up to `limit` profiles in openid order after `start`, and where the next page starts (None at the end)."""

    def follower_sync(self, account_id: str) -> dict | None:
        """The follower sync's state, with its `version`."""

    def save_follower_sync(self, account_id: str, state: dict, expected_version: int | None) -> bool:
        """Write the sync state only if its version is still `expected_version` (None: only if none exists)."""
