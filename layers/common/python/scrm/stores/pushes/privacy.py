"""The push store's privacy part (scrm.services.privacy): each table's items about one person, exported and, when
erasing, pseudonymised (recipient lists, once-markers and quota rows keep their counts under the erasure's
pseudonym) or deleted (the 48-hour interaction window serves only them). Tenancy: every method takes the caller's
scope and refuses (Forbidden) another account's data; (scope, person, erase) -> the person's items, read before
any change (scrm.domain.persons.found); run again after an erasure it finds nothing."""

from __future__ import annotations

from typing import Protocol

from ...domain.persons import Person
from ...tenancy import Scope


class PushPrivacy(Protocol):
    def person_pushes(self, scope: Scope, p: Person, erase: bool) -> list[dict]:
        """Pushes whose explicit audience lists the person: the audience scrubbed."""

    def person_segments(self, scope: Scope, p: Person, erase: bool) -> list[dict]:
        """Saved segments whose explicit audience lists the person: the audience scrubbed."""

    def person_push_batches(self, scope: Scope, p: Person, erase: bool) -> list[dict]:
        """Their place in each run's recipient lists, once-markers and plan/batch documents: pseudonymised."""

    def person_quota_ledger(self, scope: Scope, p: Person, erase: bool) -> list[dict]:
        """Per-recipient quota rows: re-keyed to the pseudonym (the account-wide usage stays)."""

    def person_interactions(self, scope: Scope, p: Person, erase: bool) -> list[dict]:
        """Their last interaction per openid or external_userid: deleted."""
