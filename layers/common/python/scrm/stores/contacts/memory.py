"""The contact store's in-memory twin: the same conditions as DynamoDB under one lock, copies out."""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator

from ...errors import Conflict, Forbidden, NotFound
from ...tenancy import Scope
from .base import SHARED, Book, check_book_id, check_members, platform_only


class MemoryContactStore:
    def __init__(self):
        self.lock = threading.RLock()
        self.contacts_: dict[tuple[str, str], dict] = {}  # (partition, contact_id)
        self.pointers: dict[tuple[str, str], str] = {}  # (partition, key) -> contact_id
        self.memberships: dict[str, str] = {}  # account_id -> shared book id
        self.books: dict[str, dict] = {}  # book id -> {members, version}

    # ---- books
    def book_of(self, account_id: str) -> str | None:
        with self.lock:
            return self.memberships.get(account_id)

    def open_book(self, scope: Scope, account_id: str, book_id: str | None = None) -> Book:
        scope.check(account_id)
        shared = self.book_of(account_id)
        if book_id is not None and book_id != (shared or account_id):
            raise Forbidden(f"account {account_id} is not a member of contact book {book_id}")
        if shared is None:
            return Book(partition=account_id, account_id=account_id)
        with self.lock:
            record = self.books.get(shared)
            if record is None or account_id not in record["members"]:
                raise Forbidden(f"account {account_id} is not a member of contact book {shared}")
        return Book(partition=SHARED + shared, account_id=account_id, shared_id=shared)

    def get_book(self, scope: Scope, book_id: str) -> dict:
        platform_only(scope)
        check_book_id(book_id)
        with self.lock:
            record = self.books.get(book_id)
            if record is None:
                raise NotFound(f"no contact book {book_id!r}")
            return {"book_id": book_id, "members": sorted(record["members"])}

    def set_members(self, scope: Scope, book_id: str, members: list[str], account_exists) -> dict:
        platform_only(scope)
        check_book_id(book_id)
        wanted = check_members(members, account_exists)
        with self.lock:
            current = set((self.books.get(book_id) or {}).get("members") or [])
            for account_id in sorted(wanted - current):
                other = self.memberships.get(account_id)
                if other not in (None, book_id):
                    raise Conflict(f"account {account_id} belongs to contact book {other}: remove it there first")
            version = (self.books.get(book_id) or {}).get("version", 0)
            if wanted:
                self.books[book_id] = {"members": sorted(wanted), "version": version + 1}
            else:
                self.books.pop(book_id, None)
            for account_id in wanted - current:
                self.memberships[account_id] = book_id
            for account_id in current - wanted:
                self.memberships.pop(account_id, None)
        return {"book_id": book_id, "members": sorted(wanted)}

    # ---- contacts
    def contact_id_for(self, book: Book, key: str) -> str | None:
        with self.lock:
            return self.pointers.get((book.partition, key))

    def load_contact(self, book: Book, contact_id: str) -> dict | None:
        with self.lock:
            return copy.deepcopy(self.contacts_.get((book.partition, contact_id)))

    def _member(self, book: Book) -> bool:
        return not book.shared or book.account_id in (self.books.get(book.shared_id) or {}).get("members", [])

    def record_contact(self, book: Book, contact: dict, *, expected_version: int | None, new_pointers: list[str],
               also=()) -> bool:
        key = (book.partition, contact["contact_id"])
        with self.lock:
            stored = self.contacts_.get(key)
            if (stored is None) != (expected_version is None):
                return False
            if stored is not None and stored.get("version") != expected_version:
                return False
            if not self._member(book) or any((book.partition, k) in self.pointers for k in new_pointers):
                return False
            self.contacts_[key] = copy.deepcopy(contact)
            for k in new_pointers:
                self.pointers[(book.partition, k)] = contact["contact_id"]
            for write in also:
                write()
        return True

    def contacts_of(self, book: Book) -> Iterator[dict]:
        with self.lock:
            found = [copy.deepcopy(c) for (p, _i), c in sorted(self.contacts_.items()) if p == book.partition]
        yield from found

    # ---- personal data
    def existing_pointers(self, book: Book, keys: list[str]) -> list[str]:
        with self.lock:
            return [k for k in keys if (book.partition, k) in self.pointers]

    def delete_pointers(self, book: Book, keys: list[str]) -> None:
        with self.lock:
            for k in keys:
                self.pointers.pop((book.partition, k), None)

    def delete_contact(self, book: Book, contact_id: str) -> None:
        with self.lock:
            self.contacts_.pop((book.partition, contact_id), None)

    def keep_only(self, book: Book, contact_id: str, identities: list[str], touches: list[dict]) -> None:
        with self.lock:
            contact = self.contacts_[(book.partition, contact_id)]
            contact.update(identities=list(identities), touches=copy.deepcopy(touches), first_touch=None,
                           last_touch=None)
