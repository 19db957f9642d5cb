"""The push store's privacy part on DynamoDB (see privacy.py)."""

from __future__ import annotations

import json

from ...data.interactions import InteractionRecord
from ...data.push_batches import PushBatchRecord
from ...data.pushes import PushRecord
from ...data.quota_ledger import QuotaLedgerRecord
from ...data.segments import SegmentRecord
from ...domain.persons import Person, found
from ...tenancy import Scope
from ..personal_dynamo import dump, rekey
from .layout import pack, run_pk, unpack


def _batch_item(p: Person, push_id: str, run_no: int, rec, erase: bool) -> dict | None:
    if rec.recipients is not None:
        ids = unpack(rec.recipients)
        hit = [i for i in ids if i in p.ids]
        if not hit:
            return None
        if erase:
            rec.update(actions=[PushBatchRecord.recipients.set(pack([p.swap(i) for i in ids]))])
        return {"push_id": push_id, "run": run_no, "batch": rec.sk.split("#")[0], "recipient": hit}
    if rec.sk.startswith("m#") and rec.sk[2:] in p.ids:
        if erase:
            rekey(PushBatchRecord, sk=f"m#{p.pseudonym}")(rec)
        return {"push_id": push_id, "run": run_no, "sent_to": rec.sk[2:]}
    if p.mentions(rec.doc):
        shown = {"push_id": push_id, "run": run_no, "item": rec.sk, "doc": rec.doc}
        if erase:
            rec.update(actions=[PushBatchRecord.doc.set(p.scrub(rec.doc))])
        return shown
    return None


class DynamoPushPrivacy:
    """Tables pushes, segments, push_batches, quota_ledger and interactions, for one person."""

    def person_pushes(self, scope: Scope, p: Person, erase: bool) -> list[dict]:
        self._c(scope.check(p.account_id))
        return found(PushRecord.query(p.account_id), lambda r: p.mentions(r.audience),
                     lambda r: {"push_id": r.push_id, "audience": json.loads(r.audience)},
                     lambda r: r.update(actions=[PushRecord.audience.set(p.scrub(r.audience))]), erase)

    def person_segments(self, scope: Scope, p: Person, erase: bool) -> list[dict]:
        self._c(scope.check(p.account_id))
        return found(SegmentRecord.query(p.account_id), lambda r: p.mentions(r.audience),
                     lambda r: {"segment_id": r.segment_id, "audience": json.loads(r.audience)},
                     lambda r: r.update(actions=[SegmentRecord.audience.set(p.scrub(r.audience))]), erase)

    def person_push_batches(self, scope: Scope, p: Person, erase: bool) -> list[dict]:
        self._c(scope.check(p.account_id))
        out = []
        for push in PushRecord.query(p.account_id):
            for run_no in range(1, int(push.run_no or 1) + 1):
                for rec in PushBatchRecord.query(run_pk(p.account_id, push.push_id, run_no), consistent_read=True):
                    if (item := _batch_item(p, push.push_id, run_no, rec, erase)) is not None:
                        out.append(item)
        return out

    def person_quota_ledger(self, scope: Scope, p: Person, erase: bool) -> list[dict]:
        # rows are <account>#<delivery>#<scope>#<period>#<recipient>: no index by person, a filtered scan
        self._c(scope.check(p.account_id))
        return found(QuotaLedgerRecord.scan(QuotaLedgerRecord.key.startswith(f"{p.account_id}#")),
                     lambda r: r.key.rsplit("#", 1)[-1] in p.ids, dump,
                     rekey(QuotaLedgerRecord, key=lambda r: r.key.rsplit("#", 1)[0] + "#" + p.pseudonym), erase)

    def person_interactions(self, scope: Scope, p: Person, erase: bool) -> list[dict]:
        self._c(scope.check(p.account_id))

        def get(openid):
            try:
                return InteractionRecord.get(p.account_id, openid, consistent_read=True)
            except InteractionRecord.DoesNotExist:
                return None

        records = (get(v) for v in sorted(p.openids | p.external_userids))
        return found(records, lambda r: r is not None, dump, lambda r: r.delete(), erase)
