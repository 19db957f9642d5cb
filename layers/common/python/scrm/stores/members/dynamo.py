"""The member store on DynamoDB (table `members`, model scrm.data.members.MemberRecord): one partition per
account; members are read with BatchGetItem, tries and figures are conditional ADD updates, a verification and its
count are one transaction."""

from __future__ import annotations

from datetime import UTC, datetime

from pynamodb.exceptions import PutError, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from ...data.members import FIGURES as FIG
from ...data.members import JOIN, MEMBER, TRIES, VERIFIED, MemberRecord
from ...tenancy import Scope
from ..contacts.dynamo import conflict
from .base import FIGURES, TRY_TTL, same

MARKER_TTL = 8 * 86400


def _failed_condition(exc) -> bool:
    cause = getattr(exc, "cause_response_code", None)
    return cause == "ConditionalCheckFailedException"


def _member(rec: MemberRecord) -> dict:
    return {"member_id": rec.item_id[len(MEMBER):], "phone_hash": rec.phone_hash, "name": rec.name,
            "level": rec.level, "created_at": int(rec.created_at or 0), "updated_at": int(rec.updated_at or 0)}


def _verification(rec: MemberRecord) -> dict:
    channel_id, _, openid = rec.item_id[len(VERIFIED):].partition("#")
    return {"channel_id": channel_id, "openid": openid, "member_id": rec.member_id,
            "verified_at": int(rec.verified_at or 0)}


class DynamoMemberStore:
    def get_members(self, scope: Scope, account_id: str, member_ids: list[str]) -> dict[str, dict]:
        scope.check(account_id)
        keys = [(account_id, MEMBER + m) for m in dict.fromkeys(member_ids)]
        out = {}
        for start in range(0, len(keys), 100):
            for rec in MemberRecord.batch_get(keys[start:start + 100], consistent_read=True):
                out[rec.item_id[len(MEMBER):]] = _member(rec)
        return out

    def upsert_members(self, scope: Scope, account_id: str, rows: list[dict], now: float) -> dict:
        stored = self.get_members(scope, account_id, [r["member_id"] for r in rows])
        out = {"created": 0, "updated": 0, "unchanged": 0}
        for row in rows:
            old = stored.get(row["member_id"])
            if same(old, row):
                out["unchanged"] += 1
                continue
            out[self._put(account_id, row, old, now)] += 1
        return out

    def _put(self, account_id: str, row: dict, old: dict | None, now: float) -> str:
        """Write one member: created only if absent (a concurrent import's create makes this an update)."""
        rec = MemberRecord(account_id, MEMBER + row["member_id"], phone_hash=row["phone_hash"],
                           name=row.get("name"), level=row.get("level"),
                           created_at=old["created_at"] if old else int(now), updated_at=int(now))
        if old is None:
            try:
                rec.save(condition=MemberRecord.item_id.does_not_exist())
                return "created"
            except PutError as exc:
                if not _failed_condition(exc):
                    raise
        rec.update(actions=[MemberRecord.phone_hash.set(row["phone_hash"]),
                            MemberRecord.name.set(row.get("name")) if row.get("name") else MemberRecord.name.remove(),
                            MemberRecord.level.set(row.get("level")) if row.get("level")
                            else MemberRecord.level.remove(),
                            MemberRecord.updated_at.set(int(now))])
        return "updated"

    def take_try(self, scope: Scope, account_id: str, openid: str, hour: int, limit: int) -> bool:
        scope.check(account_id)
        rec = MemberRecord(account_id, f"{TRIES}{openid}#{hour}")
        try:
            rec.update(actions=[MemberRecord.count.add(1),
                                MemberRecord.expires_at.set(datetime.fromtimestamp((hour + 1) * 3600 + TRY_TTL,
                                                                                   UTC))],
                       condition=MemberRecord.count.does_not_exist() | (MemberRecord.count < limit))
        except UpdateError as exc:
            if _failed_condition(exc):
                return False
            raise
        return True

    def record_verified(self, scope: Scope, account_id: str, channel_id: str, openid: str, member_id: str,
                        now: float) -> bool:
        scope.check(account_id)
        try:
            with TransactWrite(connection=MemberRecord._get_connection().connection) as tx:
                tx.save(MemberRecord(account_id, f"{VERIFIED}{channel_id}#{openid}", member_id=member_id,
                                     openid=openid, verified_at=int(now)),
                        condition=MemberRecord.item_id.does_not_exist())
                tx.update(MemberRecord(account_id, FIG + channel_id), actions=[MemberRecord.verified.add(1)])
        except TransactWriteError as exc:
            if conflict(exc):
                return False
            raise
        return True

    def verification(self, scope: Scope, account_id: str, channel_id: str, openid: str) -> dict | None:
        scope.check(account_id)
        try:
            return _verification(MemberRecord.get(account_id, f"{VERIFIED}{channel_id}#{openid}",
                                                  consistent_read=True))
        except MemberRecord.DoesNotExist:
            return None

    def count(self, scope: Scope, account_id: str, channel_id: str, figure: str, n: int = 1,
              marker: str | None = None, expires_at: int | None = None) -> bool:
        scope.check(account_id)
        if figure not in FIGURES:
            raise ValueError(f"unknown figure {figure}")
        add = [getattr(MemberRecord, figure).add(n)]
        if marker is None:
            MemberRecord(account_id, FIG + channel_id).update(actions=add)
            return True
        try:
            with TransactWrite(connection=MemberRecord._get_connection().connection) as tx:
                tx.save(MemberRecord(account_id, JOIN + marker, expires_at=datetime.fromtimestamp(
                    expires_at or 0, UTC) if expires_at else None), condition=MemberRecord.item_id.does_not_exist())
                tx.update(MemberRecord(account_id, FIG + channel_id), actions=add)
        except TransactWriteError as exc:
            if conflict(exc):
                return False
            raise
        return True

    def figure_writes(self, account_id: str, channel_id: str, deltas: dict[str, int]) -> list[tuple]:
        if any(f not in FIGURES for f in deltas):
            raise ValueError(f"unknown figure in {sorted(deltas)}")
        actions = [getattr(MemberRecord, f).add(n) for f, n in sorted(deltas.items()) if n]
        return [(MemberRecord(account_id, FIG + channel_id), actions)] if actions else []

    def figures(self, scope: Scope, account_id: str, channel_id: str) -> dict:
        scope.check(account_id)
        try:
            rec = MemberRecord.get(account_id, FIG + channel_id, consistent_read=True)
        except MemberRecord.DoesNotExist:
            return dict.fromkeys(FIGURES, 0)
        return {f: int(getattr(rec, f) or 0) for f in FIGURES}

    def verifications_of(self, scope: Scope, account_id: str, openids: set[str]) -> list[dict]:
        scope.check(account_id)
        if not openids:
            return []
        return [_verification(rec) for rec in MemberRecord.query(account_id, MemberRecord.item_id.startswith(VERIFIED),
                                                                 consistent_read=True) if rec.openid in openids]

    def erase_verification(self, scope: Scope, account_id: str, item: dict) -> None:
        scope.check(account_id)
        MemberRecord(account_id, f"{VERIFIED}{item['channel_id']}#{item['openid']}").delete()
