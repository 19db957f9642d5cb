"""The contact store's in-memory twin: the same conditions as DynamoDB under one lock, copies out."""

from __future__ import annotations

import bisect
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
        self.profiles: dict[tuple[str, str], dict] = {}  # (account, openid) -> profile with version, run
        self.counters: dict[tuple[str, int, str], int] = {}  # (account, shard, counter) -> n
        self.syncs: dict[str, dict] = {}  # account -> follower sync state
        self.profile_order: dict[str, list[str]] = {}  # account -> sorted openids, rebuilt after an insert
        self.fail_next_save = 0  # tests: this many profile saves raise after the condition check (a crash)

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

    # ---- follower profiles
    def follower_profiles(self, account_id: str, openids: list[str]) -> dict[str, dict]:
        with self.lock:
            return {o: _copy(self.profiles[(account_id, o)]) for o in openids if (account_id, o) in self.profiles}

    def save_follower_profiles(self, account_id: str, writes, moves: dict[str, int], shard: int) -> bool:
        with self.lock:
            for expected, profile in writes:
                stored = self.profiles.get((account_id, profile["openid"]))
                if (stored.get("version") if stored else None) != expected:
                    return False
            if self.fail_next_save:
                self.fail_next_save -= 1
                raise ConnectionError("store unreachable (test)")
            for expected, profile in writes:
                if profile.get("erased"):
                    self.profiles.pop((account_id, profile["openid"]), None)
                    self.profile_order.pop(account_id, None)
                    continue
                if expected is None:
                    self.profile_order.pop(account_id, None)
                self.profiles[(account_id, profile["openid"])] = {**_copy(profile), "version": (expected or 0) + 1}
            for key, n in moves.items():
                k = (account_id, shard, key)
                self.counters[k] = self.counters.get(k, 0) + n
        return True

    def follower_counts(self, account_id: str) -> dict[str, int]:
        out: dict[str, int] = {}
        with self.lock:
            for (a, _shard, key), n in self.counters.items():
                if a == account_id:
                    out[key] = out.get(key, 0) + n
        return {k: v for k, v in out.items() if v}

    def follower_profiles_page(self, account_id: str, start: str | None, limit: int):
        with self.lock:
            order = self.profile_order.get(account_id)
            if order is None:
                order = self.profile_order[account_id] = sorted(o for (a, o) in self.profiles if a == account_id)
            i = bisect.bisect_right(order, start) if start is not None else 0
            keys = order[i:i + limit + 1]
            page = [_copy(self.profiles[(account_id, o)]) for o in keys[:limit]]
        return page, (page[-1]["openid"] if len(keys) > limit else None)

    def follower_sync(self, account_id: str) -> dict | None:
        with self.lock:
            return copy.deepcopy(self.syncs.get(account_id))

    def save_follower_sync(self, account_id: str, state: dict, expected_version: int | None) -> bool:
        with self.lock:
            stored = self.syncs.get(account_id)
            if (stored["version"] if stored else None) != expected_version:
                return False
            self.syncs[account_id] = {**copy.deepcopy(state), "version": (expected_version or 0) + 1}
        return True


def _copy(profile: dict) -> dict:
    """A follower profile's copy (flat but for its tag list; deepcopy costs a million-follower sync minutes)."""
    return {**profile, "tagid_list": list(profile["tagid_list"])} if "tagid_list" in profile else dict(profile)
