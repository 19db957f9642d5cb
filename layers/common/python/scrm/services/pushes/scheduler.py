"""The scheduled sender: claim due pushes (a lease), plan a run once, send its batches, finish it, and schedule
the next occurrence of a recurring push.

1. The scheduler *claims* a due push with a conditional update (a lease). A second scheduler firing at the
   same time gets nothing; a dead one's lease runs out and the next tick resumes the run.
2. *Planning* resolves the audience once and writes every batch (recipients chunked, compressed) before
   any send; the plan header is written last, so a crash mid-planning just replans.
3. Each batch is sent by senders.BatchSender (quota reserved first, then the WeChat call, then its outcome);
   the lease is renewed before each batch, and a scheduler that lost it stops.
4. A run completes when every batch is terminal (sent / failed with a reason / skipped); a recurring push
   is then scheduled for its next occurrence. Occurrences missed by more than an hour are skipped.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from collections.abc import Callable

from ...domain import pushes as rules
from ...tenancy import Scope
from . import quotas
from .admin import batch_size_of
from .audience import Audience
from .deps import PushDeps
from .results import RESULT_POLL_SECONDS, Results
from .senders import BatchSender

log = logging.getLogger(__name__)

LEASE_SECONDS = 300
MISSED_OCCURRENCE_SECONDS = 3600


class Scheduler:
    def __init__(self, deps: PushDeps, audience: Audience, sender: BatchSender, results: Results):
        self.deps, self.audience, self.sender, self.results = deps, audience, sender, results

    @property
    def store(self):
        return self.deps.store

    def run_due(self, *, time_left: Callable[[], float] = lambda: 600.0, owner: str | None = None,
                limit: int = 25) -> dict:
        """One tick: run the due pushes (each under a lease), then poll WeCom results that are due."""
        owner = owner or uuid.uuid4().hex
        out = {"claimed": 0, "completed": 0, "resumable": 0, "skipped": 0, "polled": 0}
        for account_id, push_id in self.store.due(self.deps.clock(), limit):
            if time_left() < 60:
                break
            push = self.store.claim(account_id, push_id, owner, self.deps.clock(),
                                    self.deps.clock() + LEASE_SECONDS)
            if push is None:
                out["skipped"] += 1  # someone else holds it, or it is no longer due
                continue
            out["claimed"] += 1
            out["completed" if self._run_claimed(push, owner, time_left) else "resumable"] += 1
        for account_id, push_id in self.store.polling(self.deps.clock()):
            if time_left() < 60:
                break
            self.results.poll_wecom_results(account_id, push_id)
            out["polled"] += 1
        return out

    def _run_claimed(self, push: dict, owner: str, time_left: Callable[[], float]) -> bool:
        try:
            return self.process_run(push, owner, time_left)
        except Exception as exc:  # a bug or an outage: keep the push resumable and say why
            log.exception("push %s/%s run failed", push["account_id"], push["push_id"])
            self.store.update_push(push["account_id"], push["push_id"], {
                "lease_owner": None, "lease_until": None, "last_error": f"{type(exc).__name__}: {exc}"[:500],
                "next_run_at": self.deps.clock() + 60}, expect_owner=owner)
            return False

    def process_run(self, push: dict, owner: str, time_left: Callable[[], float] = lambda: 600.0) -> bool:
        """Plan (if not yet) and send the current run's unsent batches. True when the run finished."""
        account_id, push_id, run_no = push["account_id"], push["push_id"], push["run_no"]
        account = self.deps.account_for(account_id)
        gw = self.deps.gateway_for(account)
        plan = self.store.get_plan(account_id, push_id, run_no)
        if plan is None or plan.get("state") != "planned":
            plan = self.plan(push, account, owner)
            if plan is None:
                return True
        for batch in self.store.list_batches(account_id, push_id, run_no):
            if batch.get("state") in rules.TERMINAL_BATCH or (batch.get("retry_at") or 0) > self.deps.clock():
                continue
            if time_left() < 60:
                break
            if not self.store.update_push(account_id, push_id, {"lease_until": self.deps.clock() + LEASE_SECONDS},
                                          expect_owner=owner):
                return False  # lost the lease: someone else resumes
            self.sender.send_batch(push, account, gw, plan, batch)
        batches = self.store.list_batches(account_id, push_id, run_no)
        outcome = rules.run_outcome(batches)
        if outcome is None:
            waits = [b.get("retry_at") or 0 for b in batches if b.get("state") not in rules.TERMINAL_BATCH]
            self.store.update_push(account_id, push_id, {
                "lease_owner": None, "lease_until": None, "next_run_at": max(min(waits), self.deps.clock())},
                expect_owner=owner)
            return False
        self.finish_run(push, owner, outcome, batches)
        return True

    def _planned_batches(self, push: dict, account, left_out: Counter) -> tuple[list[dict], int | None]:
        """The run's batches (recipients resolved now, once) and how many recipients they hold (None when the
        account sends by tag or to all: WeChat resolves the audience)."""
        strategy = push["content"].get("strategy", "openids")
        if strategy in ("tag", "to_all"):
            tag_id = push["audience"].get("tag_ids", [None])[0] if strategy == "tag" else None
            return [{"no": 1, "state": "pending", "sender": None, "size": 0, "tag_id": tag_id,
                     "recipients": []}], None
        pairs = self.audience.resolve(Scope.system(push["account_id"]), account, push["audience"], strategy,
                                      push_id=push["push_id"], left_out=left_out)
        planned = [{"no": b.no, "state": "pending", "sender": b.sender, "size": len(b.recipients),
                    "recipients": list(b.recipients)}
                   for b in rules.plan_batches(pairs, push["delivery"], batch_size_of(account, strategy))]
        return planned, sum(b["size"] for b in planned)

    def plan(self, push: dict, account, owner: str) -> dict | None:
        """Resolve the audience and write the run's batches, then its plan header (last: its presence means
        the batches are whole). None when the audience was empty (the run is finished at once)."""
        account_id, push_id, run_no = push["account_id"], push["push_id"], push["run_no"]
        now = self.deps.clock()
        self.store.update_push(account_id, push_id, {"run_phase": "planning"}, expect_owner=owner)
        left_out: Counter = Counter()
        planned, total = self._planned_batches(push, account, left_out)
        plan = {"state": "planned", "at": now, "strategy": push["content"].get("strategy", "openids"),
                "recipients": total, "batches": len(planned), "left_out": dict(sorted(left_out.items())),
                "rules": quotas.plan_rules(quotas.rules_for(account, push["delivery"]), now,
                                          quotas.zone_for(account, push["content"].get("strategy", "openids"),
                                                          push["timezone"]))}
        if not planned:
            self.store.put_plan(account_id, push_id, run_no, plan)
            self.finish_run(push, owner, "completed", [], note="the audience was empty when the run started")
            return None
        self.store.put_batches(account_id, push_id, run_no, planned)
        self.store.put_plan(account_id, push_id, run_no, plan)  # last: its presence means the batches are whole
        self.store.update_push(account_id, push_id, {"run_phase": "sending"}, expect_owner=owner)
        return plan

    def finish_run(self, push: dict, owner: str, outcome: str, batches: list[dict], note: str | None = None) -> None:
        """Record the run's summary (the last 20 runs are kept), start result polling for WeCom group messages,
        and schedule the next occurrence (or end the push with the run's outcome)."""
        account_id, push_id, run_no = push["account_id"], push["push_id"], push["run_no"]
        now = self.deps.clock()
        summary = rules.summarise(batches)
        latest = self.store.get_push(account_id, push_id) or push
        runs = [r for r in (latest.get("runs") or []) if r.get("run_no") != run_no]
        plan = self.store.get_plan(account_id, push_id, run_no) or {}
        summary["left_out"] = plan.get("left_out") or {}
        runs.append({"run_no": run_no, "outcome": outcome, "finished_at": now, **summary,
                     **({"note": note} if note else {})})
        changes: dict = {"runs": runs[-20:], "lease_owner": None, "lease_until": None, "run_phase": None,
                         "updated_at": now}
        if push["delivery"] == "groupmsg" and any(b.get("msg_id") for b in batches):
            poll_runs = sorted(set((latest.get("poll_runs") or []) + [run_no]))
            changes.update(poll="1", poll_at=now + RESULT_POLL_SECONDS, poll_runs=poll_runs)
        next_no, nxt = self._next_occurrence(push, now)
        if nxt is not None:
            changes.update(status="scheduled", run_no=next_no, next_run_at=nxt, due="1")
        else:
            changes.update(status=outcome, due=None)
        self.store.update_push(account_id, push_id, changes, expect_owner=owner)

    @staticmethod
    def _next_occurrence(push: dict, now: float) -> tuple[int, float | None]:
        """(run number, time) of the next occurrence not missed by more than an hour; time None when none."""
        run_no = push["run_no"]
        nxt = rules.occurrence(push["send_at"], push["timezone"], push.get("recurrence"), run_no + 1)
        while nxt is not None and nxt < now - MISSED_OCCURRENCE_SECONDS:
            run_no += 1
            nxt = rules.occurrence(push["send_at"], push["timezone"], push.get("recurrence"), run_no + 1)
        return run_no + 1, nxt
