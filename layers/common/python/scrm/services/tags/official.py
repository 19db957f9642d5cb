"""An Official Account's user tags (用户标签): list, create, rename, delete (refused while referred to, unless
forced) and sync, through WeChat's tag API (用户标签管理,
https://developers.weixin.qq.com/doc/offiaccount/User_Management/User_Tag_Management.html).

WeChat's tags have no groups, so the tag store keeps an OA's catalogue as one group (`OA_GROUP`); the ids are
WeChat's integers kept as strings, as segments and journeys name them. Keeping the catalogue is what lets a
segment, push or journey that names a tag deleted since show it as deleted. As for corp tags, WeChat is the
source of truth: every change goes there first and the store keeps what it answered."""

from __future__ import annotations

from ...domain.instants import answer_time
from ...errors import AmbiguousOutcome, Conflict, NotFound, ValidationError, WeChatError
from ...tenancy import Scope
from . import common, references
from .admin import TagInUse

OA_GROUP = "oa"  # the one group an OA's catalogue is kept in
RESERVED = "系统保留标签（0/1/2）不能修改或删除 / WeChat's reserved tags cannot be renamed or deleted"
SYSTEM_TAGS = (0, 1, 2)  # WeChat's reserved tags (星标组 …): never renamed or deleted (45058)
NAME_TAKEN, NAME_TOO_LONG, TOO_MANY = 45157, 45158, 45056
SYSTEM_TAG, TOO_MANY_FOLLOWERS, NO_SUCH_TAG = 45058, 45057, 45159


def oa_account(account_id: str):
    account = common.account_of(account_id)
    if account.kind != "oa":
        raise ValidationError("用户标签属于公众号；企业微信请用 /tags / user tags belong to an Official Account; a "
                              "WeCom corp's tags are under /tags", field="account_id")
    return account


def _gateway(account_id: str):
    return common.gateway_of(oa_account(account_id))


def as_group(wechat_tags: list[dict]) -> list[dict]:
    """tags/get's answer as the store's catalogue: one group holding every tag (none when there are no tags)."""
    return [_group([_tag(t["id"], t.get("name") or "") for t in wechat_tags])] if wechat_tags else []


def _tag(tag_id, name: str) -> dict:
    return {"tag_id": str(tag_id), "name": name, "order": 0, "create_time": None, "group_id": OA_GROUP}


def _group(tags: list[dict]) -> dict:
    return {"group_id": OA_GROUP, "name": "公众号标签", "order": 0, "create_time": None, "tags": tags}


def sync_catalogue(scope: Scope, account_id: str, gw) -> dict:
    """Make the store hold exactly the OA's tags (one tags/get)."""
    return common.store().replace_catalogue(scope, account_id, as_group(gw.follower_tags()), common.now())


def _catalogue(scope: Scope, account_id: str, gw) -> list[dict]:
    if common.store().synced_at(scope, account_id) is None:
        sync_catalogue(scope, account_id, gw)
    return [t for g in common.store().catalogue(scope, account_id) for t in g["tags"]]


def view(tag: dict) -> dict:
    return {"tag_id": tag["tag_id"], "name": tag["name"], "system": int(tag["tag_id"]) in SYSTEM_TAGS}


def list_page(scope: Scope, account_id: str, *, limit: int = 50, start: dict | None = None
              ) -> tuple[list[dict], dict | None]:
    """The OA's tags by id (read from WeChat the first time), paged."""
    scope.check(account_id)
    rows = sorted((view(t) for t in _catalogue(scope, account_id, _gateway(account_id))),
                  key=lambda t: int(t["tag_id"]))
    at = int((start or {}).get("i", 0))
    return rows[at:at + limit], ({"i": at + limit} if at + limit < len(rows) else None)


def sync(scope: Scope, account_id: str) -> dict:
    scope.check(account_id)
    counts = sync_catalogue(scope, account_id, _gateway(account_id))
    return {**counts, "synced_at": answer_time(common.now())}


def _refused(exc: WeChatError) -> Exception:
    known = {NAME_TAKEN: (Conflict, "name: 标签名已存在或不合法 / the name is taken or invalid"),
             NAME_TOO_LONG: (ValidationError, "name: 标签名超过 30 个字节 / longer than WeChat's 30 bytes"),
             TOO_MANY: (Conflict, "公众号最多 100 个标签 / an Official Account holds at most 100 tags"),
             SYSTEM_TAG: (ValidationError, RESERVED),
             TOO_MANY_FOLLOWERS: (Conflict, "该标签下粉丝超过 10 万，请先取消部分粉丝的标签 / over 100,000 "
                                            "followers carry it: untag some first"),
             NO_SUCH_TAG: (NotFound, "微信没有这个标签 / WeChat knows no such tag")}
    if exc.errcode not in known:
        return exc
    cls, message = known[exc.errcode]
    full = f"{message} ({exc.errcode} {exc.errmsg})"
    return cls(full, field="name") if cls is ValidationError else cls(full)


def create(scope: Scope, account_id: str, name: str) -> dict:
    """tags/create, then the tag as WeChat answered it. A name taken by a tag that was not there before the call
    (an answer lost, the call sent again) is that tag: it is answered, not made twice."""
    scope.check(account_id)
    gw = _gateway(account_id)
    before = {t["name"] for t in _catalogue(scope, account_id, gw)}
    try:
        made = gw.create_follower_tag(name)
    except (AmbiguousOutcome, WeChatError) as exc:
        if isinstance(exc, WeChatError) and exc.errcode != NAME_TAKEN:
            raise _refused(exc) from None
        sync_catalogue(scope, account_id, gw)
        found = next((t for t in _catalogue(scope, account_id, gw) if t["name"] == name), None)
        if found is None or name in before:
            raise (exc if isinstance(exc, AmbiguousOutcome) else _refused(exc)) from None
        return view(found)
    tag = _tag(made["id"], made.get("name") or name)
    if not common.store().catalogue(scope, account_id):
        common.store().put_group(scope, account_id, _group([tag]), complete=False)
    else:
        common.store().put_tag(scope, account_id, tag)
    return view(tag)


def _known(scope: Scope, account_id: str, gw, tag_id: str) -> dict:
    if not tag_id.isdigit():
        raise NotFound(f"公众号标签 id 是数字 / an OA tag id is a number, not {tag_id!r}")
    hit = next((t for t in _catalogue(scope, account_id, gw) if t["tag_id"] == tag_id), None)
    if hit is None:
        raise NotFound(f"no user tag {tag_id} in the account's catalogue (sync it if it was made just now)")
    return hit


def rename(scope: Scope, account_id: str, tag_id: str, name: str) -> dict:
    scope.check(account_id)
    gw = _gateway(account_id)
    tag = _known(scope, account_id, gw, tag_id)
    if int(tag_id) in SYSTEM_TAGS:
        raise ValidationError(RESERVED, field="tag_id")
    try:
        gw.rename_follower_tag(int(tag_id), name)
    except WeChatError as exc:
        raise _refused(exc) from None
    renamed = {**tag, "name": name, "group_id": OA_GROUP}
    common.store().put_tag(scope, account_id, renamed)
    return view(renamed)


def delete(scope: Scope, account_id: str, tag_id: str, *, force: bool = False) -> dict:
    """tags/delete and out of the catalogue. While a channel, push, segment or journey refers to it, refused (409
    with the references) unless `force`: then they show it as deleted."""
    scope.check(account_id)
    gw = _gateway(account_id)
    _known(scope, account_id, gw, tag_id)
    if int(tag_id) in SYSTEM_TAGS:
        raise ValidationError(RESERVED, field="tag_id")
    refs = references.references(scope, account_id, [tag_id])
    if refs and not force:
        raise TagInUse(f"{len(refs)} 处渠道、推送、分群或旅程仍引用标签 {tag_id}，请先修改它们，或以 force=true 删除 / "
                       f"{len(refs)} channel(s), push(es), segment(s) or journey(s) refer to tag {tag_id}; change "
                       "them first or delete with force=true", refs)
    try:
        gw.delete_follower_tag(int(tag_id))
    except WeChatError as exc:
        if exc.errcode != NO_SUCH_TAG:  # already gone at WeChat: the catalogue follows
            raise _refused(exc) from None
    removed = common.store().remove(scope, account_id, tag_ids=[tag_id])
    return {"deleted": tag_id, "tag_ids": sorted(removed), "references": refs}
