"""The admin use cases of a journey: create a draft, change it while it is a draft, activate / pause / end it,
read it, its figures per step and the people at a step."""

from __future__ import annotations

import secrets

from ... import errors
from ...contracts import parse
from ...contracts.journeys import JourneyBody
from ...domain import journeys as rules
from ...domain import pushes as push_rules
from ...domain.instants import answer_time
from ...stores.journeys.base import COUNTERS
from ...tenancy import Scope
from .deps import JourneyDeps


def view(j: dict) -> dict:
    out = {k: j.get(k) for k in ("journey_id", "account_id", "name", "status", "trigger", "steps")}
    for goal in ("goal_tag_id", "goal_prize"):
        if j.get(goal) is not None:
            out[goal] = j[goal]
    return {**out, "created_at": answer_time(j.get("created_at")), "updated_at": answer_time(j.get("updated_at"))}


def entrant_view(e: dict) -> dict:
    out = {"person": e["person"], "step": e["step"], "state": e["state"], "outcomes": e.get("outcomes") or []}
    for key in ("exit_reason", "staff"):
        if e.get(key):
            out[key] = e[key]
    return out


class JourneyAdmin:
    def __init__(self, deps: JourneyDeps):
        self.deps = deps

    @property
    def store(self):
        return self.deps.store

    def _get(self, scope: Scope, account_id: str, journey_id: str) -> dict:
        scope.check(account_id)
        j = self.store.get_journey(account_id, journey_id)
        if j is None:
            raise errors.NotFound(f"no journey {journey_id}")
        return j

    def _definition(self, account_id: str, body: dict) -> dict:
        spec = parse(JourneyBody, body)
        platform = self.deps.platform(account_id)
        problems = []
        if platform not in rules.PLATFORMS_OF_TRIGGER[spec.trigger.kind]:
            problems.append(("trigger.kind", f"{spec.trigger.kind} is not an event of this account ({platform})"))
        if spec.goal_prize is not None and platform not in rules.GOAL_PLATFORMS["goal_prize"]:
            problems.append(("goal_prize", f"campaign prizes are won by OA followers, not here ({platform})"))
        for i, step in enumerate(spec.steps):
            if step.type not in rules.PLATFORM_STEPS[platform]:
                problems.append((f"steps[{i}].type", f"a {step.type} step cannot run on this account ({platform})"))
        if problems:
            raise errors.ValidationError(problems[0][1], field=problems[0][0],
                                         details={"errors": [{"field": f, "message": m} for f, m in problems]})
        return {"name": spec.name, "trigger": spec.trigger.model_dump(exclude_none=True),
                "steps": [s.model_dump(exclude_none=True, exclude_defaults=True) | {"type": s.type}
                          for s in spec.steps],
                "goal_tag_id": spec.goal_tag_id,
                "goal_prize": None if spec.goal_prize is None else spec.goal_prize.model_dump(exclude_none=True)}

    def create(self, scope: Scope, account_id: str, body: dict, created_by: str | None = None) -> dict:
        scope.check(account_id)
        now = self.deps.clock()
        journey = {"account_id": account_id, "journey_id": "j" + push_rules.new_push_id(now, secrets.token_bytes(4)),
                   "status": "draft", **self._definition(account_id, body), "created_by": created_by,
                   "created_at": now, "updated_at": now}
        self.store.create_journey({k: v for k, v in journey.items() if v is not None})
        return view(journey)

    def update(self, scope: Scope, account_id: str, journey_id: str, body: dict) -> dict:
        """Replace a draft's definition; an active journey's steps are fixed (people are part-way through them)."""
        j = self._get(scope, account_id, journey_id)
        if j["status"] not in rules.EDITABLE:
            raise errors.Conflict(f"the journey is {j['status']}; only a draft can be changed")
        changes = {**self._definition(account_id, body), "updated_at": self.deps.clock()}
        if not self.store.update_journey(account_id, journey_id, changes, expect_status=rules.EDITABLE):
            raise errors.Conflict("the journey stopped being a draft meanwhile")
        return self.get(scope, account_id, journey_id)

    def move(self, scope: Scope, account_id: str, journey_id: str, action: str) -> dict:
        """activate (a draft or paused journey enrols again), pause (nobody enrols, nobody advances), end (for good:
        the people still in it exit when the schedule next reaches them)."""
        j = self._get(scope, account_id, journey_id)
        allowed, target = rules.TRANSITIONS[action]
        if j["status"] == target:
            return view(j)  # a repeated request changes nothing
        if j["status"] not in allowed or not self.store.update_journey(
                account_id, journey_id, {"status": target, "updated_at": self.deps.clock()}, expect_status=allowed):
            raise errors.Conflict(f"the journey is {j['status']}; cannot {action} it")
        return self.get(scope, account_id, journey_id)

    def get(self, scope: Scope, account_id: str, journey_id: str) -> dict:
        return view(self._get(scope, account_id, journey_id))

    def list_page(self, scope: Scope, account_id: str, *, limit: int = 50, start: dict | None = None
                  ) -> tuple[list[dict], dict | None]:
        scope.check(account_id)
        rows, last = self.store.page_journeys(account_id, limit, start)
        return [view(r) for r in rows], last

    def figures(self, scope: Scope, account_id: str, journey_id: str) -> dict:
        j = self._get(scope, account_id, journey_id)
        rows = self.store.figures(account_id, journey_id)
        steps = [{"step": i, "type": s["type"], **{k: int(rows.get(i, {}).get(k, 0)) for k in COUNTERS}}
                 for i, s in enumerate(j["steps"])]
        for s in steps:
            s.pop("finished")
        return {"journey_id": journey_id, "entrants": int(rows.get(0, {}).get("entered", 0)),
                "completed": sum(int(r.get("finished", 0)) for r in rows.values()), "steps": steps}

    def entrants(self, scope: Scope, account_id: str, journey_id: str, *, step: int | None = None, limit: int = 50,
                 start: dict | None = None) -> tuple[list[dict], dict | None]:
        j = self._get(scope, account_id, journey_id)
        if step is not None and not 0 <= step < len(j["steps"]):
            raise errors.ValidationError(f"step must be 0..{len(j['steps']) - 1}", field="step")
        rows, last = self.store.page_entrants(account_id, journey_id, step=step, limit=limit, start=start)
        return [entrant_view(e) for e in rows], last
