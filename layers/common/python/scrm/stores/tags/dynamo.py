"""The tag store on DynamoDB (table `corp_tags`, model scrm.data.corp_tags.CorpTagRecord): one partition per
account, `group#<id>`, `tag#<id>` and `synced` items; one Query reads the catalogue."""

from __future__ import annotations

from ...data.corp_tags import GROUP, SYNCED, TAG, CorpTagRecord
from ...tenancy import Scope
from .base import group_of, ordered, tag_of


def _items(account_id: str) -> list[CorpTagRecord]:
    return list(CorpTagRecord.query(account_id, consistent_read=True))


def _tag(rec: CorpTagRecord) -> dict:
    return {"tag_id": rec.item_id[len(TAG):], "group_id": rec.group_id, "name": rec.name,
            "order": int(rec.order or 0), "create_time": None if rec.create_time is None else int(rec.create_time)}


def _group(rec: CorpTagRecord) -> dict:
    return {"group_id": rec.item_id[len(GROUP):], "name": rec.name, "order": int(rec.order or 0),
            "create_time": None if rec.create_time is None else int(rec.create_time)}


def _tag_record(account_id: str, t: dict) -> CorpTagRecord:
    return CorpTagRecord(account_id, TAG + t["tag_id"], name=t["name"], group_id=t["group_id"], order=t["order"],
                         create_time=t["create_time"])


class DynamoTagStore:
    def catalogue(self, scope: Scope, account_id: str) -> list[dict]:
        scope.check(account_id)
        groups, tags = {}, []
        for rec in _items(account_id):
            if rec.item_id.startswith(GROUP):
                g = _group(rec)
                groups[g["group_id"]] = {**g, "tags": []}
            elif rec.item_id.startswith(TAG):
                tags.append(_tag(rec))
        for t in tags:
            if t["group_id"] in groups:
                groups[t["group_id"]]["tags"].append(t)
        for g in groups.values():
            g["tags"] = ordered(g["tags"])
        return ordered(list(groups.values()))

    def synced_at(self, scope: Scope, account_id: str) -> float | None:
        scope.check(account_id)
        try:
            return float(CorpTagRecord.get(account_id, SYNCED, consistent_read=True).synced_at)
        except CorpTagRecord.DoesNotExist:
            return None

    def replace_catalogue(self, scope: Scope, account_id: str, groups: list[dict], now: float) -> dict:
        scope.check(account_id)
        stored = [group_of(g, g.get("tags") or []) for g in groups]
        keep = {GROUP + g["group_id"] for g in stored} | {TAG + t["tag_id"] for g in stored for t in g["tags"]}
        gone = [r for r in _items(account_id) if r.item_id != SYNCED and r.item_id not in keep]
        with CorpTagRecord.batch_write() as batch:
            for g in stored:
                batch.save(CorpTagRecord(account_id, GROUP + g["group_id"], name=g["name"], order=g["order"],
                                         create_time=g["create_time"]))
                for t in g["tags"]:
                    batch.save(_tag_record(account_id, t))
            for r in gone:
                batch.delete(r)
        CorpTagRecord(account_id, SYNCED, synced_at=now).save()
        return {"groups": len(stored), "tags": sum(len(g["tags"]) for g in stored),
                "removed": sum(1 for r in gone if r.item_id.startswith(TAG))}

    def put_group(self, scope: Scope, account_id: str, group: dict, *, complete: bool = True) -> dict:
        scope.check(account_id)
        stored = group_of(group, group.get("tags") or [])
        gid, given = stored["group_id"], {t["tag_id"] for t in stored["tags"]}
        stale = []
        if complete:
            stale = [r for r in CorpTagRecord.query(account_id, CorpTagRecord.item_id.startswith(TAG),
                                                    filter_condition=CorpTagRecord.group_id == gid,
                                                    consistent_read=True)
                     if r.item_id[len(TAG):] not in given]
        with CorpTagRecord.batch_write() as batch:
            batch.save(CorpTagRecord(account_id, GROUP + gid, name=stored["name"], order=stored["order"],
                                     create_time=stored["create_time"]))
            for t in stored["tags"]:
                batch.save(_tag_record(account_id, t))
            for r in stale:
                batch.delete(r)
        return stored

    def put_tag(self, scope: Scope, account_id: str, tag: dict) -> dict:
        scope.check(account_id)
        stored = tag_of(str(tag["group_id"]), tag)
        _tag_record(account_id, stored).save()
        return stored

    def remove(self, scope: Scope, account_id: str, *, tag_ids=(), group_ids=()) -> list[str]:
        scope.check(account_id)
        items = {r.item_id: r for r in _items(account_id)}
        tags = [r for r in items.values() if r.item_id.startswith(TAG)]
        doomed = {TAG + t for t in tag_ids if TAG + t in items}
        doomed |= {r.item_id for r in tags if r.group_id in set(group_ids)}
        doomed |= {GROUP + g for g in group_ids if GROUP + g in items}
        touched = {items[k].group_id for k in doomed if k.startswith(TAG)}
        for gid in touched:
            if all(r.item_id in doomed for r in tags if r.group_id == gid) and GROUP + gid in items:
                doomed.add(GROUP + gid)
        with CorpTagRecord.batch_write() as batch:
            for k in doomed:
                batch.delete(items[k])
        return [k[len(TAG):] for k in doomed if k.startswith(TAG)]
