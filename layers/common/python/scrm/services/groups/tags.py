"""Customer group tags (客户群标签): the company's own catalogue of labels for its customer groups, a group's tags, and
the groups of a tag (a push to customer groups by tag: scrm.services.pushes.audience).

WeCom's server API keeps no tags on customer groups: the group chat APIs answer none (groupchat/list,
https://developer.work.weixin.qq.com/document/path/92120; groupchat/get, .../92122) and no callback carries them;
the corp tag APIs (get_corp_tag_list / mark_tag, .../92117 and .../92118) tag external contacts, not groups. So the
catalogue and the groups' tags live here, in the groups store, and nothing is sent to WeCom.

A deleted tag is kept, marked deleted: groups and pushes that refer to it show it deleted; an audience by tag skips
it and says so (`group_tag_deleted:<id>` in left_out); no group can be given it any more.
"""

from __future__ import annotations

import secrets

from ... import bootstrap
from ...contracts import parse
from ...contracts.groups import GroupTagBody, GroupTagsChange
from ...domain.instants import answer_time
from ...errors import Conflict, NotFound, ValidationError
from ...tenancy import Scope

MAX_TAGS = 1000  # a catalogue, not a dump: a push names at most 100 of them
MAX_ATTEMPTS = 5


def _store():
    return bootstrap.group_store()


def tag_view(tag: dict) -> dict:
    return {"tag_id": tag["tag_id"], "name": tag["name"], "deleted": tag.get("deleted_at") is not None,
            "created_at": answer_time(tag.get("created_at"))}


def catalogue(scope: Scope, account_id: str, store=None) -> dict[str, dict]:
    scope.check(account_id)
    return {t["tag_id"]: t for t in (store or _store()).group_tags(scope, account_id)}


def list_tags(scope: Scope, account_id: str) -> list[dict]:
    return [tag_view(t) for t in catalogue(scope, account_id).values()]


def create_tag(scope: Scope, account_id: str, body: dict, now: float) -> dict:
    name = parse(GroupTagBody, body).name.strip()
    tags = catalogue(scope, account_id)
    if any(t["name"] == name and t.get("deleted_at") is None for t in tags.values()):
        raise Conflict(f"a group tag named {name!r} exists")
    if sum(1 for t in tags.values() if t.get("deleted_at") is None) >= MAX_TAGS:
        raise ValidationError(f"an account keeps at most {MAX_TAGS} group tags", field="name")
    tag = {"tag_id": "gt" + secrets.token_hex(6), "name": name, "created_at": int(now)}
    if not _store().put_group_tag(scope, account_id, tag):
        raise Conflict("tag id taken; retry")
    return tag_view(tag)


def delete_tag(scope: Scope, account_id: str, tag_id: str, now: float) -> dict:
    tag = catalogue(scope, account_id).get(tag_id)
    if tag is None:
        raise NotFound(f"group tag {tag_id!r} not found in account {account_id}")
    _store().delete_group_tag(scope, account_id, tag_id, now)  # False: deleted already (answer the same)
    return {**tag_view(tag), "deleted": True}


def check_ids(scope: Scope, account_id: str, tag_ids: list[str], field: str, store=None) -> dict[str, dict]:
    """Each id names a live tag of the catalogue (400 at field[i] otherwise); the catalogue."""
    tags = catalogue(scope, account_id, store)
    for i, tag_id in enumerate(tag_ids):
        tag = tags.get(tag_id)
        if tag is None:
            raise ValidationError(f"{field}[{i}]: no group tag {tag_id!r}", field=f"{field}[{i}]")
        if tag.get("deleted_at") is not None:
            raise ValidationError(f"{field}[{i}]: group tag {tag_id!r} ({tag['name']}) was deleted",
                                  field=f"{field}[{i}]")
    return tags


def set_tags(scope: Scope, account_id: str, chat_id: str, body: dict) -> dict:
    """The group's tags, all of them; written over the group's version (as membership commits are)."""
    tag_ids = list(dict.fromkeys(parse(GroupTagsChange, body).tag_ids))
    tags = check_ids(scope, account_id, tag_ids, "tag_ids")
    for _attempt in range(MAX_ATTEMPTS):
        group = _store().get_groups(scope, account_id, [chat_id]).get(chat_id)
        if group is None:
            raise NotFound(f"group {chat_id!r} not found in account {account_id}")
        if group.get("status") == "dismissed":
            raise Conflict(f"group {chat_id!r} was dismissed")
        if _store().set_group_tags(scope, account_id, chat_id, tag_ids, group["version"]):
            return {"chat_id": chat_id, "tags": [tag_view(tags[t]) for t in sorted(tag_ids)]}
    raise Conflict(f"group {chat_id!r} kept changing; retry")


def groups_of(scope: Scope, account_id: str, tag_ids: list[str], store=None) -> tuple[dict[str, dict], list[str]]:
    """({chat_id: group} of the groups carrying any live tag of `tag_ids`, the ids deleted or unknown)."""
    store = store or _store()
    tags = catalogue(scope, account_id, store)
    live = [t for t in tag_ids if t in tags and tags[t].get("deleted_at") is None]
    gone = [t for t in tag_ids if t not in live]
    return (store.groups_with_tags(scope, account_id, live) if live else {}), gone
