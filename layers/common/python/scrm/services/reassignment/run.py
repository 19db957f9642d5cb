"""A pass over one plan: what one worker holds while it has the plan lease, and how an outcome is recorded."""

from __future__ import annotations

import time
from collections import defaultdict

from ... import bootstrap
from ...domain import reassignment as rules


class Run:
    """One worker's pass over one plan, under the plan lease."""

    def __init__(self, plan: dict, gw, owner: str, deadline: float | None):
        self.plan, self.gw, self.owner, self.deadline = plan, gw, owner, deadline
        self.account_id, self.plan_id = plan["account_id"], plan["plan_id"]
        self.resigned = plan["mode"] == "resigned"
        self.results_cache: dict[str, dict[str, dict]] = {}
        self.stats = defaultdict(int)
        self.store = bootstrap.reassignment_store()

    def time_left(self) -> bool:
        return self.deadline is None or time.monotonic() < self.deadline

    def read_items(self) -> dict[str, dict]:
        return {i["item_key"]: i for i in self.store.items_of_plan(self.account_id, self.plan_id)}

    # --- transfer_result, every page, once per takeover per run
    def results_for(self, takeover: str, refresh: bool = False) -> dict[str, dict]:
        if refresh or takeover not in self.results_cache:
            rows, cursor = {}, ""
            while True:
                page = self.gw.transfer_result(self.plan["handover_userid"], takeover, cursor, resigned=self.resigned)
                self.stats["result_calls"] += 1
                for row in page.get("customer") or []:
                    rows[row["external_userid"]] = row
                cursor = page.get("next_cursor") or ""
                if not cursor:
                    break
            self.results_cache[takeover] = rows
        return self.results_cache[takeover]


def record(item: dict, outcome: rules.Outcome, takeover: str | None, now: float, source: str, **extra) -> None:
    """Apply an outcome to an item and keep it in the item's history (the last 20 answers)."""
    item["state"] = outcome.state
    item["errcode"] = int(outcome.errcode or 0)
    item["reason"] = outcome.reason or None
    item["updated_at"] = int(now)
    entry = {"at": int(now), "takeover": takeover or "", "source": source, "state": outcome.state,
             "errcode": int(outcome.errcode or 0)}
    entry.update({k: v for k, v in extra.items() if v is not None})
    item["history"] = list(item.get("history") or [])[-19:] + [entry]
