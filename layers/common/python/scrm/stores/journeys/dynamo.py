"""The journey store on DynamoDB (`journeys`, `journey_entrants` with its due-index, `journey_figures`).
Conditions and crash semantics: base.JourneyStore. An entrant's write and the figures it moves are one
TransactWriteItems (at most 1 + steps touched items), so the counters never drift from the entrants."""

from __future__ import annotations

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from ...data.journeys import EntrantRecord as E
from ...data.journeys import JourneyFigureRecord as F
from ...data.journeys import JourneyRecord as J
from ...data.paging import one_page
from ...tenancy import Scope
from .. import records
from ..pushes import dynamo_leases as leases
from ..pushes.layout import ScopedStore, check_cursor
from ..records import JsonRecord
from .base import COUNTERS, DuplicateJourney
from .dynamo_privacy import DynamoJourneyPrivacy
from .memory import IN_JOURNEY, journey_key

JSON_FIELDS = ("trigger", "steps", "outcomes", "goal_prize")
EXIT_TRIES = 3  # an exit racing a step that moves the person on reads again


JOURNEYS = JsonRecord(JSON_FIELDS)
_encode = JOURNEYS.encode


def _dict(rec) -> dict:
    out = JOURNEYS.to_dict(rec)
    if isinstance(rec, E):
        out.pop("journey_key", None)
        out["step"] = int(out["step"])
    return out


def _figure_updates(tx, key: str, figures: dict[int, dict[str, int]]) -> None:
    for step, counters in figures.items():
        tx.update(F(key, step), actions=[getattr(F, k).add(n) for k, n in counters.items()])


def _transact(write) -> bool:
    """Run one transaction; False when a condition in it failed (nothing written)."""
    try:
        with TransactWrite(connection=E._get_connection().connection) as tx:
            write(tx)
    except TransactWriteError as exc:
        codes = [getattr(r, "code", None) for r in exc.cancellation_reasons or [] if r is not None]
        if "ConditionalCheckFailed" in codes:
            return False
        raise
    return True


class DynamoJourneyStore(DynamoJourneyPrivacy, ScopedStore):
    def __init__(self, scope: Scope | None = None):
        super().__init__(scope or Scope.system())

    # ---- journeys
    def create_journey(self, journey: dict) -> None:
        self._c(journey["account_id"])
        records.create(J, JOURNEYS, journey, DuplicateJourney, "journey")

    def get_journey(self, account_id: str, journey_id: str) -> dict | None:
        self._c(account_id)
        return records.get(J, JOURNEYS, account_id, journey_id)

    def page_journeys(self, account_id: str, limit: int = 50, start: dict | None = None
                      ) -> tuple[list[dict], dict | None]:
        self._c(account_id)
        return records.page(J, JOURNEYS, account_id, limit, start)

    def active_journeys(self, account_id: str) -> list[dict]:
        self._c(account_id)
        return [_dict(r) for r in J.query(account_id, filter_condition=J.status.is_in("active", "paused"),
                                          consistent_read=True)]

    def update_journey(self, account_id: str, journey_id: str, changes: dict, *, expect_status=None) -> bool:
        self._c(account_id)
        return leases.update_fields(J, J(account_id, journey_id), changes, _encode, J.journey_id.exists(),
                                    expect_status=expect_status)

    # ---- entrants
    def enrol(self, entrant: dict) -> bool:
        self._c(entrant["account_id"])
        key = journey_key(entrant["account_id"], entrant["journey_id"])
        rec = E(key, entrant["person"], **{k: _encode(k, v) for k, v in entrant.items()
                                           if v is not None and k != "person"})

        def write(tx):
            tx.save(rec, condition=E.person.does_not_exist())
            _figure_updates(tx, key, {entrant["step"]: {"entered": 1}})

        return _transact(write)

    def get_entrant(self, account_id: str, journey_id: str, person: str) -> dict | None:
        self._c(account_id)
        try:
            return _dict(E.get(journey_key(account_id, journey_id), person, consistent_read=True))
        except E.DoesNotExist:
            return None

    def page_entrants(self, account_id: str, journey_id: str, *, step: int | None = None, limit: int = 50,
                      start: dict | None = None) -> tuple[list[dict], dict | None]:
        self._c(account_id)
        key = journey_key(account_id, journey_id)
        check_cursor(start, "journey_key", key, "journey")
        items, last = one_page(E.query(key, filter_condition=None if step is None else E.step == step,
                                       limit=limit, page_size=limit, last_evaluated_key=start))
        return [_dict(r) for r in items], last

    def due(self, now: float, limit: int = 100) -> list[tuple[str, str, str]]:
        return [(r.account_id, r.journey_id, r.person)
                for r in E.due_index.query("1", E.next_run_at <= now, limit=limit) if self._in_scope(r.account_id)]

    def claim(self, account_id: str, journey_id: str, person: str, *, step: int, state: str, owner: str,
              now: float, lease_until: float) -> dict | None:
        self._c(account_id)
        rec = E(journey_key(account_id, journey_id), person)
        due = E.due.exists() & (E.next_run_at <= now) & (E.step == step) & (E.state == state)
        extra = (E.state.set("running"), E.next_run_at.set(lease_until))
        return _dict(rec) if leases.claim(E, rec, due, owner, now, lease_until, extra_actions=extra) else None

    def finish_step(self, account_id: str, journey_id: str, person: str, *, owner: str, step: int,
                    changes: dict, figures: dict[int, dict[str, int]]) -> bool:
        self._c(account_id)
        key = journey_key(account_id, journey_id)
        changes = {**changes, "lease_owner": None, "lease_until": None}
        actions = [getattr(E, k).remove() if v is None else getattr(E, k).set(_encode(k, v))
                   for k, v in changes.items()]
        held = (E.state == "running") & (E.step == step) & (E.lease_owner == owner)

        def write(tx):
            tx.update(E(key, person), actions=actions, condition=held)
            _figure_updates(tx, key, figures)

        return _transact(write)

    def exit(self, account_id: str, journey_id: str, person: str, reason: str, now: float) -> int | None:
        self._c(account_id)
        key = journey_key(account_id, journey_id)
        for _ in range(EXIT_TRIES):
            e = self.get_entrant(account_id, journey_id, person)
            if e is None or e["state"] not in IN_JOURNEY:
                return None
            step = e["step"]
            actions = [E.state.set("exited"), E.exit_reason.set(reason), E.due.remove(), E.lease_owner.remove(),
                       E.lease_until.remove(), E.updated_at.set(now)]
            cond = E.state.is_in(*IN_JOURNEY) & (E.step == step)

            def write(tx, actions=actions, cond=cond, step=step):
                tx.update(E(key, person), actions=actions, condition=cond)
                _figure_updates(tx, key, {step: {"exited": 1}})

            if _transact(write):
                return step
        return None

    def figures(self, account_id: str, journey_id: str) -> dict[int, dict[str, int]]:
        self._c(account_id)
        return {int(r.step): {k: int(getattr(r, k) or 0) for k in COUNTERS}
                for r in F.query(journey_key(account_id, journey_id), consistent_read=True)}
