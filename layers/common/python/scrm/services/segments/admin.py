"""Rule segments: preview (size and sample before saving), create, get (with its size), list, delete, CSV export,
the account's RFM bands, and the people a segment holds for a push.

Evaluating a rule: `rules.plan` names the index ranges whose union holds every match (or `all`: every contact,
when no condition can be answered from an index); those entries are read, their people's facts fetched 100 at a
time and tested against the whole rule. Only people with an identity on this account count (a shared contact
book also holds the other accounts' people). Items read = index entries + facts records read: it grows with the
people the index finds, not with every contact (bench/segments.py).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator

from ... import accounts, bootstrap, errors
from ...contracts import parse
from ...contracts.segments import MAX_DEPTH, PreviewBody, RfmSettings, SegmentRuleBody, depth_and_size, rule_dict
from ...domain import segments as rules
from ...domain.instants import answer_time
from ...domain.spreadsheets import csv_document
from ...tenancy import Scope

FETCH = 100
VIP = {"segment_id": rules.VIP_ID, "name": "VIP (R≥4 F≥4 M≥4)", "rule": rules.VIP_RULE, "builtin": True,
       "created_at": None}
CSV_COLUMNS = ["key", "identities", "tags", "channels", "first_touch", "last_interaction", "messages",
               "menu_clicks", "draws", "wins", "redemptions", "push_deliveries", "r", "f", "m"]


def _store():
    return bootstrap.segment_store()


def _now() -> float:
    return bootstrap.container().now()


def bands(scope: Scope, account_id: str) -> rules.RfmBands:
    return rules.RfmBands.of(_store().get_rfm(scope, account_id))


def _checked_rule(body: dict, model) -> tuple[object, dict]:
    parsed = parse(model, body)
    rule = rule_dict(parsed.rule)
    depth, size = depth_and_size(rule)
    if depth > MAX_DEPTH:
        raise errors.ValidationError(f"rule: groups nest at most {MAX_DEPTH} deep", field="rule")
    if size > 50:
        raise errors.ValidationError("rule: at most 50 conditions in all", field="rule")
    return parsed, rule


# ---------------------------------------------------------------- evaluation


def members(scope: Scope, account_id: str, rule: dict, now: float | None = None) -> tuple[Iterator[dict], dict]:
    """The facts of every person the rule holds (with an identity on this account), lazily; and a dict that holds
    `items_read` and `plan` once the iterator is spent."""
    scope.check(account_id)
    now = _now() if now is None else now
    store = _store()
    b = bands(scope, account_id)
    book = bootstrap.contact_store().open_book(scope, account_id).partition
    chosen = rules.plan(rule, now, b)
    info = {"plan": chosen.describe(), "items_read": 0}

    def run() -> Iterator[dict]:
        start, seen, batch = store.items_read, set(), []

        def flush():
            found = store.facts(scope, account_id, book, batch)
            batch.clear()
            return [f for f in found.values()
                    if rules.identities_on(f, account_id) and rules.matches(f, rule, now, b)]

        for rng in chosen.ranges:
            for key in store.read_index(scope, account_id, book, rng):
                if key in seen:
                    continue
                seen.add(key)
                batch.append(key)
                if len(batch) >= FETCH:
                    yield from flush()
        if batch:
            yield from flush()
        info["items_read"] = store.items_read - start

    return run(), info


def _person(facts: dict, account_id: str, now: float, b: rules.RfmBands) -> dict:
    return {"key": facts["key"], "identities": rules.identities_on(facts, account_id),
            "rfm": rules.rfm_scores(facts, now, b)}


def flags(scope: Scope, account_id: str, rule: dict) -> list[dict]:
    """Conditions naming a tag or channel that is gone (deleted from the tag catalogue, or a channel deleted or
    archived): they hold nobody (everybody, for `lacks`), which is rarely what was meant."""
    return flags_of_many(scope, account_id, [rule])[0]


def flags_of_many(scope: Scope, account_id: str, rule_list: list[dict]) -> list[list[dict]]:
    """`flags` of each rule, for a page of segments: the tag catalogue read once and each channel named read once,
    however many segments name it."""
    conds = [list(rules.conditions(rule)) for rule in rule_list]
    named = [c for each in conds for _, c in each]
    tag_ids = sorted({c["value"] for c in named if c["field"] == "tag" and isinstance(c["value"], str)})
    gone_tags: set = set()
    if tag_ids:  # a corp's tags, or an OA's user tags once its catalogue is kept (services/tags/official.py)
        from .. import tags

        gone_tags = set(tags.deleted_ids(Scope.system(account_id), account_id, tag_ids))
    channels = bootstrap.channel_store()
    found = {str(v): channels.get_channel(Scope.system(account_id), account_id, str(v), consistent=False)
             for v in {str(c["value"]) for c in named if c["field"] == "channel"}}
    return [[flag for path, c in each if (flag := _flag(path, c, gone_tags, found))] for each in conds]


def _flag(path: str, cond: dict, gone_tags: set, channels: dict) -> dict | None:
    if cond["field"] == "tag" and cond["value"] in gone_tags:
        return {"field": path, "problem": "tag_deleted", "value": cond["value"]}
    if cond["field"] != "channel":
        return None
    channel = channels[str(cond["value"])]
    if channel is None:
        return {"field": path, "problem": "channel_deleted", "value": cond["value"]}
    if channel.get("status") == "archived":
        return {"field": path, "problem": "channel_archived", "value": cond["value"]}
    return None


def preview(scope: Scope, account_id: str, body: dict) -> dict:
    """How many people a rule holds now, a sample of them, the items read, the index used and the flags."""
    scope.check(account_id)
    accounts.get(account_id, allow_disabled=True)
    parsed, rule = _checked_rule(body, PreviewBody)
    now = _now()
    b = bands(scope, account_id)
    found, info = members(scope, account_id, rule, now)
    count, sample = 0, []
    for facts in found:
        count += 1
        if len(sample) < parsed.sample:
            sample.append(_person(facts, account_id, now, b))
    return {"count": count, "sample": sample, "items_read": info["items_read"], "plan": info["plan"],
            "flags": flags(scope, account_id, rule)}


# ---------------------------------------------------------------- saved segments


def _view(segment: dict, flagged: list[dict] | None = None) -> dict:
    return {"segment_id": segment["segment_id"], "name": segment["name"], "rule": segment["rule"],
            "builtin": bool(segment.get("builtin")), "created_at": answer_time(segment.get("created_at")),
            "flags": flagged or []}


def create(scope: Scope, account_id: str, body: dict) -> dict:
    scope.check(account_id)
    accounts.get(account_id, allow_disabled=True)
    parsed, rule = _checked_rule(body, SegmentRuleBody)
    segment = {"segment_id": "r" + secrets.token_hex(6), "name": parsed.name, "rule": rule,
               "created_at": int(_now())}
    _store().put_segment(scope, account_id, segment)
    return _view(segment, flags(scope, account_id, rule))


def load(scope: Scope, account_id: str, segment_id: str) -> dict:
    scope.check(account_id)
    if segment_id == rules.VIP_ID:
        return dict(VIP)
    found = _store().get_segment(scope, account_id, segment_id)
    if found is None:
        raise errors.NotFound(f"no segment {segment_id!r}")
    return found


def is_rule_segment(segment_id: str) -> bool:
    return segment_id == rules.VIP_ID or (segment_id.startswith("r") and len(segment_id) == 13)


def get(scope: Scope, account_id: str, segment_id: str) -> dict:
    """The segment with its size now and its flags."""
    segment = load(scope, account_id, segment_id)
    found, info = members(scope, account_id, segment["rule"])
    size = sum(1 for _ in found)
    return {**_view(segment, flags(scope, account_id, segment["rule"])), "size": size,
            "items_read": info["items_read"]}


def page(scope: Scope, account_id: str, limit: int = 50, after: str | None = None) -> tuple[list[dict], str | None]:
    """The built-in VIP segment first (on the first page), then the saved ones in id order."""
    scope.check(account_id)
    rows, last = _store().page_segments(scope, account_id, limit, after)
    flagged = flags_of_many(scope, account_id, [s["rule"] for s in rows])
    views = [_view(s, f) for s, f in zip(rows, flagged, strict=True)]
    return ([_view(VIP)] + views if after is None else views), last


def delete(scope: Scope, account_id: str, segment_id: str) -> dict:
    scope.check(account_id)
    if segment_id == rules.VIP_ID:
        raise errors.ValidationError("the VIP segment is built in: change the RFM bands instead", field="segment_id")
    if not _store().delete_segment(scope, account_id, segment_id):
        raise errors.NotFound(f"no segment {segment_id!r}")
    return {"segment_id": segment_id, "deleted": True}


def export_csv(scope: Scope, account_id: str, segment_id: str) -> str:
    """Everyone the segment holds, one row each (UTF-8 with a BOM): this account's identities, facts, RFM."""
    segment = load(scope, account_id, segment_id)
    now = _now()
    b = bands(scope, account_id)
    found, _info = members(scope, account_id, segment["rule"], now)

    def row(f: dict) -> dict:
        counts, scores = f.get("counts") or {}, rules.rfm_scores(f, now, b)
        return {"key": f["key"], "identities": ";".join(rules.identities_on(f, account_id)),
                "tags": ";".join(f.get("tags") or []), "channels": ";".join(f.get("channels") or []),
                "first_touch": answer_time(f.get("first_touch")),
                "last_interaction": answer_time(f.get("last_interaction")),
                **{k: int(counts.get(k, 0)) for k in rules.COUNTS}, **scores}

    return csv_document(CSV_COLUMNS, (row(f) for f in found))


def recipients(scope: Scope, account_id: str, segment_id: str, left_out) -> list[str]:
    """The openids / external_userids of this account the segment holds now (a push's audience): people who
    unfollowed, or are no longer a customer, are left out and counted (`unfollowed`)."""
    segment = load(scope, account_id, segment_id)
    found, _info = members(scope, account_id, segment["rule"])
    out: dict[str, None] = {}
    for f in found:
        live = rules.identities_on(f, account_id, reachable=True)
        if not live:
            left_out["unfollowed"] += 1
        out.update(dict.fromkeys(live))
    return list(out)


# ---------------------------------------------------------------- RFM bands


def get_rfm(scope: Scope, account_id: str) -> dict:
    scope.check(account_id)
    return bands(scope, account_id).to_dict()


def put_rfm(scope: Scope, account_id: str, body: dict) -> dict:
    scope.check(account_id)
    accounts.get(account_id, allow_disabled=True)
    parsed = parse(RfmSettings, body)
    b = rules.RfmBands(recency_days=tuple(parsed.recency_days), frequency=tuple(parsed.frequency),
                       value=tuple(parsed.value), window_days=parsed.window_days,
                       weights=tuple(sorted({"wins": 0, "redemptions": 0, "draws": 0, **parsed.weights}.items())))
    _store().put_rfm(scope, account_id, b.to_dict())
    return b.to_dict()
