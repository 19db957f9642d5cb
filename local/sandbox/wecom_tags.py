"""WeCom corp tags (管理企业标签) in the sandbox: get_corp_tag_list, add_corp_tag, edit_corp_tag, del_corp_tag in the
documented shapes (https://developer.work.weixin.qq.com/document/path/92117), and `change_external_tag` callbacks
(https://developer.work.weixin.qq.com/document/path/92130) fired by the control API as WeCom's admin console would:

    POST /control/wecom/<corpid>/events {"type": "change_external_tag", "change_type": "create"|"update"|"delete"|
         "shuffle", "tag_type": "tag"|"tag_group", "id": ..., "name"?, "order"?, "group_id"?, "group_name"?}

create makes the tag (or group) first (in `group_id`, or a new group `group_name`), update renames / reorders it,
delete removes it (a group with its tags), shuffle sends the event only; each is then signed and delivered like
the other simulated events. Errcodes: 40058 invalid parameter, 40068 invalid tag (group) id, 40071 the name is
taken in its group (不合法的标签名字), 40126 over 3000 corp tags.

The endpoints are methods of wecom.WeComPlatform installed from here (wecom.py stays as it is for the others)."""

from __future__ import annotations

from .core import ApiError, rand_id
from .wecom import EC, WeComCorp, WeComPlatform, api, bad

MAX_TAGS = 3000
MAX_NAME = 30


def _install(fn):
    setattr(WeComPlatform, fn.__name__, fn)
    return fn


def _name(value, what: str) -> str:
    if not isinstance(value, str) or not value or len(value) > MAX_NAME:
        raise bad(f"{what} must be 1..{MAX_NAME} characters")
    return value


def _order(value) -> int:
    if value is None:
        return 0
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**32:
        raise bad("order must be an integer in [0, 2^32)")
    return value


def _group_view(group: dict, tags: list[dict]) -> dict:
    return {"group_id": group["group_id"], "group_name": group["group_name"], "create_time": group["create_time"],
            "order": group["order"], "deleted": False, "tag": [dict(t) for t in tags]}


def _new_group(corp: WeComCorp, name: str, order: int, now: int) -> dict:
    gid = "et" + rand_id(20)
    corp.tag_groups[gid] = {"group_id": gid, "group_name": name, "create_time": now, "order": order,
                            "deleted": False, "tag": []}
    return corp.tag_groups[gid]


def _new_tag(corp: WeComCorp, group: dict, name: str, order: int, now: int) -> dict:
    rec = {"id": "et" + rand_id(20), "name": name, "create_time": now, "order": order, "deleted": False}
    group["tag"].append(rec)
    corp.tag_index[rec["id"]] = group["group_id"]
    return rec


@_install
@api("POST", EC + "get_corp_tag_list")
def get_corp_tag_list(self, corp, q, body):
    group_ids, tag_ids = body.get("group_id") or [], body.get("tag_id") or []
    out = []
    for g in corp.tag_groups.values():
        if group_ids and g["group_id"] not in group_ids:
            continue
        tags = g["tag"] if group_ids or not tag_ids else [t for t in g["tag"] if t["id"] in tag_ids]
        if tags:
            out.append(_group_view(g, tags))
    return {"tag_group": out}


@_install
@api("POST", EC + "add_corp_tag")
def add_corp_tag(self, corp, q, body):
    tags = body.get("tag")
    if not isinstance(tags, list) or not tags:
        raise bad("tag list must not be empty")
    for t in tags:
        if not isinstance(t, dict):
            raise bad("tag must be objects")
        _name(t.get("name"), "tag name")
        _order(t.get("order"))
    if len(corp.tag_index) + len(tags) > MAX_TAGS:
        raise ApiError(40126, f"corp tag count exceeds {MAX_TAGS}")
    group = corp.tag_groups.get(body.get("group_id") or "")
    if body.get("group_id") and group is None:
        raise ApiError(40068, "invalid tag group id")
    if group is None:
        name = body.get("group_name")
        if not name:
            raise bad("group_id or group_name required")
        _name(name, "group_name")
        group = next((g for g in corp.tag_groups.values() if g["group_name"] == name), None) or \
            _new_group(corp, name, _order(body.get("order")), self.now)
    created = []
    for t in tags:  # a name given twice, or already in the group, is made once (the one there is answered)
        existing = next((x for x in group["tag"] if x["name"] == t["name"]), None)
        created.append(existing or _new_tag(corp, group, t["name"], _order(t.get("order")), self.now))
    view = _group_view(group, created)
    view.pop("deleted")
    return {"tag_group": view}


@_install
@api("POST", EC + "edit_corp_tag")
def edit_corp_tag(self, corp, q, body):
    item_id = body.get("id")
    if not item_id:
        raise bad("id is required")
    name, order = body.get("name"), body.get("order")
    if name is None and order is None:
        raise bad("name or order is required")
    if item_id in corp.tag_groups:
        group = corp.tag_groups[item_id]
        if name is not None:
            _name(name, "name")
            if any(g["group_name"] == name for g in corp.tag_groups.values() if g is not group):
                raise ApiError(40071, "invalid tag name, the tag group name already exists")
            group["group_name"] = name
        if order is not None:
            group["order"] = _order(order)
        return {}
    gid = corp.tag_index.get(item_id)
    if gid is None:
        raise ApiError(40068, f"invalid tagid {item_id}")
    group = corp.tag_groups[gid]
    tag = next(t for t in group["tag"] if t["id"] == item_id)
    if name is not None:
        _name(name, "name")
        if any(t["name"] == name for t in group["tag"] if t is not tag):
            raise ApiError(40071, "invalid tag name, the tag name already exists in its group")
        tag["name"] = name
    if order is not None:
        tag["order"] = _order(order)
    return {}


@_install
@api("POST", EC + "del_corp_tag")
def del_corp_tag(self, corp, q, body):
    tag_ids, group_ids = body.get("tag_id") or [], body.get("group_id") or []
    if not tag_ids and not group_ids:
        raise bad("tag_id and group_id cannot both be empty")
    for tid in tag_ids:
        if tid not in corp.tag_index:
            raise ApiError(40068, f"invalid tagid {tid}")
    for gid in group_ids:
        if gid not in corp.tag_groups:
            raise ApiError(40068, f"invalid tag group id {gid}")
    _remove(corp, tag_ids, group_ids)
    return {}


def _remove(corp: WeComCorp, tag_ids: list[str], group_ids: list[str]) -> None:
    """Tags and groups gone, a group left without tags too; customers no longer carry them."""
    for gid in group_ids:
        for t in corp.tag_groups.pop(gid, {"tag": []})["tag"]:
            corp.tag_index.pop(t["id"], None)
    for tid in tag_ids:
        gid = corp.tag_index.pop(tid, None)
        if gid in corp.tag_groups:
            group = corp.tag_groups[gid]
            group["tag"] = [t for t in group["tag"] if t["id"] != tid]
            if not group["tag"]:
                del corp.tag_groups[gid]
    for cust in corp.customers.values():
        for follow in cust["follow"].values():
            follow["tags"] = [t for t in follow["tags"] if t in corp.tag_index]


@_install
def _tag_event(self, corp: WeComCorp, spec: dict, extra: dict) -> dict:
    """change_external_tag, after the change is made as WeCom's console would make it."""
    change, kind = spec.get("change_type"), spec.get("tag_type", "tag")
    if change not in ("create", "update", "delete", "shuffle"):
        raise bad("change_type must be create, update, delete or shuffle")
    if kind not in ("tag", "tag_group"):
        raise bad("tag_type must be tag or tag_group")
    item_id = spec.get("id") or ""
    if change == "create":
        item_id = _console_create(self, corp, spec, kind)
    elif change == "update":
        edit_corp_tag(self, corp, {}, {"id": item_id, "name": spec.get("name"), "order": spec.get("order")})
    elif change == "delete":
        if item_id not in (corp.tag_groups if kind == "tag_group" else corp.tag_index):
            raise ApiError(40068, f"invalid id {item_id}")
        _remove(corp, [] if kind == "tag_group" else [item_id], [item_id] if kind == "tag_group" else [])
    fields = {**self._head(corp, "change_external_tag", change), "Id": item_id}
    if change != "shuffle":
        fields["TagType"] = kind
    extra["id"] = item_id
    return fields


def _console_create(self, corp: WeComCorp, spec: dict, kind: str) -> str:
    name = _name(spec.get("name"), "name")
    if kind == "tag_group":  # the console makes a group with its first tag
        group = _new_group(corp, name, _order(spec.get("order")), self.now)
        _new_tag(corp, group, _name(spec.get("tag_name", "新标签"), "tag_name"), 0, self.now)
        return group["group_id"]
    group = corp.tag_groups.get(spec.get("group_id") or "")
    if group is None:
        group = _new_group(corp, _name(spec.get("group_name", "默认分组"), "group_name"), 0, self.now)
    return _new_tag(corp, group, name, _order(spec.get("order")), self.now)["id"]
