"""The contact store on DynamoDB (table `contacts`), built on scrm.data.contacts: its repository checks the
book membership (`open_book`) and makes a write through a shared book conditional on it (`guard`)."""

from __future__ import annotations

import json
from collections.abc import Iterator

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from ...data import contacts as records
from ...data.contacts import ContactBook, ContactItem
from ...tenancy import Scope
from .base import Book

FIELDS = ("contact_id", "unionid", "version", "created_at", "updated_at")


def contact_of(item: ContactItem) -> dict:
    out = {name: getattr(item, name) for name in FIELDS}
    out["identities"] = list(item.identities or [])
    out["touches"] = json.loads(item.touches) if item.touches else []
    out["first_touch"] = item.first_touch.as_dict() if item.first_touch is not None else None
    out["last_touch"] = item.last_touch.as_dict() if item.last_touch is not None else None
    return out


def _repository(book: Book) -> ContactBook:
    if isinstance(book, ContactBook):
        return book
    return ContactBook(partition=book.partition, account_id=book.account_id, shared_id=book.shared_id)


def conflict(exc: TransactWriteError) -> bool:
    """A transaction refused because a condition failed or another transaction held an item."""
    reasons = getattr(exc, "cancellation_reasons", None) or []
    codes = {getattr(r, "code", None) for r in reasons if r is not None}
    if codes & {"ConditionalCheckFailed", "TransactionConflict"}:
        return True
    text = str(getattr(exc, "cause", "")) + str(exc)
    return "ConditionalCheckFailed" in text or "TransactionConflict" in text


class DynamoContactStore:
    # ---- books
    def open_book(self, scope: Scope, account_id: str, book_id: str | None = None) -> Book:
        return records.open_book(scope, account_id, book_id)

    def book_of(self, account_id: str) -> str | None:
        return records.book_of(account_id)

    def get_book(self, scope: Scope, book_id: str) -> dict:
        return records.get_book(scope, book_id)

    def set_members(self, scope: Scope, book_id: str, members: list[str], account_exists) -> dict:
        return records.set_members(scope, book_id, members, account_exists=account_exists)

    # ---- contacts
    def contact_id_for(self, book: Book, key: str) -> str | None:
        return _repository(book).contact_id_for(key)

    def load_contact(self, book: Book, contact_id: str) -> dict | None:
        item = _repository(book).load_contact(contact_id)
        return contact_of(item) if item is not None else None

    def record_contact(self, book: Book, contact: dict, *, expected_version: int | None, new_pointers: list[str],
               also=()) -> bool:
        repo = _repository(book)
        values = {k: v for k, v in contact.items() if k != "contact_id" and v is not None}
        values["touches"] = json.dumps(contact["touches"], separators=(",", ":"))
        item = repo.contact_item(contact["contact_id"], **values)
        try:
            with TransactWrite(connection=ContactItem._get_connection().connection) as tx:
                tx.save(item, condition=(ContactItem.version == expected_version) if expected_version is not None
                        else ContactItem.sk.does_not_exist())
                repo.guard(tx)  # still a member of a shared book, as of this write
                for key in new_pointers:
                    tx.save(repo.pointer_item(key, contact["contact_id"]), condition=ContactItem.sk.does_not_exist())
                for write, actions in also:
                    tx.update(write, actions=actions)
        except TransactWriteError as exc:
            if conflict(exc):
                return False
            raise
        return True

    def contacts_of(self, book: Book) -> Iterator[dict]:
        for item in _repository(book).contacts():
            yield contact_of(item)

    # ---- personal data
    def existing_pointers(self, book: Book, keys: list[str]) -> list[str]:
        repo = _repository(book)
        return [k for k in keys if repo.contact_id_for(k) is not None]

    def delete_pointers(self, book: Book, keys: list[str]) -> None:
        for k in keys:
            ContactItem(book.partition, f"i#{k}").delete()

    def delete_contact(self, book: Book, contact_id: str) -> None:
        ContactItem(book.partition, f"c#{contact_id}").delete()

    def keep_only(self, book: Book, contact_id: str, identities: list[str], touches: list[dict]) -> None:
        ContactItem(book.partition, f"c#{contact_id}").update(actions=[
            ContactItem.identities.set(identities),
            ContactItem.touches.set(json.dumps(touches, separators=(",", ":"))),
            ContactItem.first_touch.remove(), ContactItem.last_touch.remove()])
