"""`change_external_tag` callbacks: the catalogue kept in step with changes made in WeCom (its admin console, other
apps). The event names an id and what changed, not the new state, so the handler reads it from WeCom.

企业客户标签事件 (https://developer.work.weixin.qq.com/document/path/92130): ChangeType create / update (Id of a tag or
a group, TagType tag | tag_group), delete (a deleted group's tags send no events of their own), shuffle (Id: the
group whose tags were reordered; empty: the groups themselves were); StrategyId marks a rule-group tag (规则组),
which get_corp_tag_list does not list. Each event is applied once per (account, dedupe key) by the event worker
(scrm.services.events.apply_event, as change_external_contact events are); applying one twice would do no harm
either: every write puts what WeCom answers now.
"""

from __future__ import annotations

from ...tenancy import Scope
from . import common


def on_tag_change(payload: dict) -> dict:
    ev = payload.get("event") or {}
    account_id = payload["account_id"]
    scope = Scope.system(account_id)
    change = (ev.get("ChangeType") or "").lower()
    item_id = ev.get("Id") or ""
    kind = (ev.get("TagType") or "").lower()
    if ev.get("StrategyId"):
        return {"ignored": "a rule-group (strategy) tag: not part of the corp tag catalogue"}
    if change == "delete":
        if not item_id:
            return {"ignored": "delete without Id"}
        groups = [item_id] if kind == "tag_group" else []
        removed = common.store().remove(scope, account_id, tag_ids=[] if groups else [item_id], group_ids=groups)
        return {"removed": sorted(removed)}
    gw = common.gateway_of(common.account_of(account_id))
    if change == "shuffle" and not item_id:
        return {"synced": common.sync(scope, account_id, gw)}
    if change not in ("create", "update", "shuffle") or not item_id:
        return {"ignored": f"ChangeType {change!r}"}
    if kind == "tag_group" or change == "shuffle":
        groups = common.live(gw.corp_tags(group_ids=[item_id]))
        if not groups:  # gone again before we asked
            return {"removed": sorted(common.store().remove(scope, account_id, group_ids=[item_id]))}
        for g in groups:
            common.store().put_group(scope, account_id, g)
        return {"group": item_id, "tags": sum(len(g["tags"]) for g in groups)}
    groups = [g for g in common.live(gw.corp_tags(tag_ids=[item_id])) if any(
        t["tag_id"] == item_id for t in g["tags"])]
    if not groups:
        return {"removed": sorted(common.store().remove(scope, account_id, tag_ids=[item_id]))}
    for g in groups:
        common.store().put_group(scope, account_id, g, complete=False)
    return {"tag": item_id}
