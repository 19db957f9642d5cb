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
from .base import COUNTER, PROFILE, SYNC, Book

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

    # ---- follower profiles
    def follower_profiles(self, account_id: str, openids: list[str]) -> dict[str, dict]:
        out = {}
        for item in ContactItem.batch_get([(account_id, PROFILE + o) for o in openids], consistent_read=True):
            out[item.sk[len(PROFILE):]] = _profile_of(item)
        return out

    def save_follower_profiles(self, account_id: str, writes, moves: dict[str, int], shard: int) -> bool:
        try:
            with TransactWrite(connection=ContactItem._get_connection().connection) as tx:
                for expected, profile in writes:
                    if profile.get("erased"):
                        tx.delete(ContactItem(account_id, PROFILE + profile["openid"]),
                                  condition=ContactItem.version == expected)
                        continue
                    body = {k: v for k, v in profile.items() if k not in ("version", "run")}
                    item = ContactItem(account_id, PROFILE + profile["openid"], version=(expected or 0) + 1,
                                       run=profile.get("run"),
                                       profile=json.dumps(body, ensure_ascii=False, separators=(",", ":")))
                    tx.save(item, condition=(ContactItem.version == expected) if expected is not None
                            else ContactItem.sk.does_not_exist())
                for key, n in moves.items():
                    tx.update(ContactItem(account_id, f"{COUNTER}{shard}#{key}"), actions=[ContactItem.n.add(n)])
        except TransactWriteError as exc:
            if conflict(exc):
                return False
            raise
        return True

    def follower_counts(self, account_id: str) -> dict[str, int]:
        out: dict[str, int] = {}
        for item in ContactItem.query(account_id, ContactItem.sk.startswith(COUNTER), consistent_read=True):
            key = item.sk[len(COUNTER):].split("#", 1)[1]
            out[key] = out.get(key, 0) + int(item.n or 0)
        return {k: v for k, v in out.items() if v}

    def follower_profiles_page(self, account_id: str, start: str | None, limit: int):
        last = {"book": {"S": account_id}, "sk": {"S": PROFILE + start}} if start else None
        result = ContactItem.query(account_id, ContactItem.sk.startswith(PROFILE), limit=limit,
                                   last_evaluated_key=last, consistent_read=True)
        page = [_profile_of(item) for item in result]
        more = result.last_evaluated_key
        return page, (more["sk"]["S"][len(PROFILE):] if more and page else None)

    def follower_sync(self, account_id: str) -> dict | None:
        try:
            item = ContactItem.get(account_id, SYNC, consistent_read=True)
        except ContactItem.DoesNotExist:
            return None
        return {**json.loads(item.state or "{}"), "version": int(item.version or 0)}

    def save_follower_sync(self, account_id: str, state: dict, expected_version: int | None) -> bool:
        from pynamodb.exceptions import PutError

        body = {k: v for k, v in state.items() if k != "version"}
        item = ContactItem(account_id, SYNC, version=(expected_version or 0) + 1,
                           state=json.dumps(body, ensure_ascii=False, separators=(",", ":")))
        try:
            item.save(condition=(ContactItem.version == expected_version) if expected_version is not None
                      else ContactItem.sk.does_not_exist())
        except PutError as exc:
            if "ConditionalCheckFailed" in str(exc) or "ConditionalCheckFailed" in str(getattr(exc, "cause", "")):
                return False
            raise
        return True


def _profile_of(item: ContactItem) -> dict:
    return {**json.loads(item.profile or "{}"), "version": int(item.version or 0), "run": item.run}
