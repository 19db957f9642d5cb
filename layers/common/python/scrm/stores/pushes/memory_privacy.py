"""The in-memory push store's privacy part (see privacy.py): the twin's dicts changed as the DynamoDB items are."""

from __future__ import annotations

import json

from ...domain.persons import Person
from ...tenancy import Scope
from .layout import batch_sk, pack, unpack


def _run(pk: str) -> dict:
    """The push and run a run's partition key (run_pk) names."""
    _account, push_id, run_no = pk.rsplit("#", 2)
    return {"push_id": push_id, "run": int(run_no)}


class MemoryPushPrivacy:
    """Mixed into MemoryPushStore: its pushes, segments, plans, batches, recipients, markers, ledger and
    interactions."""

    def _audiences(self, scope: Scope, p: Person, rows: dict, id_name: str, erase: bool) -> list[dict]:
        self._c(scope.check(p.account_id))
        out = []
        with self.lock:
            for (account_id, _id), row in sorted(rows.items()):
                text = json.dumps(row.get("audience"), ensure_ascii=False)
                if account_id == p.account_id and p.mentions(text):
                    out.append({id_name: row[id_name], "audience": json.loads(text)})
                    if erase:
                        row["audience"] = json.loads(p.scrub(text))
        return out

    def person_pushes(self, scope: Scope, p: Person, erase: bool) -> list[dict]:
        return self._audiences(scope, p, self.pushes, "push_id", erase)

    def person_segments(self, scope: Scope, p: Person, erase: bool) -> list[dict]:
        return self._audiences(scope, p, self.segments, "segment_id", erase)

    def person_push_batches(self, scope: Scope, p: Person, erase: bool) -> list[dict]:
        self._c(scope.check(p.account_id))
        out, mine = [], f"{p.account_id}#"
        with self.lock:
            for (pk, no), blob in sorted(self.recipients.items()):
                ids = unpack(blob)
                if pk.startswith(mine) and (hit := [i for i in ids if i in p.ids]):
                    out.append({**_run(pk), "batch": batch_sk(no), "recipient": hit})
                    if erase:
                        self.recipients[(pk, no)] = pack([p.swap(i) for i in ids])
            for pk, recipient in sorted(self.markers):
                if pk.startswith(mine) and recipient in p.ids:
                    out.append({**_run(pk), "sent_to": recipient})
                    if erase:
                        self.markers.discard((pk, recipient))
                        self.markers.add((pk, p.pseudonym))
            docs = [(self.plans, pk) for pk in self.plans if pk.startswith(mine)]
            docs += [(metas, no) for pk, metas in self.batches.items() if pk.startswith(mine) for no in metas]
            for holder, name in docs:
                text = json.dumps(holder[name], ensure_ascii=False, default=str)
                if p.mentions(text):
                    out.append({"item": name, "doc": text})
                    if erase:
                        holder[name] = json.loads(p.scrub(text))
        return out

    def person_quota_ledger(self, scope: Scope, p: Person, erase: bool) -> list[dict]:
        self._c(scope.check(p.account_id))
        out = []
        with self.lock:
            for key in sorted(self.ledger):
                if key.startswith(f"{p.account_id}#") and key.rsplit("#", 1)[-1] in p.ids:
                    row = self.ledger[key]
                    out.append({"key": key, "used": row["used"]})
                    if erase:
                        self.ledger[key.rsplit("#", 1)[0] + "#" + p.pseudonym] = self.ledger.pop(key)
                        for (held, holder) in [h for h in self.holdings if h[0] == key]:
                            self.holdings[(key.rsplit("#", 1)[0] + "#" + p.pseudonym, holder)] = \
                                self.holdings.pop((held, holder))
        return out

    def person_interactions(self, scope: Scope, p: Person, erase: bool) -> list[dict]:
        self._c(scope.check(p.account_id))
        out = []
        with self.lock:
            for value in sorted(p.openids | p.external_userids):
                if (p.account_id, value) in self.interactions:
                    window = self.interactions[(p.account_id, value)]  # the allowances, as the table holds them
                    out.append({"account_id": p.account_id, "openid": value,
                                **{k: v for k, v in vars(window).items() if v}})
                    if erase:
                        del self.interactions[(p.account_id, value)]
        return out
