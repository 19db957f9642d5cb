"""The segment store on DynamoDB (table `segment_facts`, scrm.data.segment_facts.SegmentFactItem): facts, index
entries and the event's marker in one TransactWriteItems; an index range is one Query per shard."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from ...data.segment_facts import (
    MARKER_SK,
    PROFILE_SK,
    RFM_SK,
    SEGMENT,
    SegmentFactItem,
    index_pk,
    index_sk,
    profile_pk,
)
from ...domain.segments import Range
from ...tenancy import Scope
from .base import CONFLICT, DUPLICATE, SHARDS, WRITTEN, FactWrite, shard_of

BATCH_GET = 100


class DynamoSegmentStore:
    def __init__(self):
        self.items_read = 0

    # ---- facts and the index
    def facts(self, scope: Scope, account_id: str, book: str, keys: list[str]) -> dict[str, dict]:
        scope.check(account_id)
        wanted = list(dict.fromkeys(keys))
        found: dict[str, dict] = {}
        for i in range(0, len(wanted), BATCH_GET):
            chunk = [(profile_pk(book, k), PROFILE_SK) for k in wanted[i:i + BATCH_GET]]
            for item in SegmentFactItem.batch_get(chunk, consistent_read=True):
                key = item.pk[len(f"p#{book}#"):]
                found[key] = {**json.loads(item.facts), "key": key, "version": int(item.version)}
        self.items_read += len(found)
        return found

    def write_facts(self, scope: Scope, account_id: str, book: str, writes: list[FactWrite], marker: str | None,
                    expires_at: int) -> str:
        scope.check(account_id)
        try:
            with TransactWrite(connection=SegmentFactItem._get_connection().connection) as tx:
                if marker is not None:
                    tx.save(SegmentFactItem("e#" + marker, MARKER_SK,
                                            expires=datetime.fromtimestamp(expires_at, UTC)),
                            condition=SegmentFactItem.pk.does_not_exist())
                for w in writes:
                    self._write(tx, book, w)
        except TransactWriteError as exc:
            codes = {getattr(r, "code", None) for r in (exc.cancellation_reasons or []) if r is not None}
            if not codes & {"ConditionalCheckFailed", "TransactionConflict"}:
                raise
            # which condition failed: asked of the marker itself (a cancellation's reasons are not relied upon)
            return DUPLICATE if marker is not None and self._applied(marker) else CONFLICT
        return WRITTEN

    @staticmethod
    def _applied(marker: str) -> bool:
        try:
            SegmentFactItem.get("e#" + marker, MARKER_SK, consistent_read=True)
        except SegmentFactItem.DoesNotExist:
            return False
        return True

    @staticmethod
    def _write(tx, book: str, w: FactWrite) -> None:
        pk = profile_pk(book, w.key)
        condition = (SegmentFactItem.pk.does_not_exist() if w.expected_version is None
                     else SegmentFactItem.version == w.expected_version)
        if w.facts is None:
            tx.delete(SegmentFactItem(pk, PROFILE_SK), condition=condition)
        else:
            body = {k: v for k, v in w.facts.items() if k not in ("key", "version")}
            tx.save(SegmentFactItem(pk, PROFILE_SK, facts=json.dumps(body, ensure_ascii=False, sort_keys=True),
                                    version=(w.expected_version or 0) + 1), condition=condition)
        shard = shard_of(w.key)
        for e in w.before - w.after:
            tx.delete(SegmentFactItem(index_pk(book, e.term, shard), index_sk(e.n, w.key)))
        for e in w.after - w.before:
            tx.save(SegmentFactItem(index_pk(book, e.term, shard), index_sk(e.n, w.key), key=w.key))

    def read_index(self, scope: Scope, account_id: str, book: str, rng: Range) -> Iterator[str]:
        scope.check(account_id)
        for shard in range(SHARDS):
            for item in SegmentFactItem.query(index_pk(book, rng.term, shard),
                                              SegmentFactItem.sk.between(index_sk(rng.low, ""),
                                                                         index_sk(rng.high, "\U0010ffff"))):
                self.items_read += 1
                yield item.key

    # ---- rule segments and RFM bands
    def put_segment(self, scope: Scope, account_id: str, segment: dict) -> None:
        scope.check(account_id)
        SegmentFactItem("s#" + account_id, SEGMENT + segment["segment_id"], name=segment["name"],
                        rule=json.dumps(segment["rule"], ensure_ascii=False),
                        created_at=segment["created_at"]).save()

    @staticmethod
    def _segment(item) -> dict:
        return {"segment_id": item.sk[len(SEGMENT):], "name": item.name, "rule": json.loads(item.rule),
                "created_at": item.created_at}

    def get_segment(self, scope: Scope, account_id: str, segment_id: str) -> dict | None:
        scope.check(account_id)
        try:
            return self._segment(SegmentFactItem.get("s#" + account_id, SEGMENT + segment_id, consistent_read=True))
        except SegmentFactItem.DoesNotExist:
            return None

    def page_segments(self, scope: Scope, account_id: str, limit: int, after: str | None
                      ) -> tuple[list[dict], str | None]:
        scope.check(account_id)
        condition = (SegmentFactItem.sk > SEGMENT + after) if after else SegmentFactItem.sk.startswith(SEGMENT)
        items = []
        for item in SegmentFactItem.query("s#" + account_id, condition, limit=limit + 1):
            if not item.sk.startswith(SEGMENT):
                break
            items.append(self._segment(item))
        page = items[:limit]
        return page, (page[-1]["segment_id"] if len(items) > limit else None)

    def delete_segment(self, scope: Scope, account_id: str, segment_id: str) -> bool:
        scope.check(account_id)
        try:
            SegmentFactItem("s#" + account_id, SEGMENT + segment_id).delete(
                condition=SegmentFactItem.pk.exists())
        except Exception as exc:  # noqa: BLE001 - pynamodb's DeleteError: the condition failed
            if "ConditionalCheckFailed" in str(exc):
                return False
            raise
        return True

    def get_rfm(self, scope: Scope, account_id: str) -> dict | None:
        scope.check(account_id)
        try:
            return json.loads(SegmentFactItem.get("s#" + account_id, RFM_SK, consistent_read=True).body)
        except SegmentFactItem.DoesNotExist:
            return None

    def put_rfm(self, scope: Scope, account_id: str, bands: dict) -> None:
        scope.check(account_id)
        SegmentFactItem("s#" + account_id, RFM_SK, body=json.dumps(bands, sort_keys=True)).save()
