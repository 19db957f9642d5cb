"""The channels capability's two stores as one pair per implementation (the contact store commits the channel
store's attribution writes, so the two are always of the same kind), for the contract tests."""

from __future__ import annotations

from dataclasses import dataclass

from scrm.tenancy import Scope


@dataclass
class Stores:
    channels: object
    contacts: object
    kind: str

    def commit(self, account_id: str, writes: list, contact_id: str = "carrier") -> None:
        """Commit channel-store writes the way attribution does: with a contact write."""
        book = self.contacts.open_book(Scope.system(account_id), account_id)
        current = self.contacts.load_contact(book, contact_id)
        contact = {"contact_id": contact_id, "unionid": None, "identities": [], "touches": [], "first_touch": None,
                   "last_touch": None, "version": (current["version"] + 1) if current else 1, "created_at": 1,
                   "updated_at": 1}
        assert self.contacts.record_contact(book, contact, expected_version=current["version"] if current else None,
                                    new_pointers=[], also=writes)


IMPLEMENTATIONS = ["memory", "dynamo"]


def make_stores(request) -> Stores:
    """The pair for a test parametrized over IMPLEMENTATIONS (the DynamoDB one under the `aws` moto fixture)."""
    if request.param == "memory":
        from scrm.stores.channels import MemoryChannelStore
        from scrm.stores.contacts import MemoryContactStore

        return Stores(MemoryChannelStore(), MemoryContactStore(), "memory")
    request.getfixturevalue("aws")
    from scrm.stores.channels.dynamo import DynamoChannelStore
    from scrm.stores.contacts.dynamo import DynamoContactStore

    return Stores(DynamoChannelStore(), DynamoContactStore(), "dynamo")
