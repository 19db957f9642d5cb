"""The customer group store on DynamoDB (table `customer_groups`, scrm.data.customer_groups)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from pynamodb.exceptions import DeleteError, PutError, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from ...data.customer_groups import GroupRecord
from ...data.paging import one_page
from ...tenancy import Scope
from ..contacts.dynamo import conflict
from ..cursors import check_page
from .base import GROUP_FIELDS, MARKER_TTL_SECONDS

_MEMBER_ATTRS = {"type": "member_type"}  # dict field -> attribute, where they differ


def _group_of(item: GroupRecord) -> dict:
    out = {name: getattr(item, name) for name in GROUP_FIELDS}
    out["tags"] = sorted(out["tags"] or ())
    for name in ("size", "version", "created_at", "updated_at", "dismissed_at"):
        out[name] = int(out[name]) if out[name] is not None else None
    return out


def _member_of(item: GroupRecord) -> dict:
    def num(v):
        return int(v) if v is not None else None

    return {"chat_id": item.chat_id, "userid": item.userid, "type": num(item.member_type),
            "join_scene": num(item.join_scene), "invitor": item.invitor, "join_time": num(item.join_time),
            "quit_time": num(item.quit_time), "quit_scene": num(item.quit_scene), "state": item.state,
            "channel_id": item.channel_id, "in_group": bool(item.in_group)}


def _member_item(account_id: str, m: dict) -> GroupRecord:
    values = {_MEMBER_ATTRS.get(k, k): v for k, v in m.items() if v is not None}
    return GroupRecord(account_id, f"m#{m['chat_id']}#{m['userid']}", member_key=f"{account_id}#{m['userid']}",
                       **values)


CONTENT_FIELDS = ("name", "text", "image", "link", "miniprogram")


def _template_of(item: GroupRecord) -> dict:
    content = json.loads(item.content or "{}")
    return {"template_id": item.sk[2:], **{k: content.get(k) for k in CONTENT_FIELDS}, "status": item.status,
            "used_by": sorted(item.used_by or ()), "created_at": int(item.created_at or 0),
            "updated_at": int(item.updated_at or 0)}


def _content(template: dict) -> str:
    return json.dumps({k: template.get(k) for k in CONTENT_FIELDS}, ensure_ascii=False, sort_keys=True)


def _failed_condition(exc) -> bool:
    return getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException"


class DynamoGroupStore:
    def get_groups(self, scope: Scope, account_id: str, chat_ids: list[str]) -> dict[str, dict]:
        scope.check(account_id)
        keys = [(account_id, f"g#{c}") for c in dict.fromkeys(chat_ids)]
        out = {}
        for start in range(0, len(keys), 100):
            for item in GroupRecord.batch_get(keys[start:start + 100], consistent_read=True):
                out[item.chat_id] = _group_of(item)
        return out

    def get_members(self, scope: Scope, account_id: str, chat_id: str, userids: list[str]) -> dict[str, dict]:
        scope.check(account_id)
        keys = [(account_id, f"m#{chat_id}#{u}") for u in dict.fromkeys(userids)]
        out = {}
        for start in range(0, len(keys), 100):
            for item in GroupRecord.batch_get(keys[start:start + 100], consistent_read=True):
                out[item.userid] = _member_of(item)
        return out

    def applied(self, scope: Scope, account_id: str, marker: str) -> bool:
        scope.check(account_id)
        try:
            GroupRecord.get(account_id, f"e#{marker}", consistent_read=True, attributes_to_get=["sk"])
        except GroupRecord.DoesNotExist:
            return False
        return True

    def _marker(self, tx: TransactWrite, account_id: str, marker: str, now: float, **values) -> None:
        tx.save(GroupRecord(account_id, f"e#{marker}", at=int(now),
                            expires_at=datetime.fromtimestamp(int(now) + MARKER_TTL_SECONDS, UTC),
                            **values), condition=GroupRecord.sk.does_not_exist())

    def commit_change(self, scope: Scope, account_id: str, *, marker: str | None, group: dict, expect_version,
                      members: list[dict], day: dict | None, also=(), now: float) -> bool:
        scope.check(account_id)
        chat_id = group["chat_id"]
        values = {k: v for k, v in group.items() if k in GROUP_FIELDS and k != "version" and v is not None}
        values["tags"] = set(group.get("tags") or ()) or None  # a set attribute cannot be empty
        owner_key = f"{account_id}#{group['owner']}" if group.get("owner") else None
        item = GroupRecord(account_id, f"g#{chat_id}", version=(expect_version or 0) + 1, owner_key=owner_key,
                           **values)
        condition = (GroupRecord.sk.does_not_exist() if expect_version is None
                     else GroupRecord.version == expect_version)
        try:
            with TransactWrite(connection=GroupRecord._get_connection().connection) as tx:
                if marker is not None:
                    self._marker(tx, account_id, marker, now)
                tx.save(item, condition=condition)
                for m in members:
                    tx.save(_member_item(account_id, m))
                if day:
                    tx.update(GroupRecord(account_id, f"d#{chat_id}#{day['day']}"), actions=[
                        GroupRecord.chat_id.set(chat_id), GroupRecord.day.set(day["day"]),
                        GroupRecord.joins.add(day["joins"]), GroupRecord.quits.add(day["quits"]),
                        GroupRecord.size.set(day["size"])])
                for write_item, actions in also:
                    tx.update(write_item, actions=actions)
        except TransactWriteError as exc:
            if conflict(exc):
                return False
            raise
        return True

    def record_chat_failure(self, scope: Scope, account_id: str, *, marker: str, failure: dict, now: float) -> bool:
        scope.check(account_id)
        try:
            with TransactWrite(connection=GroupRecord._get_connection().connection) as tx:
                self._marker(tx, account_id, marker, now)
                tx.save(GroupRecord(account_id, f"f#{failure['chat_id']}#{marker}", chat_id=failure["chat_id"],
                                    dedupe_key=failure["dedupe_key"], kind=failure["kind"],
                                    errcode=failure["errcode"], errmsg=failure["errmsg"], at=failure["at"]))
        except TransactWriteError as exc:
            if conflict(exc):
                return False
            raise
        return True

    def page_groups(self, scope: Scope, account_id: str, *, limit: int, start: dict | None = None):
        check_page(scope, account_id, start)
        items, last = one_page(GroupRecord.query(account_id, GroupRecord.sk.startswith("g#"), limit=limit,
                                                 page_size=limit, last_evaluated_key=start))
        return [_group_of(i) for i in items], last

    def groups_of_owners(self, scope: Scope, account_id: str, owners: list[str]) -> dict[str, dict]:
        from concurrent.futures import ThreadPoolExecutor

        scope.check(account_id)
        wanted = sorted(set(owners))

        def of(owner: str) -> list[dict]:
            return [_group_of(i) for i in GroupRecord.by_owner.query(f"{account_id}#{owner}",
                                                                     GroupRecord.sk.startswith("g#"))]

        out: dict[str, dict] = {}
        with ThreadPoolExecutor(min(8, max(1, len(wanted)))) as pool:
            for groups in pool.map(of, wanted):
                out.update((g["chat_id"], g) for g in groups)
        return dict(sorted(out.items()))

    def page_members(self, scope: Scope, account_id: str, chat_id: str, *, limit: int, start: dict | None = None):
        check_page(scope, account_id, start)
        items, last = one_page(GroupRecord.query(account_id, GroupRecord.sk.startswith(f"m#{chat_id}#"), limit=limit,
                                                 page_size=limit, last_evaluated_key=start))
        return [_member_of(i) for i in items], last

    def sizes(self, scope: Scope, account_id: str, chat_id: str, start: str, end: str) -> list[dict]:
        scope.check(account_id)
        return [{"day": i.day, "joins": int(i.joins or 0), "quits": int(i.quits or 0), "size": int(i.size or 0)}
                for i in GroupRecord.query(account_id, GroupRecord.sk.between(f"d#{chat_id}#{start}",
                                                                             f"d#{chat_id}#{end}"))]

    def failures(self, scope: Scope, account_id: str, limit: int = 100) -> list[dict]:
        scope.check(account_id)
        return [{"chat_id": i.chat_id, "dedupe_key": i.dedupe_key, "kind": i.kind, "errcode": int(i.errcode or 0),
                 "errmsg": i.errmsg, "at": int(i.at or 0)}
                for i in GroupRecord.query(account_id, GroupRecord.sk.startswith("f#"), limit=limit)]

    def member_items(self, scope: Scope, account_id: str, userids: set[str]) -> list[dict]:
        scope.check(account_id)
        return [_member_of(i) for u in sorted(userids)
                for i in GroupRecord.by_member.query(f"{account_id}#{u}")]

    def erase_member(self, scope: Scope, account_id: str, member: dict, pseudonym: str) -> None:
        scope.check(account_id)
        _member_item(account_id, {**member, "userid": pseudonym, "invitor": None}).save()
        GroupRecord(account_id, f"m#{member['chat_id']}#{member['userid']}").delete()

    def set_vip(self, scope: Scope, account_id: str, chat_id: str, vip: bool, expect_version: int) -> bool:
        scope.check(account_id)
        try:
            GroupRecord(account_id, f"g#{chat_id}").update(
                actions=[GroupRecord.vip.set(bool(vip)), GroupRecord.version.set(expect_version + 1)],
                condition=GroupRecord.version == expect_version)
        except UpdateError as exc:
            if _failed_condition(exc):
                return False
            raise
        return True

    # ---- customer group tags
    def put_group_tag(self, scope: Scope, account_id: str, tag: dict) -> bool:
        scope.check(account_id)
        try:
            GroupRecord(account_id, f"gt#{tag['tag_id']}", name=tag["name"], created_at=int(tag["created_at"])
                        ).save(condition=GroupRecord.sk.does_not_exist())
        except PutError as exc:
            if _failed_condition(exc):
                return False
            raise
        return True

    def group_tags(self, scope: Scope, account_id: str) -> list[dict]:
        scope.check(account_id)
        return [{"tag_id": i.sk[3:], "name": i.name, "created_at": int(i.created_at or 0),
                 "deleted_at": int(i.deleted_at) if i.deleted_at is not None else None}
                for i in GroupRecord.query(account_id, GroupRecord.sk.startswith("gt#"), consistent_read=True)]

    def delete_group_tag(self, scope: Scope, account_id: str, tag_id: str, now: float) -> bool:
        scope.check(account_id)
        try:
            GroupRecord(account_id, f"gt#{tag_id}").update(
                actions=[GroupRecord.deleted_at.set(int(now))],
                condition=GroupRecord.sk.exists() & GroupRecord.deleted_at.does_not_exist())
        except UpdateError as exc:
            if _failed_condition(exc):
                return False
            raise
        return True

    def set_group_tags(self, scope: Scope, account_id: str, chat_id: str, tag_ids: list[str],
                       expect_version: int) -> bool:
        scope.check(account_id)
        group = self.get_groups(scope, account_id, [chat_id]).get(chat_id)
        if group is None or group["version"] != expect_version:
            return False
        before, after = set(group["tags"]), set(tag_ids)
        actions = [GroupRecord.tags.set(after) if after else GroupRecord.tags.remove(),
                   GroupRecord.version.set(expect_version + 1)]
        try:
            with TransactWrite(connection=GroupRecord._get_connection().connection) as tx:
                tx.update(GroupRecord(account_id, f"g#{chat_id}"), actions=actions,
                          condition=GroupRecord.version == expect_version)
                for tag_id in sorted(after - before):
                    tx.save(GroupRecord(account_id, f"gm#{tag_id}#{chat_id}", chat_id=chat_id))
                for tag_id in sorted(before - after):
                    tx.delete(GroupRecord(account_id, f"gm#{tag_id}#{chat_id}"))
        except TransactWriteError as exc:
            if conflict(exc):
                return False
            raise
        return True

    def groups_with_tags(self, scope: Scope, account_id: str, tag_ids: list[str]) -> dict[str, dict]:
        scope.check(account_id)
        chat_ids = {i.chat_id for t in sorted(set(tag_ids))
                    for i in GroupRecord.query(account_id, GroupRecord.sk.startswith(f"gm#{t}#"), consistent_read=True)}
        return dict(sorted(self.get_groups(scope, account_id, sorted(chat_ids)).items()))

    # ---- group welcome templates
    def put_template(self, scope: Scope, account_id: str, template: dict) -> bool:
        scope.check(account_id)
        try:
            GroupRecord(account_id, f"t#{template['template_id']}", content=_content(template), status="active",
                        created_at=template["created_at"], updated_at=template["updated_at"]
                        ).save(condition=GroupRecord.sk.does_not_exist())
        except PutError as exc:
            if _failed_condition(exc):
                return False
            raise
        return True

    def get_template(self, scope: Scope, account_id: str, template_id: str) -> dict | None:
        scope.check(account_id)
        try:
            return _template_of(GroupRecord.get(account_id, f"t#{template_id}", consistent_read=True))
        except GroupRecord.DoesNotExist:
            return None

    def list_templates(self, scope: Scope, account_id: str) -> list[dict]:
        scope.check(account_id)
        return [_template_of(i) for i in GroupRecord.query(account_id, GroupRecord.sk.startswith("t#"),
                                                           consistent_read=True)]

    def _update_template(self, account_id: str, template_id: str, actions, condition) -> bool:
        try:
            GroupRecord(account_id, f"t#{template_id}").update(actions=actions, condition=condition)
        except UpdateError as exc:
            if _failed_condition(exc):
                return False
            raise
        return True

    def replace_template(self, scope: Scope, account_id: str, template: dict) -> bool:
        scope.check(account_id)
        return self._update_template(account_id, template["template_id"], [
            GroupRecord.content.set(_content(template)), GroupRecord.updated_at.set(template["updated_at"])],
            GroupRecord.status == "active")

    def use_template(self, scope: Scope, account_id: str, template_id: str, channel_id: str) -> bool:
        scope.check(account_id)
        return self._update_template(account_id, template_id, [GroupRecord.used_by.add({channel_id})],
                                     GroupRecord.status == "active")

    def release_template(self, scope: Scope, account_id: str, template_id: str, channel_id: str) -> None:
        scope.check(account_id)
        self._update_template(account_id, template_id, [GroupRecord.used_by.delete({channel_id})],
                              GroupRecord.sk.exists())

    def begin_delete_template(self, scope: Scope, account_id: str, template_id: str) -> bool:
        scope.check(account_id)
        # a set emptied by DELETE is removed by DynamoDB: "used by none" is the attribute's absence
        return self._update_template(account_id, template_id, [GroupRecord.status.set("deleting")],
                                     (GroupRecord.status == "active") & GroupRecord.used_by.does_not_exist())

    def end_delete_template(self, scope: Scope, account_id: str, template_id: str, *, deleted: bool) -> None:
        scope.check(account_id)
        if not deleted:
            self._update_template(account_id, template_id, [GroupRecord.status.set("active")],
                                  GroupRecord.status == "deleting")
            return
        try:
            GroupRecord(account_id, f"t#{template_id}").delete(condition=GroupRecord.status == "deleting")
        except DeleteError as exc:
            if not _failed_condition(exc):
                raise
