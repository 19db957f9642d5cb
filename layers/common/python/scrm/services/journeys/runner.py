"""The schedule side: every minute, the due entrants (the due-index) are claimed one step at a time (a lease: a
conditional write), the step runs, and its outcome and figures are written together while the lease is held.

A step runs exactly once per person: two runners cannot hold the same step; a runner that lost its lease writes
nothing; a crash after the claim leaves the step `running` until the lease runs out, then the next runner records
a message step `unknown` (never resent) and moves the person on, so nobody stalls."""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Callable

from ...domain import journeys as rules
from .deps import JourneyDeps
from .steps import StepRunner
from .triggers import Triggers

DUE_PAGE = 100  # due hints read a round (the benchmark reads larger pages)
MAX_ROUNDS = 1000  # one tick's bound on due pages (each person advances at most one step a round)


class Runner:
    def __init__(self, deps: JourneyDeps, steps: StepRunner | None = None, due_page: int = DUE_PAGE):
        self.deps = deps
        self.due_page = due_page
        self.steps = steps or StepRunner(deps)
        self.owner = "r" + secrets.token_hex(6)

    @property
    def store(self):
        return self.deps.store

    def run_due(self, time_left: Callable[[], float] = lambda: 600.0) -> dict:
        counts: Counter = Counter()
        journeys: dict = {}
        accounts: dict = {}
        for _ in range(MAX_ROUNDS):
            if time_left() <= 0:
                break
            hints = self.store.due(self.deps.clock(), self.due_page)
            moved = 0
            for account_id, journey_id, person in hints:
                if time_left() <= 0:
                    break
                result = self.advance(account_id, journey_id, person, journeys, accounts)
                counts[result] += 1
                moved += result not in ("lost", "held", "not_due")
            if not moved:
                break
        return {"journeys": dict(counts), "api_calls": self.deps.calls}

    def _context(self, account_id: str, journey_id: str, journeys: dict, accounts: dict):
        if (account_id, journey_id) not in journeys:
            journeys[(account_id, journey_id)] = self.store.get_journey(account_id, journey_id)
        if account_id not in accounts:
            account = self.deps.account_for(account_id)
            accounts[account_id] = (account, self.deps.gateway_for(account))
        return journeys[(account_id, journey_id)], accounts[account_id]

    def advance(self, account_id: str, journey_id: str, person: str, journeys: dict | None = None,
                accounts: dict | None = None) -> str:
        """Run one person's due step, if this runner gets its lease. What happened, for the tick's figures."""
        e = self.store.get_entrant(account_id, journey_id, person)
        now = self.deps.clock()
        if e is None or not e.get("due") or e["next_run_at"] > now:
            return "not_due"
        if e["state"] == "running" and (e.get("lease_until") or 0) >= now:
            return "held"
        journey, (account, gw) = self._context(account_id, journey_id, journeys or {}, accounts or {})
        if journey is None or journey["status"] == "ended":
            return "exited" if self.store.exit(account_id, journey_id, person, "journey ended", now) is not None \
                else "lost"
        if not self.store.claim(account_id, journey_id, person, step=e["step"], state=e["state"], owner=self.owner,
                                now=now, lease_until=now + rules.LEASE_SECONDS):
            return "lost"
        if journey["status"] != "active":  # paused: nobody advances; look again later
            self._finish(e, {"state": "ready", "next_run_at": now + rules.PAUSED_RECHECK_SECONDS}, {})
            return "paused"
        result = self.steps.run(account, gw, journey, e, recovered=e["state"] == "running")
        self._record(journey, e, result)
        if result.get("tagged"):  # a tag given: a goal reached, maybe another journey begins
            Triggers(self.deps).tagged(account_id, person, result["tagged"], staff=e.get("staff"))
        return result["outcome"]

    def _finish(self, e: dict, changes: dict, figures: dict) -> bool:
        return self.store.finish_step(e["account_id"], e["journey_id"], e["person"], owner=self.owner,
                                      step=e["step"], changes={**changes, "updated_at": self.deps.clock()},
                                      figures=figures)

    def _record(self, journey: dict, e: dict, result: dict) -> None:
        now = self.deps.clock()
        if result["outcome"] == "retry":
            self._finish(e, {"state": "ready", "attempts": result["attempts"], "next_run_at": now + result["delay"],
                             "last_error": result.get("reason")}, {})
            return
        note = {"step": e["step"], "outcome": result["outcome"], "at": now}
        for key in ("reason", "errcode"):
            if result.get(key) is not None:
                note[key] = result[key]
        changes = {"outcomes": [*(e.get("outcomes") or []), note], "attempts": None}
        last = e["step"] + 1 >= len(journey["steps"])
        if last:
            changes.update(state="done", due=None)
        else:
            changes.update(step=e["step"] + 1, state="ready", next_run_at=now + result.get("next_delay", 0))
        self._finish(e, changes, rules.step_figures(e["step"], len(journey["steps"]), result["outcome"]))

    def reach_goal(self, account_id: str, person: str, tag_id: str) -> int:
        """A person got a tag: they leave every journey of the account whose goal it is. How many they left."""
        return len(Triggers(self.deps).reach_goal(account_id, person, tag_id=tag_id))
