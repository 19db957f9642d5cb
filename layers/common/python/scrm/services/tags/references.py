"""Channels, push audiences, rule segments and journeys refer to tags by id (a corp's tags, or an OA's user tags:
see official.py): the ids are checked against the
catalogue when they are saved (an unknown id is a 400 naming its place, `tags[1]`), shown with their names
(`tag_names`), and listed when a tag is to be deleted (who still refers to it). A tag deleted while referred to
shows as deleted."""

from __future__ import annotations

from collections.abc import Callable

from ... import bootstrap
from ...domain import segments as rules
from ...errors import ValidationError
from ...tenancy import Scope
from . import common

ACTIVE_PUSHES = ("draft", "scheduled", "running")
MAX_PUSHES_CHECKED = 2000  # the newest pushes of an account looked at for references (finished ones never send)


def check_ids(scope: Scope, account, ids: list, field: str, gateway: Callable[[], object]) -> None:
    """Every id must be a tag of the corp's catalogue (synced from WeCom if it never was). A 400 names each
    unknown id's place: `<field>[i]`."""
    if account.kind != "wecom" or not ids:
        return
    known = common.index(common.catalogue(scope, account.account_id, gateway))
    problems = [{"field": f"{field}[{i}]", "message": f"no corp tag {t!r} in the account's tag catalogue "
                                                       "(sync the catalogue if it was made in WeCom just now)"}
                for i, t in enumerate(ids) if t not in known]
    if problems:
        raise ValidationError(problems[0]["message"], field=problems[0]["field"], details={"errors": problems})


def names(scope: Scope, account_id: str, ids: list, catalogue: list[dict] | None = None) -> list[dict]:
    """Each id with its name and group's name; a tag no longer in a synced catalogue is `deleted` (name None)."""
    if catalogue is None:
        catalogue = common.store().catalogue(scope, account_id)
    synced = bool(catalogue) or common.store().synced_at(scope, account_id) is not None
    known = common.index(catalogue)
    out = []
    for t in ids:
        hit = known.get(t)
        out.append({"tag_id": t, "name": hit["name"] if hit else None,
                    "group_name": hit["group_name"] if hit else None, "deleted": hit is None and synced})
    return out


def deleted_ids(scope: Scope, account_id: str, ids: list) -> list:
    """The ids a synced catalogue no longer holds (none when it was never synced: nothing is known)."""
    if common.store().synced_at(scope, account_id) is None:
        return []
    known = common.index(common.store().catalogue(scope, account_id))
    return [t for t in ids if str(t) not in known]


def references(scope: Scope, account_id: str, tag_ids: list[str]) -> list[dict]:
    """Active channels, pushes not finished, segments (tag lists and rules), journeys not ended and moments not yet
    created at WeCom that refer to any of these tags."""
    wanted = {str(t) for t in tag_ids}  # an OA's tag ids are integers in channels and pushes, text elsewhere
    out = []
    for c in bootstrap.channel_store().all_channels(scope, account_id):
        hit = [str(t) for t in (c["definition"].get("tags") or []) if str(t) in wanted]
        if hit and c["status"] == "active":
            out.append({"kind": "channel", "id": c["channel_id"], "name": c["name"], "field": "tags",
                        "tag_ids": hit})
    pushes = bootstrap.push_store().scoped(scope)
    start, seen = None, 0
    while seen < MAX_PUSHES_CHECKED:
        items, start = pushes.page_pushes(account_id, 100, start)
        seen += len(items)
        for p in items:
            hit = _audience_hit(p.get("audience"), wanted)
            if hit and p["status"] in ACTIVE_PUSHES:
                out.append({"kind": "push", "id": p["push_id"], "name": p.get("name") or "",
                            "field": "audience.tag_ids", "tag_ids": hit})
        if not start:
            break
    for s in pushes.list_segments(account_id):
        hit = _audience_hit(s.get("audience"), wanted)
        if hit:
            out.append({"kind": "segment", "id": s["segment_id"], "name": s.get("name") or "",
                        "field": "audience.tag_ids", "tag_ids": hit})
    return out + _rule_segments(scope, account_id, wanted) + _journeys(scope, account_id, wanted) + \
        _moments(scope, account_id, wanted)


def _rule_segments(scope: Scope, account_id: str, wanted: set[str]) -> list[dict]:
    """Rule segments with a tag condition on one of the tags, each condition by its path (`rule.all[1].value`)."""
    out, after = [], None
    while True:
        rows, after = bootstrap.segment_store().page_segments(scope, account_id, 100, after)
        for s in rows:
            for path, c in rules.conditions(s.get("rule") or {}):
                if c.get("field") == "tag" and str(c.get("value")) in wanted:
                    out.append({"kind": "segment_rule", "id": s["segment_id"], "name": s.get("name") or "",
                                "field": f"{path}.value", "tag_ids": [c["value"]]})
        if not after:
            return out


def _journeys(scope: Scope, account_id: str, wanted: set[str]) -> list[dict]:
    """Journeys not ended (active or paused) whose trigger, a tag step or the goal names one of the tags."""
    out = []
    for j in bootstrap.journey_store().scoped(scope).active_journeys(account_id):
        places = [("trigger.tag_id", (j.get("trigger") or {}).get("tag_id")), ("goal_tag_id", j.get("goal_tag_id"))]
        places += [(f"steps[{i}].tag_id", s.get("tag_id")) for i, s in enumerate(j.get("steps") or [])]
        out += [{"kind": "journey", "id": j["journey_id"], "name": j.get("name") or "", "field": field,
                 "tag_ids": [str(t)]} for field, t in places if t is not None and str(t) in wanted]
    return out


def _moments(scope: Scope, account_id: str, wanted: set[str]) -> list[dict]:
    """Moments still to be created at WeCom whose visible range names one of the tags (once created, WeCom has
    resolved the range: deleting the tag changes nothing for them)."""
    moments, out = bootstrap.moment_store().scoped(scope), []
    start, seen = None, 0
    while seen < MAX_PUSHES_CHECKED:
        items, start = moments.page_moments(account_id, 100, start)
        seen += len(items)
        for m in items:
            hit = [t for t in (m.get("visible_range") or {}).get("tag_ids") or [] if t in wanted]
            if hit and m["status"] == "scheduled":
                out.append({"kind": "moment", "id": m["moment_id"], "name": m.get("name") or "",
                            "field": "visible_range.tag_ids", "tag_ids": hit})
        if not start:
            break
    return out


def _audience_hit(audience: dict | None, wanted: set) -> list:
    if not audience or audience.get("type") != "tags":
        return []
    return [str(t) for t in audience.get("tag_ids") or [] if str(t) in wanted]


def named_audience(scope: Scope, account_id: str, audience: dict) -> dict:
    """A WeCom push's or segment's audience with `tag_names` beside its tag ids."""
    if not isinstance(audience, dict) or audience.get("type") != "tags":
        return audience
    ids = [t for t in audience.get("tag_ids") or [] if isinstance(t, str)]
    if not ids:
        return audience
    return {**audience, "tag_names": names(scope, account_id, ids)}
