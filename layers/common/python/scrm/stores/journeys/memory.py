"""The in-memory twin of the journey store (unit tests, the benchmark): base.JourneyStore's conditions under one
lock, copies out."""

from __future__ import annotations

import copy
import threading
from collections import defaultdict

from ...tenancy import Scope
from ..pushes.layout import ScopedStore, check_cursor, cursor
from .base import COUNTERS, DuplicateJourney
from .memory_privacy import MemoryJourneyPrivacy

IN_JOURNEY = ("ready", "running")


def journey_key(account_id: str, journey_id: str) -> str:
    return f"{account_id}#{journey_id}"


class MemoryJourneyStore(MemoryJourneyPrivacy, ScopedStore):
    def __init__(self, scope: Scope | None = None):
        super().__init__(scope or Scope.system())
        self.lock = threading.RLock()
        self.journeys: dict[tuple[str, str], dict] = {}
        self.entrants: dict[tuple[str, str, str], dict] = {}
        self._figures: dict[tuple[str, str], dict[int, dict[str, int]]] = defaultdict(dict)

    # ---- journeys
    def create_journey(self, journey: dict) -> None:
        self._c(journey["account_id"])
        with self.lock:
            key = (journey["account_id"], journey["journey_id"])
            if key in self.journeys:
                raise DuplicateJourney(f"journey {key} exists")
            self.journeys[key] = copy.deepcopy(journey)
            self.writes += 1

    def get_journey(self, account_id: str, journey_id: str) -> dict | None:
        self._c(account_id)
        with self.lock:
            j = self.journeys.get((account_id, journey_id))
            return copy.deepcopy(j) if j else None

    def page_journeys(self, account_id: str, limit: int = 50, start: dict | None = None
                      ) -> tuple[list[dict], dict | None]:
        self._c(account_id)
        check_cursor(start, "account_id", account_id, "account")
        after = (start or {}).get("journey_id", {}).get("S")
        with self.lock:
            ids = sorted((i for (a, i) in self.journeys if a == account_id and (after is None or i < after)),
                         reverse=True)
            items = [copy.deepcopy(self.journeys[(account_id, i)]) for i in ids[:limit]]
        last = cursor(account_id, "journey_id", items[-1]["journey_id"]) if len(ids) > limit else None
        return items, last

    def active_journeys(self, account_id: str) -> list[dict]:
        self._c(account_id)
        with self.lock:
            return [copy.deepcopy(j) for (a, _), j in sorted(self.journeys.items())
                    if a == account_id and j["status"] in ("active", "paused")]

    def update_journey(self, account_id: str, journey_id: str, changes: dict, *, expect_status=None) -> bool:
        self._c(account_id)
        with self.lock:
            j = self.journeys.get((account_id, journey_id))
            if j is None or (expect_status is not None and j["status"] not in expect_status):
                return False
            _apply(j, changes)
            self.writes += 1
            return True

    # ---- entrants
    def _add(self, account_id: str, journey_id: str, figures: dict[int, dict[str, int]]) -> None:
        rows = self._figures[(account_id, journey_id)]
        for step, counters in figures.items():
            row = rows.setdefault(step, dict.fromkeys(COUNTERS, 0))
            for name, n in counters.items():
                row[name] += n

    def enrol(self, entrant: dict) -> bool:
        account_id, journey_id, person = entrant["account_id"], entrant["journey_id"], entrant["person"]
        self._c(account_id)
        with self.lock:
            if (account_id, journey_id, person) in self.entrants:
                return False
            self.entrants[(account_id, journey_id, person)] = copy.deepcopy(entrant)
            self._add(account_id, journey_id, {entrant["step"]: {"entered": 1}})
            self.writes += 2
            return True

    def get_entrant(self, account_id: str, journey_id: str, person: str) -> dict | None:
        self._c(account_id)
        with self.lock:
            e = self.entrants.get((account_id, journey_id, person))
            return copy.deepcopy(e) if e else None

    def page_entrants(self, account_id: str, journey_id: str, *, step: int | None = None, limit: int = 50,
                      start: dict | None = None) -> tuple[list[dict], dict | None]:
        self._c(account_id)
        key = journey_key(account_id, journey_id)
        check_cursor(start, "journey_key", key, "journey")
        after = (start or {}).get("person", {}).get("S")
        with self.lock:
            people = sorted(p for (a, j, p) in self.entrants
                            if a == account_id and j == journey_id and (after is None or p > after))
        page, more = people[:limit], len(people) > limit
        with self.lock:
            items = [copy.deepcopy(self.entrants[(account_id, journey_id, p)]) for p in page]
        last = {"journey_key": {"S": key}, "person": {"S": page[-1]}} if more else None
        return [e for e in items if step is None or e["step"] == step], last

    def due(self, now: float, limit: int = 100) -> list[tuple[str, str, str]]:
        with self.lock:
            found = sorted((e["next_run_at"], a, j, p) for (a, j, p), e in self.entrants.items()
                           if e.get("due") and e["next_run_at"] <= now and self._in_scope(a))
        return [(a, j, p) for _, a, j, p in found[:limit]]

    def claim(self, account_id: str, journey_id: str, person: str, *, step: int, state: str, owner: str,
              now: float, lease_until: float) -> dict | None:
        self._c(account_id)
        with self.lock:
            e = self.entrants.get((account_id, journey_id, person))
            if (e is None or not e.get("due") or e["step"] != step or e["state"] != state
                    or e["next_run_at"] > now or (e.get("lease_until") or 0) >= now):
                return None
            e.update(state="running", lease_owner=owner, lease_until=lease_until, next_run_at=lease_until,
                     updated_at=now)
            self.writes += 1
            return copy.deepcopy(e)

    def finish_step(self, account_id: str, journey_id: str, person: str, *, owner: str, step: int,
                    changes: dict, figures: dict[int, dict[str, int]]) -> bool:
        self._c(account_id)
        with self.lock:
            e = self.entrants.get((account_id, journey_id, person))
            if e is None or e["state"] != "running" or e["step"] != step or e.get("lease_owner") != owner:
                return False
            _apply(e, {**changes, "lease_owner": None, "lease_until": None})
            self._add(account_id, journey_id, figures)
            self.writes += 1 + len(figures)
            return True

    def exit(self, account_id: str, journey_id: str, person: str, reason: str, now: float) -> int | None:
        self._c(account_id)
        with self.lock:
            e = self.entrants.get((account_id, journey_id, person))
            if e is None or e["state"] not in IN_JOURNEY:
                return None
            _apply(e, {"state": "exited", "exit_reason": reason, "due": None, "lease_owner": None,
                       "lease_until": None, "updated_at": now})
            self._add(account_id, journey_id, {e["step"]: {"exited": 1}})
            self.writes += 2
            return e["step"]

    def figures(self, account_id: str, journey_id: str) -> dict[int, dict[str, int]]:
        self._c(account_id)
        with self.lock:
            return copy.deepcopy(dict(self._figures.get((account_id, journey_id), {})))


def _apply(item: dict, changes: dict) -> None:
    for k, v in changes.items():
        if v is None:
            item.pop(k, None)
        else:
            item[k] = copy.deepcopy(v)
