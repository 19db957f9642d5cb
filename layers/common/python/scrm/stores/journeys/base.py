"""The journey store's interface: what the journey use cases (scrm.services.journeys) may ask of their data.

`MemoryJourneyStore` (memory.py: unit tests, the benchmark) and `DynamoJourneyStore` (dynamo.py) honour it;
tests/contract/test_journey_store.py runs one contract over both.

Common to every method (as for the push store):
- **Tenancy.** Every call names an account and raises `errors.Forbidden` unless the store's Scope allows it; the
  cross-account schedule query (`due`) returns only accounts the scope may see.
- **Plain dicts, copies out.** A `changes` value of None removes the field.
- **Conditions answer, they do not raise** (False / None), except `create_journey` (`DuplicateJourney`).
- **Counters move with the state they count.** enrol, finish_step and exit write the entrant and add to the
  step's figures in one transaction: a crash leaves both or neither, so figures are exact under redelivery.
"""

from __future__ import annotations

from typing import Protocol

from ...tenancy import Scope

COUNTERS = ("entered", "done", "sent", "skipped_quota", "refused", "unknown", "exited", "finished")


class DuplicateJourney(KeyError):
    """create_journey of an (account, journey id) that exists."""


class JourneyStore(Protocol):
    scope: Scope

    def scoped(self, scope: Scope) -> JourneyStore:
        """The same store (same data and counters) with every call checked against `scope`."""

    # ---- journeys
    def create_journey(self, journey: dict) -> None:
        """Insert a journey (it names account_id and journey_id). Raises DuplicateJourney if it exists."""

    def get_journey(self, account_id: str, journey_id: str) -> dict | None:
        """The journey as last written (strongly consistent), or None."""

    def page_journeys(self, account_id: str, limit: int = 50, start: dict | None = None
                      ) -> tuple[list[dict], dict | None]:
        """At most `limit` journeys, newest id first, and the cursor to continue from (None at the end). A cursor
        of another account raises ValueError."""

    def active_journeys(self, account_id: str) -> list[dict]:
        """Every journey of the account whose status is active or paused (the ones events may touch)."""

    def update_journey(self, account_id: str, journey_id: str, changes: dict, *, expect_status=None) -> bool:
        """Apply `changes` if the journey exists and its status is in `expect_status` (when given)."""

    # ---- entrants
    def enrol(self, entrant: dict) -> bool:
        """Put a new entrant (account_id, journey_id, person, step 0, state ready, next_run_at, due) and add 1 to
        step 0's `entered`, only if (journey, person) has never entered: True the first time, False ever after."""

    def get_entrant(self, account_id: str, journey_id: str, person: str) -> dict | None:
        """The entrant as last written, or None."""

    def page_entrants(self, account_id: str, journey_id: str, *, step: int | None = None, limit: int = 50,
                      start: dict | None = None) -> tuple[list[dict], dict | None]:
        """Entrants in person order (only those at `step` when given; a page may hold fewer than `limit`) and the
        cursor to continue from. A cursor of another journey raises ValueError."""

    def due(self, now: float, limit: int = 100) -> list[tuple[str, str, str]]:
        """(account, journey, person) of entrants marked due with next_run_at <= now, earliest first. A hint:
        `claim` decides."""

    def claim(self, account_id: str, journey_id: str, person: str, *, step: int, state: str, owner: str,
              now: float, lease_until: float) -> dict | None:
        """Take the lease on an entrant's step: only if it is marked due, at `step`, in `state` (as the caller read
        it: ready, or running with a lease that ran out), next_run_at <= now and no lease is held at `now`. Sets
        state running, the lease, and next_run_at = lease_until (so an abandoned claim comes due again). Returns
        the entrant; None when any condition fails."""

    def finish_step(self, account_id: str, journey_id: str, person: str, *, owner: str, step: int,
                    changes: dict, figures: dict[int, dict[str, int]]) -> bool:
        """Record a step's outcome: apply `changes` (the next step, state, next_run_at, outcomes; the lease is
        cleared) and add `figures` ({step: {counter: n}}), only while `owner` holds the step (state running, at
        `step`). False when the lease was lost or the person exited meanwhile (nothing written)."""

    def exit(self, account_id: str, journey_id: str, person: str, reason: str, now: float) -> int | None:
        """End an entrant's journey (state exited, no longer due) and add 1 to `exited` of the step they were at,
        only if they are still in it (ready or running). The step, or None (not in it, already ended)."""

    def figures(self, account_id: str, journey_id: str) -> dict[int, dict[str, int]]:
        """{step: {counter: n}} for the steps with any figure."""
