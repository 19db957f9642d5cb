"""The menu store on DynamoDB: tables `menus` (scrm.data.menus) and `menu_stats` (scrm.data.menu_stats); the key
layouts are described there. A version and the current pointer are one transaction conditioned on `seq`; a
click, its user and its event marker are one transaction conditioned on the markers' absence."""

from __future__ import annotations

import json
from datetime import datetime

from pynamodb.exceptions import DeleteError, PutError, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from ...data.menus import CONDITIONAL, CURRENT, DRAFT, VERSION, MenuRecord, version_key
from ...errors import Conflict, NotFound
from ...tenancy import Scope
from .dynamo_counters import DynamoMenuCounters


def _refused(exc) -> bool:
    return exc.cause_response_code == "ConditionalCheckFailedException"


def _draft(rec: MenuRecord) -> dict:
    body = json.loads(rec.body)
    return {"draft_id": rec.item_id[len(DRAFT):], "name": body.get("name"), "button": body["button"],
            "version": int(rec.version), "created_at": rec.created_at, "updated_at": rec.updated_at}


def _version(rec: MenuRecord) -> dict:
    return {"version": int(rec.item_id[len(VERSION):]), "button": json.loads(rec.body), "digest": rec.digest,
            "draft_id": rec.draft_id, "rollback_of": int(rec.rollback_of) if rec.rollback_of is not None else None,
            "published_at": rec.created_at}


def _conditional(rec: MenuRecord) -> dict:
    body = json.loads(rec.body)
    return {"menuid": rec.item_id[len(CONDITIONAL):], "name": body.get("name"), "button": body["button"],
            "matchrule": body["matchrule"], "created_at": rec.created_at}


def _body(draft: dict) -> str:
    return json.dumps({"name": draft.get("name"), "button": draft["button"]}, ensure_ascii=False)


class DynamoMenuStore(DynamoMenuCounters):
    # ---- drafts
    def create_draft(self, scope: Scope, account_id: str, draft_id: str, draft: dict, now: datetime) -> dict:
        scope.check(account_id)
        rec = MenuRecord(account_id, DRAFT + draft_id, body=_body(draft), name=draft.get("name"), version=1,
                         created_at=now, updated_at=now)
        try:
            rec.save(condition=MenuRecord.item_id.does_not_exist())
        except PutError as exc:
            if _refused(exc):
                raise Conflict(f"menu draft {draft_id!r} exists already") from None
            raise
        return _draft(rec)

    def replace_draft(self, scope: Scope, account_id: str, draft_id: str, draft: dict, now: datetime,
                      expect_version: int | None = None) -> dict:
        scope.check(account_id)
        rec = MenuRecord(account_id, DRAFT + draft_id)
        condition = MenuRecord.item_id.exists()
        if expect_version is not None:
            condition &= MenuRecord.version == expect_version
        try:
            rec.update(actions=[MenuRecord.body.set(_body(draft)), MenuRecord.name.set(draft.get("name")),
                                MenuRecord.version.add(1), MenuRecord.updated_at.set(now)], condition=condition)
        except UpdateError as exc:
            if not _refused(exc):
                raise
            if self.get_draft(scope, account_id, draft_id) is None:
                raise NotFound(f"no menu draft {draft_id!r} in account {account_id!r}") from None
            raise Conflict(f"menu draft {draft_id!r} changed meanwhile") from None
        return _draft(rec)

    def get_draft(self, scope: Scope, account_id: str, draft_id: str) -> dict | None:
        scope.check(account_id)
        try:
            return _draft(MenuRecord.get(account_id, DRAFT + draft_id, consistent_read=True))
        except MenuRecord.DoesNotExist:
            return None

    def list_drafts(self, scope: Scope, account_id: str) -> list[dict]:
        scope.check(account_id)
        return [_draft(r) for r in MenuRecord.query(account_id, MenuRecord.item_id.startswith(DRAFT))]

    def delete_draft(self, scope: Scope, account_id: str, draft_id: str) -> bool:
        scope.check(account_id)
        try:
            MenuRecord(account_id, DRAFT + draft_id).delete(condition=MenuRecord.item_id.exists())
        except DeleteError as exc:
            if _refused(exc):
                return False
            raise
        return True

    # ---- versions
    def current(self, scope: Scope, account_id: str) -> dict | None:
        scope.check(account_id)
        try:
            rec = MenuRecord.get(account_id, CURRENT, consistent_read=True)
        except MenuRecord.DoesNotExist:
            return None
        return {"version": int(rec.n), "digest": rec.digest, "deleted": bool(rec.deleted), "seq": int(rec.seq)}

    def add_version(self, scope: Scope, account_id: str, version: dict, expect_seq: int, now: datetime) -> bool:
        scope.check(account_id)
        n = expect_seq + 1
        seq_holds = MenuRecord.seq.does_not_exist() if expect_seq == 0 else MenuRecord.seq == expect_seq
        try:
            with TransactWrite(connection=MenuRecord._get_connection().connection) as tx:
                tx.save(MenuRecord(account_id, version_key(n), body=json.dumps(version["button"], ensure_ascii=False),
                                   digest=version["digest"], draft_id=version.get("draft_id"),
                                   rollback_of=version.get("rollback_of"), created_at=now),
                        condition=MenuRecord.item_id.does_not_exist())
                tx.update(MenuRecord(account_id, CURRENT),
                          actions=[MenuRecord.n.set(n), MenuRecord.seq.set(n), MenuRecord.digest.set(version["digest"]),
                                   MenuRecord.deleted.set(False), MenuRecord.updated_at.set(now)],
                          condition=seq_holds)
        except TransactWriteError as exc:
            codes = [getattr(r, "code", None) for r in (exc.cancellation_reasons or []) if r is not None]
            if "ConditionalCheckFailed" in codes or "TransactionConflict" in codes:
                return False
            raise
        return True

    def get_version(self, scope: Scope, account_id: str, n: int) -> dict | None:
        scope.check(account_id)
        try:
            return _version(MenuRecord.get(account_id, version_key(n), consistent_read=True))
        except MenuRecord.DoesNotExist:
            return None

    def page_versions(self, scope: Scope, account_id: str, limit: int, before: int | None = None
                      ) -> tuple[list[dict], int | None]:
        scope.check(account_id)
        condition = (MenuRecord.item_id.between(version_key(0), version_key(before - 1)) if before is not None
                     else MenuRecord.item_id.startswith(VERSION))
        result = MenuRecord.query(account_id, condition, scan_index_forward=False, limit=limit + 1)
        items = [_version(r) for r in result][:limit + 1]
        more = len(items) > limit
        items = items[:limit]
        return items, (items[-1]["version"] if more else None)

    def mark_deleted(self, scope: Scope, account_id: str, now: datetime) -> None:
        scope.check(account_id)
        try:
            MenuRecord(account_id, CURRENT).update(
                actions=[MenuRecord.deleted.set(True), MenuRecord.updated_at.set(now)],
                condition=MenuRecord.item_id.exists())
        except UpdateError as exc:
            if not _refused(exc):
                raise
        for rec in MenuRecord.query(account_id, MenuRecord.item_id.startswith(CONDITIONAL)):
            rec.delete()

    # ---- conditional menus
    def put_conditional(self, scope: Scope, account_id: str, menu: dict, now: datetime) -> dict:
        scope.check(account_id)
        body = {"name": menu.get("name"), "button": menu["button"], "matchrule": menu["matchrule"]}
        rec = MenuRecord(account_id, CONDITIONAL + str(menu["menuid"]), body=json.dumps(body, ensure_ascii=False),
                         created_at=now)
        rec.save()
        return _conditional(rec)

    def list_conditionals(self, scope: Scope, account_id: str) -> list[dict]:
        scope.check(account_id)
        return [_conditional(r) for r in MenuRecord.query(account_id, MenuRecord.item_id.startswith(CONDITIONAL))]

    def delete_conditional(self, scope: Scope, account_id: str, menuid: str) -> bool:
        scope.check(account_id)
        try:
            MenuRecord(account_id, CONDITIONAL + menuid).delete(condition=MenuRecord.item_id.exists())
        except DeleteError as exc:
            if _refused(exc):
                return False
            raise
        return True
