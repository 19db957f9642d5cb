"""The reassignment store's privacy part on DynamoDB (see privacy.py)."""

from __future__ import annotations

import json

from ...data.transfer_batches import TransferBatch
from ...data.transfer_ledger import TransferLedgerEntry
from ...data.transfer_notices import TransferNotice
from ...data.transfers import TransferItem
from ...domain.persons import Person, found
from ...tenancy import Scope
from ..personal_dynamo import dump, rekey


def _history(p: Person, item) -> list:
    return json.loads(p.scrub(json.dumps([h.as_dict() if hasattr(h, "as_dict") else dict(h)
                                          for h in item.history or []], default=str)))


def _summary(batch) -> str:
    return json.dumps(batch.summary.as_dict() if batch.summary else {}, default=str)


class DynamoReassignmentPrivacy:
    """Tables transfers, transfer_batches, transfer_notices and transfer_ledger, for one person."""

    def _items_of(self, scope: Scope, p: Person) -> list:
        self._c(scope.check(p.account_id))
        return [i for value in sorted(p.external_userids)
                for i in TransferItem.by_target.query(f"{p.account_id}#{value}")]

    def _plans_of(self, scope: Scope, p: Person) -> list[str]:
        return sorted({i.plan_key for i in self._items_of(scope, p)})

    def person_transfers(self, scope: Scope, p: Person, erase: bool) -> list[dict]:
        records = (TransferItem.get(i.plan_key, i.item_key, consistent_read=True) for i in self._items_of(scope, p))
        return found(records, lambda _: True, dump,
                     rekey(TransferItem, item_key=f"c#{p.pseudonym}", target_id=p.pseudonym,
                           target_key=f"{p.account_id}#{p.pseudonym}", reason=lambda i: p.scrub(i.reason),
                           history=lambda i: _history(p, i)), erase)

    def person_transfer_batches(self, scope: Scope, p: Person, erase: bool) -> list[dict]:
        records = (b for plan_key in self._plans_of(scope, p)
                   for b in TransferBatch.query(plan_key, consistent_read=True))
        return found(records, lambda b: any(t in p.ids for t in b.targets or []) or p.mentions(_summary(b)), dump,
                     lambda b: b.update(actions=[TransferBatch.targets.set([p.swap(t) for t in b.targets or []]),
                                                 TransferBatch.summary.set(json.loads(p.scrub(_summary(b))))]),
                     erase)

    def person_transfer_notices(self, scope: Scope, p: Person, erase: bool) -> list[dict]:
        records = (n for plan_key in self._plans_of(scope, p)
                   for n in TransferNotice.query(plan_key, consistent_read=True))
        return found(records, lambda n: p.mentions(n.text) or any(s in p.ids for s in n.sample or []), dump,
                     lambda n: n.update(actions=[TransferNotice.text.set(p.scrub(n.text)),
                                                 TransferNotice.sample.set([p.swap(s) for s in n.sample or []])]),
                     erase)

    def person_transfer_ledger(self, scope: Scope, p: Person, erase: bool) -> list[dict]:
        self._c(scope.check(p.account_id))
        records = (e for value in sorted(p.external_userids)
                   for e in TransferLedgerEntry.query(f"{p.account_id}#{value}", consistent_read=True))
        return found(records, lambda _: True, dump, lambda r: r.delete(), erase)
