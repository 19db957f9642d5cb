"""The reassignment store's privacy part (scrm.services.privacy): a customer's transfer items, the batches and
notices that name them (found through their items: run before the items are pseudonymised, or through the
pseudonym), and the on-job ledger. Items, batches and notices are pseudonymised (plans' counts stay); ledger
entries serve only the customer and are deleted. Tenancy: every method takes the caller's scope and refuses
(Forbidden) another account's; (scope, person, erase) -> the person's items read before any change."""

from __future__ import annotations

from typing import Protocol

from ...domain.persons import Person
from ...tenancy import Scope


class ReassignmentPrivacy(Protocol):
    def person_transfers(self, scope: Scope, p: Person, erase: bool) -> list[dict]:
        """Transfer items of their external_userids: target, reason and history pseudonymised."""

    def person_transfer_batches(self, scope: Scope, p: Person, erase: bool) -> list[dict]:
        """Batches of the plans their items are in that list them as a target or in the summary."""

    def person_transfer_notices(self, scope: Scope, p: Person, erase: bool) -> list[dict]:
        """Takeover notices of those plans whose text or sample names them."""

    def person_transfer_ledger(self, scope: Scope, p: Person, erase: bool) -> list[dict]:
        """Their on-job transfer ledger entries: deleted."""
