"""Attack: account A's admin points A at account B's contact book (`options.contact_book = "acct-b"`); then
even a read-only key of A reads B's people (`/contacts?unionid=`), and A's events merge into B's book.

Sharing a contact book is a platform decision (PUT /contact-books/{book_id}, platform key only) that lists its
member accounts; the contacts repository finds an account's book from that membership and refuses any other,
on every read, and every write carries the membership as a transaction condition."""

from __future__ import annotations

import json
import time

import pytest

from tests.integration.admin_helpers import make_api


@pytest.fixture
def api(aws):
    from chalice.test import Client

    from app import app

    with Client(app) as client:
        yield make_api(client)


def b_has_a_customer():
    """A person in B's own book, known by unionid u-secret."""
    from scrm.data.contacts import ContactItem

    ContactItem("acct-b", "i#u:u-secret", contact_id="cb1").save()
    ContactItem("acct-b", "c#cb1", contact_id="cb1", unionid="u-secret", identities=["oa:acct-b:o-b1"],
                touches=json.dumps([{"k": "follow", "t": 1, "a": "acct-b", "i": "o-b1", "c": "direct",
                                     "d": "x"}]), version=1).save()


def book_items(partition: str) -> list[str]:
    from scrm.data.contacts import ContactItem

    return sorted(i.sk for i in ContactItem.query(partition))


def follow(account_id: str, openid: str):
    from scrm.domain import attribution as rules
    from scrm.services.attribution import attribute

    touch = rules.make_touch(kind=rules.FOLLOW, t=int(time.time()), account_id=account_id, identity=openid,
                             channel="direct", dedupe_key=f"{openid}|follow")
    return attribute(account_id, "oa", openid, touch)


def test_an_account_admin_cannot_point_its_account_at_another_book(api):
    from scrm.data.accounts import AccountRecord

    b_has_a_customer()
    r = api.call("PATCH", "/accounts/acct-a", key=api.key("acct-a", "admin"),
                 body={"options": {"contact_book": "acct-b"}})
    assert r.status_code == 400 and r.json_body["error"]["field"] == "options.contact_book"
    assert "contact_book" not in AccountRecord.get("acct-a").options.as_dict()
    for method, body in (("GET", None), ("PUT", {"members": ["acct-a", "acct-b"]}), ("DELETE", None)):
        r = api.call(method, "/contact-books/acct-b", key=api.key("acct-a", "admin"), body=body)
        assert r.status_code == 403, (method, r.body)
    assert book_items("book#acct-b") == [] and book_items("acct-a") == []


def test_a_stored_contact_book_option_is_not_a_way_in(api):
    """Whatever the account record says (an old option, a bug), reads and writes stay in A's own book."""
    from scrm import accounts
    from scrm.data.accounts import AccountRecord

    b_has_a_customer()
    rec = AccountRecord.get("acct-a")
    rec.update(actions=[AccountRecord.options.set({"contact_book": "acct-b"})])
    accounts.forget_cache()
    r = api.call("GET", "/accounts/acct-a/contacts?unionid=u-secret", key=api.key("acct-a", "read-only"))
    assert r.status_code == 404, r.body
    before = book_items("acct-b")
    follow("acct-a", "o-a1")
    assert book_items("acct-b") == before  # nothing merged into B's book
    assert "i#oa:acct-a:o-a1" in book_items("acct-a")


def test_the_repository_refuses_a_book_the_account_is_not_a_member_of(api):
    from scrm.data import contacts
    from scrm.errors import Forbidden
    from scrm.tenancy import Scope

    b_has_a_customer()
    with pytest.raises(Forbidden):
        contacts.open_book(Scope.system("acct-a"), "acct-a", book_id="acct-b")
    with pytest.raises(Forbidden):  # a key of A acting for B
        from scrm.services.admin_keys import authenticate

        contacts.open_book(authenticate(api.key("acct-a", "admin")).scope_for("acct-b"), "acct-b")
    with pytest.raises(Forbidden):  # an account key cannot share books, even calling the repository
        contacts.set_members(Scope.system("acct-a"), "mine", ["acct-a", "acct-b"], account_exists=lambda _: True)
    # a forged membership item (A "in" a shared book that does not list A): refused on read and on write
    contacts.set_members(Scope.system(), "b-only", ["acct-b"], account_exists=lambda _: True)
    contacts.ContactItem("acct-a", contacts.MEMBERSHIP, shared_book="b-only").save()
    with pytest.raises(Forbidden):
        contacts.open_book(Scope.system("acct-a"), "acct-a")
    r = api.call("GET", "/accounts/acct-a/contacts?unionid=u-secret", key=api.key("acct-a", "read-only"))
    assert r.status_code == 403
    with pytest.raises(Forbidden):
        follow("acct-a", "o-a2")
    assert book_items("book#b-only") == ["#members"]


def test_a_platform_shared_book_joins_its_members_and_only_them(api):
    from pynamodb.exceptions import TransactWriteError
    from pynamodb.transactions import TransactWrite

    from scrm.data import contacts
    from scrm.tenancy import Scope

    r = api.call("PUT", "/contact-books/shop", key=api.platform_key, body={"members": ["acct-a", "acct-b"]})
    assert r.status_code == 200 and r.json_body == {"book_id": "shop", "members": ["acct-a", "acct-b"]}
    mine = api.call("GET", "/accounts/acct-a/contact-book", key=api.key("acct-a", "read-only")).json_body
    assert mine == {"book_id": "shop", "shared": True, "members": ["acct-a", "acct-b"]}
    from scrm.data.contacts import ContactItem

    ContactItem("book#shop", "i#u:u-shared", contact_id="cs1").save()
    ContactItem("book#shop", "c#cs1", contact_id="cs1", unionid="u-shared", identities=["oa:acct-b:o-b9"],
                touches="[]", version=1).save()
    r = api.call("GET", "/accounts/acct-a/contacts?unionid=u-shared", key=api.key("acct-a", "read-only"))
    assert r.status_code == 200 and r.json_body["contact_id"] == "cs1"
    # an account belongs to one shared book at most: acct-b is in "shop", so "other" is refused
    r = api.call("PUT", "/contact-books/other", key=api.platform_key, body={"members": ["acct-b"]})
    assert r.status_code == 409 and "acct-b" in r.json_body["error"]["message"]
    assert book_items("book#other") == []
    r = api.call("PUT", "/contact-books/shop", key=api.platform_key, body={"members": ["acct-a", "nobody"]})
    assert r.status_code == 400 and r.json_body["error"]["field"] == "members[1]"

    # a write that raced the removal of A is refused by its own transaction
    book = contacts.open_book(Scope.system("acct-a"), "acct-a")
    r = api.call("PUT", "/contact-books/shop", key=api.platform_key, body={"members": ["acct-b"]})
    assert r.status_code == 200
    with pytest.raises(TransactWriteError):
        with TransactWrite(connection=ContactItem._get_connection().connection) as tx:
            tx.save(book.pointer_item("oa:acct-a:o-late", "cs1"))
            book.guard(tx)
    assert "i#oa:acct-a:o-late" not in book_items("book#shop")
    # removed, A is back on its own book and no longer sees the shared people
    r = api.call("GET", "/accounts/acct-a/contacts?unionid=u-shared", key=api.key("acct-a", "read-only"))
    assert r.status_code == 404
    assert api.call("DELETE", "/contact-books/shop", key=api.platform_key).json_body["members"] == []
    assert api.call("GET", "/contact-books/shop", key=api.platform_key).status_code == 404
