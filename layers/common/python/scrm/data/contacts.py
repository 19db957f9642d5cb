"""Table `contacts`: one record per person in a contact book, and the identities that point to it.

A contact book is an account's own, or one shared by several accounts (e.g. an OA and the WeCom corp of the
same company, so a unionid joins a follower and a customer into one person). Sharing is a platform decision:
a platform admin creates the shared book with its member accounts (PUT /contact-books/{book_id}), and the
repository below addresses a book only for an account that is a member of it. No caller names the book: an
account's book is read from its own membership record, so an account admin cannot point its account (or its
events, or its read-only keys) at another tenant's people.

Items (hash `book`, range `sk`):
- `c#<contact_id>`: the contact: unionid, identities, touches (JSON list; see scrm.domain.attribution),
  first/last touch, `version` for optimistic concurrency.
- `i#oa:<account_id>:<openid>`, `i#wecom:<account_id>:<external_userid>`, `i#u:<unionid>`: pointers to
  the contact id, each created once with a condition.
- in partition `<account_id>`, sk `#book`: the account's membership of a shared book (`shared_book`); absent
  when the account uses its own book (partition `<account_id>`).
- in partition `book#<book_id>` (a shared book; `#` never appears in an account id), sk `#members`: the
  member accounts and a version. Written with the members' `#book` items in one transaction.
- in partition `<account_id>` (an OA's own, whichever book it uses: language, tags and scene are of this OA),
  its follower profiles (scrm.domain.followers): sk `f#<openid>` with `profile` (JSON), `run` (the sync run
  that last saw it) and `version`; the breakdown counters, sk `#fc#<shard>#<counter>` with `n`; and the
  follower sync's state, sk `#fsync` (`state` JSON, `version`).
"""

from __future__ import annotations

from dataclasses import dataclass

from pynamodb.attributes import ListAttribute, MapAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import TransactWriteError
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from ..errors import Conflict, Forbidden, NotFound
from ..stores.contacts.base import (
    MAX_MEMBERS,  # noqa: F401 (functions/admin_api reads it here)
    Book,
    check_book_id,
    check_members,
    platform_only,
)
from .registry import table

SHARED = "book#"  # partition prefix of shared books
MEMBERSHIP = "#book"
MEMBERS = "#members"


@table("contacts")
class ContactItem(Model):
    class Meta:
        pass

    book = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    contact_id = UnicodeAttribute(null=True)
    unionid = UnicodeAttribute(null=True)
    identities = ListAttribute(null=True)
    touches = UnicodeAttribute(null=True)  # JSON list of touches
    first_touch = MapAttribute(null=True)
    last_touch = MapAttribute(null=True)
    version = NumberAttribute(null=True)
    created_at = NumberAttribute(null=True)
    updated_at = NumberAttribute(null=True)
    profile = UnicodeAttribute(null=True)  # follower profile (JSON), sk f#<openid>
    run = UnicodeAttribute(null=True)  # the follower sync run that last saw the profile
    n = NumberAttribute(null=True)  # a breakdown counter, sk #fc#...
    state = UnicodeAttribute(null=True)  # the follower sync's state (JSON), sk #fsync
    shared_book = UnicodeAttribute(null=True)  # MEMBERSHIP item: the shared book's id
    members = ListAttribute(of=UnicodeAttribute, null=True)  # MEMBERS item: the member account ids


def _get(book: str, sk: str) -> ContactItem | None:
    try:
        return ContactItem.get(book, sk, consistent_read=True)
    except ContactItem.DoesNotExist:
        return None


@dataclass(frozen=True)
class ContactBook(Book):
    """A contact book as one member account addresses it. Obtain it from `open_book` (membership checked);
    writes made through it carry the membership as a condition of their transaction."""

    def contact_id_for(self, key: str) -> str | None:
        item = _get(self.partition, f"i#{key}")
        return item.contact_id if item else None

    def load_contact(self, contact_id: str) -> ContactItem | None:
        return _get(self.partition, f"c#{contact_id}")

    def contact_item(self, contact_id: str, **attributes) -> ContactItem:
        return ContactItem(self.partition, f"c#{contact_id}", contact_id=contact_id, **attributes)

    def pointer_item(self, key: str, contact_id: str) -> ContactItem:
        return ContactItem(self.partition, f"i#{key}", contact_id=contact_id)

    def guard(self, tx) -> None:
        """Make a write transaction conditional on the account still being a member of this shared book."""
        if self.shared:
            tx.condition_check(ContactItem, self.partition, MEMBERS,
                               condition=ContactItem.members.contains(self.account_id))

    def contacts(self):
        return ContactItem.query(self.partition, ContactItem.sk.startswith("c#"))


def book_of(account_id: str) -> str | None:
    """The shared book an account belongs to, None for its own book."""
    item = _get(account_id, MEMBERSHIP)
    return item.shared_book if item else None


def open_book(scope, account_id: str, book_id: str | None = None) -> ContactBook:
    """The contact book `account_id` uses, for a scope that may act for that account. `book_id`, if given,
    must be that book (the account's own id, or the shared book it is a member of): anything else is refused."""
    scope.check(account_id)
    shared = book_of(account_id)
    if book_id is not None and book_id != (shared or account_id):
        raise Forbidden(f"account {account_id} is not a member of contact book {book_id}")
    if shared is None:
        return ContactBook(partition=account_id, account_id=account_id)
    record = _get(SHARED + shared, MEMBERS)
    if record is None or account_id not in (record.members or []):
        raise Forbidden(f"account {account_id} is not a member of contact book {shared}")
    return ContactBook(partition=SHARED + shared, account_id=account_id, shared_id=shared)


# --- shared books: a platform decision


def get_book(scope, book_id: str) -> dict:
    platform_only(scope)
    check_book_id(book_id)
    record = _get(SHARED + book_id, MEMBERS)
    if record is None:
        raise NotFound(f"no contact book {book_id!r}")
    return {"book_id": book_id, "members": sorted(record.members or [])}


def set_members(scope, book_id: str, members: list[str], account_exists) -> dict:
    """Create or change a shared book: its members, and each member's membership, in one transaction.
    An account belongs to at most one shared book; a removed member goes back to its own book (the shared
    book's people stay in the shared book)."""
    platform_only(scope)
    check_book_id(book_id)
    wanted = check_members(members, account_exists)
    partition = SHARED + book_id
    record = _get(partition, MEMBERS)
    current = set(record.members or []) if record else set()
    for account_id in sorted(wanted - current):
        other = book_of(account_id)
        if other not in (None, book_id):
            raise Conflict(f"account {account_id} belongs to contact book {other}: remove it there first")
    version = (record.version or 0) if record else 0
    try:
        with TransactWrite(connection=ContactItem._get_connection().connection) as tx:
            condition = (ContactItem.version == version) if record else ContactItem.sk.does_not_exist()
            if wanted:
                tx.save(ContactItem(partition, MEMBERS, members=sorted(wanted), version=version + 1),
                        condition=condition)
            else:
                tx.delete(ContactItem(partition, MEMBERS), condition=condition)
            for account_id in sorted(wanted - current):
                tx.save(ContactItem(account_id, MEMBERSHIP, shared_book=book_id),
                        condition=ContactItem.sk.does_not_exist() | (ContactItem.shared_book == book_id))
            for account_id in sorted(current - wanted):
                tx.delete(ContactItem(account_id, MEMBERSHIP), condition=ContactItem.shared_book == book_id)
    except TransactWriteError as exc:
        if "ConditionalCheckFailed" in str(getattr(exc, "cause", "")) + str(exc) or "TransactionConflict" in str(exc):
            raise Conflict(f"contact book {book_id} or its members' memberships changed meanwhile; retry") from None
        raise
    return {"book_id": book_id, "members": sorted(wanted)}
