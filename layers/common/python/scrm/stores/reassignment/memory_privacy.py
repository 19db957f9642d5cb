"""The in-memory reassignment store's privacy part (see privacy.py): the twin's dicts changed as the DynamoDB
items are."""

from __future__ import annotations

import copy
import json

from ...domain.persons import Person
from ...tenancy import Scope


class MemoryReassignmentPrivacy:
    """Mixed into MemoryReassignmentStore: its item_rows, batch_rows, notice_rows and ledger."""

    def _plans_of(self, scope: Scope, p: Person) -> list[tuple[str, str]]:
        self._c(scope.check(p.account_id))
        return sorted(key for key, rows in self.item_rows.items() if key[0] == p.account_id
                      and any(it["target_id"] in p.external_userids | {p.pseudonym} for it in rows.values()))

    def person_transfers(self, scope: Scope, p: Person, erase: bool) -> list[dict]:
        out = []
        with self.lock:
            for key in self._plans_of(scope, p):
                rows = self.item_rows[key]
                for item_key, it in sorted(rows.items()):
                    if it["target_id"] in p.external_userids:
                        out.append(copy.deepcopy(it))
                        if erase:
                            del rows[item_key]
                            rows[f"c#{p.pseudonym}"] = {**json.loads(p.scrub(json.dumps(it, default=str))),
                                                        "item_key": f"c#{p.pseudonym}", "target_id": p.pseudonym}
        return out

    def person_transfer_batches(self, scope: Scope, p: Person, erase: bool) -> list[dict]:
        out = []
        with self.lock:
            for key in self._plans_of(scope, p):
                for b in self.batch_rows.get(key, {}).values():
                    summary = json.dumps(b.get("summary") or {}, default=str)
                    if any(t in p.ids for t in b.get("targets") or []) or p.mentions(summary):
                        out.append(copy.deepcopy(b))
                        if erase:
                            b.update(targets=[p.swap(t) for t in b.get("targets") or []],
                                     summary=json.loads(p.scrub(summary)))
        return out

    def person_transfer_notices(self, scope: Scope, p: Person, erase: bool) -> list[dict]:
        out = []
        with self.lock:
            for key in self._plans_of(scope, p):
                for n in self.notice_rows.get(key, {}).values():
                    if p.mentions(n.get("text")) or any(s in p.ids for s in n.get("sample") or []):
                        out.append(copy.deepcopy(n))
                        if erase:
                            n.update(text=p.scrub(n.get("text")), sample=[p.swap(s) for s in n.get("sample") or []])
        return out

    def person_transfer_ledger(self, scope: Scope, p: Person, erase: bool) -> list[dict]:
        self._c(scope.check(p.account_id))
        out = []
        with self.lock:
            for value in sorted(p.external_userids):
                entries = self.ledger.get((p.account_id, value), {})
                out += [{"customer": value, "entry": k, **copy.deepcopy(e)} for k, e in sorted(entries.items())]
                if erase:
                    self.ledger.pop((p.account_id, value), None)
        return out
