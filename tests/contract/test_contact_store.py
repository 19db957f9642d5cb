"""The contact store's contract, for the in-memory twin and DynamoDB (moto) alike: books and their membership,
the all-or-nothing contact write, and the erasure operations."""

from __future__ import annotations

import pytest

from scrm.errors import Conflict, Forbidden, NotFound, ValidationError
from scrm.tenancy import Scope
from tests.contract.channel_stores import IMPLEMENTATIONS, make_stores

A, B, C = "acct-a", "acct-b", "acct-c"
PLATFORM = Scope.system()


@pytest.fixture(params=IMPLEMENTATIONS)
def stores(request):
    return make_stores(request)


def ANY(_account_id: str) -> bool:  # noqa: N802 (reads as a constant: every account exists)
    return True


def person(contact_id: str, version: int = 1, **values) -> dict:
    return {"contact_id": contact_id, "unionid": values.pop("unionid", None),
            "identities": values.pop("identities", [f"oa:{A}:o-{contact_id}"]),
            "touches": values.pop("touches", [{"k": "f", "t": 10, "a": A, "c": "c1", "d": "d1"}]),
            "first_touch": values.pop("first_touch", None), "last_touch": None, "version": version,
            "created_at": 10, "updated_at": 10, **values}


def test_an_account_opens_its_own_book_and_no_other(stores):
    s = stores.contacts
    book = s.open_book(Scope.system(A), A)
    assert (book.partition, book.account_id, book.shared) == (A, A, False)
    assert s.open_book(Scope.system(A), A, book_id=A) == book
    with pytest.raises(Forbidden):
        s.open_book(Scope.system(A), A, book_id=B)
    with pytest.raises(Forbidden):
        s.open_book(Scope.system(B), A)
    assert s.book_of(A) is None


def test_a_contact_is_written_once_and_then_only_over_its_version(stores):
    s, book = stores.contacts, stores.contacts.open_book(Scope.system(A), A)
    first = person("p1", first_touch={"t": 10, "c": "c1"})
    assert s.record_contact(book, first, expected_version=None, new_pointers=[f"oa:{A}:o-p1", "u:un1"])
    assert s.load_contact(book, "p1") == first
    assert s.contact_id_for(book, f"oa:{A}:o-p1") == "p1" and s.contact_id_for(book, "u:un1") == "p1"
    assert not s.record_contact(book, person("p1"), expected_version=None, new_pointers=[])  # exists already
    assert not s.record_contact(book, person("p1", version=3), expected_version=2, new_pointers=[])  # stale version
    second = person("p1", version=2, identities=[f"oa:{A}:o-p1", f"wecom:{A}:wm-1"])
    assert s.record_contact(book, second, expected_version=1, new_pointers=[f"wecom:{A}:wm-1"])
    assert s.load_contact(book, "p1") == second
    assert [c["contact_id"] for c in s.contacts_of(book)] == ["p1"]
    assert s.load_contact(book, "p2") is None and s.contact_id_for(book, "u:none") is None


def test_a_refused_write_writes_nothing_with_it(stores):
    s, book, channels = stores.contacts, stores.contacts.open_book(Scope.system(A), A), stores.channels
    assert s.record_contact(book, person("p1"), expected_version=None, new_pointers=["u:taken"])
    counted = channels.counter_writes({(A, "c1", "2026-12-01", "new_follows"): 1})
    # the pointer exists: the new contact, its other pointer and the counters all stay unwritten
    assert not s.record_contact(book, person("p2"), expected_version=None, new_pointers=["u:fresh", "u:taken"],
                        also=counted)
    assert s.load_contact(book, "p2") is None and s.contact_id_for(book, "u:fresh") is None
    assert channels.read_counts(Scope.system(A), A, ["c1"], "2026-12-01", "2026-12-01") == ({}, 0)
    assert s.record_contact(book, person("p2"), expected_version=None, new_pointers=["u:fresh"], also=counted)
    assert channels.read_counts(Scope.system(A), A, ["c1"], "2026-12-01", "2026-12-01")[0][("c1", "2026-12-01")][
        "new_follows"] == 1


def test_shared_books_are_a_platform_decision(stores):
    s = stores.contacts
    with pytest.raises(Forbidden):
        s.set_members(Scope.system(A), "shop", [A, B], ANY)
    with pytest.raises(ValidationError):
        s.set_members(PLATFORM, "Not A Book", [A], ANY)
    with pytest.raises(ValidationError) as bad:
        s.set_members(PLATFORM, "shop", [A, "nobody"], lambda a: a != "nobody")
    assert bad.value.field == "members[1]"
    with pytest.raises(NotFound):
        s.get_book(PLATFORM, "shop")
    assert s.set_members(PLATFORM, "shop", [B, A], ANY) == {"book_id": "shop", "members": [A, B]}
    assert s.get_book(PLATFORM, "shop") == {"book_id": "shop", "members": [A, B]}
    assert s.book_of(A) == "shop"
    with pytest.raises(Conflict):  # one shared book per account
        s.set_members(PLATFORM, "other", [B, C], ANY)
    assert s.book_of(C) is None
    book_a, book_b = s.open_book(Scope.system(A), A), s.open_book(Scope.system(B), B)
    assert book_a.shared and book_a.partition == book_b.partition and book_a.shared_id == "shop"
    assert s.record_contact(book_a, person("p1"), expected_version=None, new_pointers=["u:un1"])
    assert s.contact_id_for(book_b, "u:un1") == "p1"  # one person for both members
    s.set_members(PLATFORM, "shop", [B], ANY)
    with pytest.raises(Forbidden):
        s.open_book(Scope.system(A), A, book_id="shop")
    assert s.open_book(Scope.system(A), A).partition == A  # back on its own book
    # a write through the book A held before its removal is refused by its own transaction
    assert not s.record_contact(book_a, person("p2"), expected_version=None, new_pointers=[])
    assert s.load_contact(book_b, "p2") is None
    assert s.set_members(PLATFORM, "shop", [], ANY)["members"] == []
    with pytest.raises(NotFound):
        s.get_book(PLATFORM, "shop")


def test_erasure_operations(stores):
    s, book = stores.contacts, stores.contacts.open_book(Scope.system(A), A)
    keys = [f"oa:{A}:o-p1", f"wecom:{A}:wm-1", "u:un1"]
    s.record_contact(book, person("p1", identities=keys[:2], unionid="un1"), expected_version=None, new_pointers=keys)
    assert s.existing_pointers(book, [keys[0], "oa:x:nobody", keys[2]]) == [keys[0], keys[2]]
    s.delete_pointers(book, [keys[0]])
    s.delete_pointers(book, [keys[0]])  # idempotent
    assert s.existing_pointers(book, keys) == keys[1:]
    s.keep_only(book, "p1", [keys[1]], [{"k": "a", "t": 20, "a": B, "c": "c2", "d": "d2"}])
    kept = s.load_contact(book, "p1")
    assert (kept["identities"], kept["touches"][0]["a"], kept["first_touch"]) == ([keys[1]], B, None)
    s.delete_contact(book, "p1")
    s.delete_contact(book, "p1")
    assert s.load_contact(book, "p1") is None
