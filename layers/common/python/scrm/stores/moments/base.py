"""The moment store's interface: what the moment use cases (scrm.services.moments) may ask of their data.

Two implementations honour it: `MemoryMomentStore` (memory.py: unit tests, the benchmark) and `DynamoMomentStore`
(dynamo.py: Lambda). tests/contract/test_moment_store.py runs one contract over both.

Common to every method (as for the push store, scrm.stores.pushes.base):
- **Tenancy.** Every call names an account and raises `errors.Forbidden` unless the store's Scope allows it; the
  cross-account scheduler query (`due`) returns only accounts the scope may see.
- **Plain dicts, copies out.** A `changes` value of None removes the field.
- **Conditions answer, they do not raise** (False / None), except `create_moment` (`DuplicateMoment`).
- **The monthly counts** are the pushes' quota ledger (`quota_ledger` table, the same conditional writes in
  transactions of at most 100, keys of delivery `moment`): `reserve_many`, `release_many` and `used_many` keep
  exactly the push store's semantics (base.PushStore).
"""

from __future__ import annotations

from typing import Protocol

from ...tenancy import Scope


class DuplicateMoment(KeyError):
    """create_moment of an (account, moment id) that exists."""


class MomentStore(Protocol):
    scope: Scope

    def scoped(self, scope: Scope) -> MomentStore:
        """The same store (same data, connections and counters) with every call checked against `scope`."""

    def create_moment(self, moment: dict) -> None:
        """Insert a moment (it names account_id and moment_id). Raises DuplicateMoment if it exists."""

    def get_moment(self, account_id: str, moment_id: str) -> dict | None:
        """The moment as last written (strongly consistent), or None."""

    def page_moments(self, account_id: str, limit: int = 50, start: dict | None = None
                     ) -> tuple[list[dict], dict | None]:
        """At most `limit` of the account's moments, newest moment id first, and the cursor to continue from (None
        at the end). A cursor of another account raises ValueError."""

    def update_moment(self, account_id: str, moment_id: str, changes: dict, *, expect_status=None,
                      expect_owner: str | None = None) -> bool:
        """Apply `changes` if the moment exists, its status is in `expect_status` (when given) and its lease owner
        is `expect_owner` (when given: a run that lost its lease writes nothing). False otherwise."""

    def claim(self, account_id: str, moment_id: str, owner: str, now: float, lease_until: float) -> dict | None:
        """Take the lease on a due moment: only if it is marked due, next_run_at <= now and no lease is held at
        `now` (lease_until < now). Sets lease_owner and lease_until and returns the moment; None otherwise."""

    def due(self, now: float, limit: int = 25) -> list[tuple[str, str]]:
        """(account, moment id) of moments marked due with next_run_at <= now, earliest first. A hint: `claim`
        decides."""

    def reserve_many(self, account_id: str, keys: list[str], limit: int, holder: str, ttl: int) -> list[bool]:
        """The quota ledger's reservation (base.PushStore.reserve_many): one slot per row below `limit` for
        `holder`; a row the holder already has is granted again without counting twice."""

    def release_many(self, account_id: str, keys: list[str], holder: str) -> None:
        """Give back `holder`'s slot on each row it has one on; releasing twice gives back once."""

    def used_many(self, account_id: str, keys: list[str]) -> dict[str, int]:
        """{key: slots used} for the rows that exist."""
