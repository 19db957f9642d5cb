"""Menu drafts, publishing, versions, rollback, delete and conditional menus (admin use cases).

Publishing sends the draft's buttons in their wire form (scrm.domain.menus.wire) with menu/create and records
them as a new version in one conditional step with the current pointer. The menu already current (same digest)
is not sent again: publishing a draft twice is one menu/create. Two publishers racing both call menu/create (it
replaces the whole menu, so a repeat is harmless); the version write of one of them fails, and that one reads the
current menu again and sends its own again before writing, so WeChat always shows the current version. A
rollback republishes an earlier version's stored buttons exactly, as a new version (`rollback_of`).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from urllib.parse import urlsplit

from ... import bootstrap
from ...domain import menus as rules
from ...domain.instants import answer_time
from ...errors import Conflict, NotFound, ValidationError, WeChatError
from ...tenancy import Scope
from . import common
from .common import oa_account, store

MAX_DRAFTS = 100
MAX_CONDITIONALS = 100  # our bound on the list; WeChat's own limit answers 65305
MAX_CONDITIONAL_DOMAINS = 3  # 出于安全考虑，一个公众号的所有个性化菜单，最多只能设置为跳转到3个域名下的链接 (65316)
PUBLISH_ATTEMPTS = 3


def _now() -> datetime:
    return datetime.fromtimestamp(bootstrap.container().now(), UTC)


def _validated(model: str, body: dict) -> dict:
    from ...contracts import menus as contracts  # lazy: the event worker imports this package, not pydantic
    from ...contracts import parse

    return parse(getattr(contracts, model), body).model_dump(exclude_none=True)


def _draft_view(draft: dict) -> dict:
    return {**draft, "created_at": answer_time(draft.get("created_at")),
            "updated_at": answer_time(draft.get("updated_at"))}


def _version_view(version: dict) -> dict:
    return {**version, "published_at": answer_time(version.get("published_at"))}


# ---- drafts


def create_draft(scope: Scope, account_id: str, body: dict) -> dict:
    oa_account(account_id)
    draft = _validated("MenuBody", body)
    if len(store().list_drafts(scope, account_id)) >= MAX_DRAFTS:
        raise Conflict(f"an account holds at most {MAX_DRAFTS} menu drafts: delete one first")
    draft_id = uuid.uuid4().hex[:12]
    return _draft_view(store().create_draft(scope, account_id, draft_id, draft, _now()))


def replace_draft(scope: Scope, account_id: str, draft_id: str, body: dict) -> dict:
    draft = _validated("MenuBody", body)
    return _draft_view(store().replace_draft(scope, account_id, draft_id, draft, _now()))


def get_draft(scope: Scope, account_id: str, draft_id: str) -> dict:
    draft = store().get_draft(scope, account_id, draft_id)
    if draft is None:
        raise NotFound(f"no menu draft {draft_id!r} in account {account_id!r}")
    return _draft_view(draft)


def list_drafts(scope: Scope, account_id: str) -> dict:
    return {"items": [_draft_view(d) for d in store().list_drafts(scope, account_id)], "next_cursor": None}


def delete_draft(scope: Scope, account_id: str, draft_id: str) -> dict:
    if not store().delete_draft(scope, account_id, draft_id):
        raise NotFound(f"no menu draft {draft_id!r} in account {account_id!r}")
    return {"deleted": draft_id}


# ---- publishing


def publish(scope: Scope, account_id: str, draft_id: str) -> dict:
    """Publish a draft (menu/create), unless it is the current menu already."""
    draft = store().get_draft(scope, account_id, draft_id)
    if draft is None:
        raise NotFound(f"no menu draft {draft_id!r} in account {account_id!r}")
    return _publish(scope, account_id, rules.wire(draft["button"]), draft_id=draft_id, rollback_of=None)


def rollback(scope: Scope, account_id: str, version: int) -> dict:
    """Republish version `version`'s buttons exactly, as a new version."""
    old = store().get_version(scope, account_id, version)
    if old is None:
        raise NotFound(f"no published menu version {version} in account {account_id!r}")
    return _publish(scope, account_id, old["button"], draft_id=old.get("draft_id"), rollback_of=version)


def _publish(scope: Scope, account_id: str, buttons: list[dict], *, draft_id, rollback_of) -> dict:
    account = oa_account(account_id)
    digest = rules.digest(buttons)
    for _ in range(PUBLISH_ATTEMPTS):
        current = store().current(scope, account_id)
        if current and not current["deleted"] and current["digest"] == digest:
            shown = store().get_version(scope, account_id, current["version"]) or {}
            return {"version": current["version"], "unchanged": True, "digest": digest,
                    "published_at": answer_time(shown.get("published_at"))}
        common.gateway_of(account).create_menu(buttons)
        now = _now()
        version = {"button": buttons, "digest": digest, "draft_id": draft_id, "rollback_of": rollback_of}
        if store().add_version(scope, account_id, version, current["seq"] if current else 0, now):
            return {"version": (current["seq"] if current else 0) + 1, "unchanged": False, "digest": digest,
                    "published_at": answer_time(now)}
    raise Conflict("the menu was published by someone else meanwhile, several times: try again")


def get_version(scope: Scope, account_id: str, version: int) -> dict:
    found = store().get_version(scope, account_id, version)
    if found is None:
        raise NotFound(f"no published menu version {version} in account {account_id!r}")
    return _version_view(found)


def page_versions(scope: Scope, account_id: str, limit: int, start: dict | None):
    before = start.get("before") if start else None
    if before is not None and not isinstance(before, int):
        raise ValidationError("cursor is not one this listing returned", field="cursor")
    items, nxt = store().page_versions(scope, account_id, limit, before)
    return [_version_view(v) for v in items], ({"before": nxt} if nxt else None)


def current_menu(scope: Scope, account_id: str) -> dict:
    """Our current version, and what WeChat shows (get_current_selfmenu_info), and whether they agree."""
    account = oa_account(account_id)
    current = store().current(scope, account_id)
    published = None
    if current and not current["deleted"]:
        published = _version_view(store().get_version(scope, account_id, current["version"]) or {})
    wechat = common.gateway_of(account).current_menu()
    shown = rules.from_selfmenu(wechat.get("selfmenu_info") or {}) if wechat.get("is_menu_open", 1) else []
    expected = published["button"] if published else []
    return {"published": published, "wechat": {k: v for k, v in wechat.items() if k not in ("errcode", "errmsg")},
            "matches_published": rules.same_menu(shown, expected)}


def delete_menu(scope: Scope, account_id: str) -> dict:
    """menu/delete: the default menu and every conditional menu go; versions stay (roll back to one)."""
    account = oa_account(account_id)
    common.gateway_of(account).delete_menu()
    store().mark_deleted(scope, account_id, _now())
    return {"deleted": "menu"}


# ---- conditional menus


def _hosts(buttons: list[dict]) -> set[str]:
    hosts = set()
    for b in buttons:
        for one in (b.get("sub_button") or [b]):
            if one.get("type") in ("view", "miniprogram") and one.get("url"):
                hosts.add(urlsplit(one["url"]).hostname or "")
    return hosts


def add_conditional(scope: Scope, account_id: str, body: dict) -> dict:
    account = oa_account(account_id)
    menu = _validated("ConditionalMenuBody", body)
    current = store().current(scope, account_id)
    if not current or current["deleted"]:
        raise Conflict("publish a default menu first: WeChat refuses a conditional menu without one (65303)")
    existing = store().list_conditionals(scope, account_id)
    if len(existing) >= MAX_CONDITIONALS:
        raise Conflict(f"an account holds at most {MAX_CONDITIONALS} conditional menus here: delete one first")
    buttons = rules.wire(menu["button"])
    hosts = _hosts(buttons).union(*(_hosts(c["button"]) for c in existing))
    if len(hosts) > MAX_CONDITIONAL_DOMAINS:
        raise ValidationError(f"conditional menus may link to at most {MAX_CONDITIONAL_DOMAINS} domains "
                              f"altogether (WeChat 65316); these would use {len(hosts)}: {', '.join(sorted(hosts))}",
                              field="button")
    menuid = common.gateway_of(account).add_conditional_menu(buttons, menu["matchrule"])
    stored = store().put_conditional(scope, account_id, {"menuid": menuid, "name": menu.get("name"),
                                                         "button": buttons, "matchrule": menu["matchrule"]}, _now())
    return {**stored, "created_at": answer_time(stored["created_at"])}


def list_conditionals(scope: Scope, account_id: str) -> dict:
    items = [{**c, "created_at": answer_time(c["created_at"])} for c in store().list_conditionals(scope, account_id)]
    return {"items": items, "next_cursor": None}


def delete_conditional(scope: Scope, account_id: str, menuid: str) -> dict:
    account = oa_account(account_id)
    try:
        common.gateway_of(account).delete_conditional_menu(menuid)
    except WeChatError as exc:
        if exc.errcode != 65301:  # WeChat has no such conditional menu: forget ours too
            raise
        if not store().delete_conditional(scope, account_id, menuid):
            raise NotFound(f"no conditional menu {menuid!r} in account {account_id!r}") from None
        return {"deleted": menuid}
    store().delete_conditional(scope, account_id, menuid)
    return {"deleted": menuid}


def try_match(scope: Scope, account_id: str, user_id: str) -> dict:
    """The menu a follower sees (menu/trymatch)."""
    scope.check(account_id)
    account = oa_account(account_id)
    try:
        data = common.gateway_of(account).try_match_menu(user_id)
    except WeChatError as exc:
        if exc.errcode in (65302, 40003):
            raise NotFound(f"WeChat knows no follower {user_id!r} of this account ({exc.errcode})") from None
        raise
    return {"button": data.get("button") or []}
