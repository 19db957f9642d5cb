"""The admin use cases of the corp tag catalogue: list, create (a group with tags, or tags into a group), rename
or reorder (PATCH), delete (refused while referred to unless forced), sync from WeCom.

Every change goes to WeCom first (管理企业标签, https://developer.work.weixin.qq.com/document/path/92117), then the
store keeps what WeCom answered: the catalogue is WeCom's, never ours alone."""

from __future__ import annotations

from ...domain.instants import answer_time
from ...errors import AmbiguousOutcome, Conflict, NotFound, ValidationError, WeChatError
from ...tenancy import Scope
from . import common, references

INVALID_ID = 40068  # WeCom: invalid tag (or group) id
NAME_TAKEN = 40071  # WeCom: the name is already taken (不合法的标签名字)
TOO_MANY = 40126  # WeCom: over the corp's tag limit


class TagInUse(Conflict):
    """A 409 listing who still refers to the tag (`details.references`)."""

    def __init__(self, message: str, refs: list[dict]):
        super().__init__(message)
        self.details = {"references": refs}


def tag_rows(groups: list[dict]) -> list[dict]:
    """The catalogue as a flat list of tags in display order, each with its group's id, name and order."""
    return [{"tag_id": t["tag_id"], "name": t["name"], "order": t["order"], "group_id": g["group_id"],
             "group_name": g["name"], "group_order": g["order"], "created_at": answer_time(t["create_time"])}
            for g in groups for t in g["tags"]]


def group_view(group: dict) -> dict:
    return {"group_id": group["group_id"], "name": group["name"], "order": group["order"],
            "created_at": answer_time(group["create_time"]),
            "tags": [{"tag_id": t["tag_id"], "name": t["name"], "order": t["order"],
                      "created_at": answer_time(t["create_time"])} for t in group["tags"]]}


def _gateway(account_id: str):
    return common.gateway_of(common.wecom_account(account_id))


def list_tags(scope: Scope, account_id: str) -> list[dict]:
    """Every tag with its group's name (the catalogue is read from WeCom first if it never was)."""
    scope.check(account_id)
    common.wecom_account(account_id)
    return tag_rows(common.catalogue(scope, account_id, lambda: _gateway(account_id)))


def list_tags_page(scope: Scope, account_id: str, *, limit: int = 50, start: dict | None = None
                   ) -> tuple[list[dict], dict | None]:
    rows = list_tags(scope, account_id)
    at = int((start or {}).get("i", 0))
    chunk = rows[at:at + limit]
    return chunk, ({"i": at + limit} if at + limit < len(rows) else None)


def sync(scope: Scope, account_id: str) -> dict:
    scope.check(account_id)
    counts = common.sync(scope, account_id, _gateway(account_id))
    return {**counts, "synced_at": answer_time(common.now())}


def _refused(exc: WeChatError, field: str):
    if exc.errcode == NAME_TAKEN:
        return Conflict(f"{field}: WeCom says the name is already taken ({exc.errcode} {exc.errmsg})")
    if exc.errcode == INVALID_ID:
        return NotFound(f"WeCom knows no such tag or tag group ({exc.errcode} {exc.errmsg})")
    if exc.errcode == TOO_MANY:
        return Conflict(f"the corp holds as many tags as WeCom allows ({exc.errcode} {exc.errmsg})")
    return None


def create(scope: Scope, account_id: str, body: dict) -> dict:
    """Tags into a group: a new group (group_name) or an existing one (group_id). The group as WeCom answers it."""
    scope.check(account_id)
    gw = _gateway(account_id)
    tags = [{"name": t["name"], "order": t.get("order")} for t in body["tags"]]
    group_id, group_name = body.get("group_id"), body.get("group_name")
    if group_id and not any(g["group_id"] == group_id for g in common.catalogue(scope, account_id, lambda: gw)):
        raise ValidationError(f"group_id: no tag group {group_id!r} in the account's catalogue", field="group_id")
    try:
        made = gw.add_corp_tag(tags, group_id=group_id, group_name=group_name, order=body.get("order"))
    except AmbiguousOutcome:
        # no answer: WeCom may have made them. Look before anyone repeats the call (it is never resent blindly).
        found = _made_meanwhile(scope, account_id, gw, group_id, group_name, [t["name"] for t in tags])
        if found is None:
            raise
        return group_view(found)
    except WeChatError as exc:
        raise (_refused(exc, "tags") or exc) from None
    stored = common.store().put_group(scope, account_id, common.from_wecom(made), complete=False)
    full = next((g for g in common.store().catalogue(scope, account_id) if g["group_id"] == stored["group_id"]),
                stored)
    return group_view(full)


def _made_meanwhile(scope: Scope, account_id: str, gw, group_id, group_name, tag_names: list[str]) -> dict | None:
    common.sync(scope, account_id, gw)
    for g in common.store().catalogue(scope, account_id):
        if (g["group_id"] == group_id or (not group_id and g["name"] == group_name)) and \
                set(tag_names) <= {t["name"] for t in g["tags"]}:
            return g
    return None


def change(scope: Scope, account_id: str, item_id: str, body: dict, *, group: bool = False) -> dict:
    """Rename and/or reorder a tag (or a group): edit_corp_tag, then the item as WeCom now answers it."""
    scope.check(account_id)
    gw = _gateway(account_id)
    groups = common.catalogue(scope, account_id, lambda: gw)
    where = _find(groups, item_id, group)
    try:
        gw.edit_corp_tag(item_id, name=body.get("name"), order=body.get("order"))
    except WeChatError as exc:
        raise (_refused(exc, "name") or exc) from None
    fresh = common.live(gw.corp_tags(group_ids=[where["group_id"]]))
    for g in fresh:
        common.store().put_group(scope, account_id, g)
    updated = _find(common.store().catalogue(scope, account_id), item_id, group)
    return group_view(updated) if group else tag_rows([{**updated, "tags": [
        t for t in updated["tags"] if t["tag_id"] == item_id]}])[0]


def _find(groups: list[dict], item_id: str, group: bool) -> dict:
    for g in groups:
        if group and g["group_id"] == item_id:
            return g
        if not group and any(t["tag_id"] == item_id for t in g["tags"]):
            return g
    raise NotFound(f"no corp tag {'group ' if group else ''}{item_id!r} in the account's catalogue")


def delete(scope: Scope, account_id: str, item_id: str, *, group: bool = False, force: bool = False) -> dict:
    """Delete a tag (or a group with its tags) at WeCom and in the catalogue. While a channel, a push, a
    segment, a journey or a moment refers to it, refused (409 with the references) unless `force`: then they show
    it as deleted."""
    scope.check(account_id)
    gw = _gateway(account_id)
    where = _find(common.catalogue(scope, account_id, lambda: gw), item_id, group)
    ids = [t["tag_id"] for t in where["tags"]] if group else [item_id]
    refs = references.references(scope, account_id, ids)
    if refs and not force:
        what, zh = ("the group", "标签组") if group else ("the tag", "标签")
        raise TagInUse(f"{len(refs)} 处渠道、推送、分群、旅程或朋友圈仍引用{zh} {item_id}，"
                       f"请先修改它们，或以 force=true 删除 / {len(refs)} channel(s), push(es), segment(s), "
                       f"journey(s) or moment(s) refer to {what} {item_id}; change them first or delete with "
                       "force=true", refs)
    try:
        gw.del_corp_tag(group_ids=[item_id]) if group else gw.del_corp_tag(tag_ids=[item_id])
    except WeChatError as exc:
        if exc.errcode != INVALID_ID:  # already gone at WeCom: the catalogue follows
            raise
    removed = common.store().remove(scope, account_id, **({"group_ids": [item_id]} if group else
                                                          {"tag_ids": [item_id]}))
    return {"deleted": item_id, "tag_ids": sorted(removed), "references": refs}
