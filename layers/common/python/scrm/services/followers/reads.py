"""Reading follower profiles: an account's breakdowns (from its counters, never a scan of its followers), as JSON
or CSV, one follower's profile, and the sync's progress."""

from __future__ import annotations

from ...domain import followers as rules
from ...domain.instants import answer_times
from ...domain.spreadsheets import csv_document
from ...errors import NotFound, ValidationError
from ...tenancy import Scope
from . import common

STATE_FIELDS = ("run", "phase", "step", "listed", "written", "unfollowed", "wechat_total", "calls")


def sync_status(scope: Scope, account_id: str) -> dict:
    scope.check(account_id)
    common.oa_account(account_id)
    state = common.store().follower_sync(account_id)
    if state is None:
        return {"account_id": account_id, "phase": "never", "notes": rules.NOTES}
    out = {"account_id": account_id, **{k: state.get(k) for k in STATE_FIELDS}}
    out.update(answer_times({"started_at": state.get("started_at"), "finished_at": state.get("finished_at")}))
    return out


def breakdown(scope: Scope, account_id: str) -> dict:
    """Current followers by language, subscribe scene, tag (named as of the last sync) and subscribe month (China
    time), with the notes on what WeChat no longer gives."""
    scope.check(account_id)
    common.oa_account(account_id)
    store = common.store()
    counts = store.follower_counts(account_id)
    state = store.follower_sync(account_id) or {}
    tags = state.get("tags") or {}
    b = rules.breakdown(counts)
    out = {
        "account_id": account_id,
        "total": b["total"],
        "by_language": [{"language": k, "count": n} for k, n in b["language"]],
        "by_subscribe_scene": [{"subscribe_scene": k, "count": n} for k, n in b["scene"]],
        "by_tag": [{"tag_id": int(k), "name": tags.get(k), "count": n} for k, n in b["tag"]],
        "by_subscribe_month": [{"month": k, "count": n} for k, n in b["month"]],
        "sync": {k: state.get(k) for k in ("run", "phase")} if state else None,
        "notes": rules.NOTES,
    }
    out.update(answer_times({"synced_at": state.get("finished_at")}))
    return out


CSV_COLUMNS = ("dimension", "value", "name", "count")


def breakdown_csv(scope: Scope, account_id: str) -> str:
    """The breakdowns as one CSV (UTF-8 with a BOM): a row per dimension value; the notes as the last rows."""
    b = breakdown(scope, account_id)
    rows = [{"dimension": "total", "count": b["total"]},
            *({"dimension": "language", "value": r["language"], "count": r["count"]} for r in b["by_language"]),
            *({"dimension": "subscribe_scene", "value": r["subscribe_scene"], "count": r["count"]}
              for r in b["by_subscribe_scene"]),
            *({"dimension": "tag", "value": r["tag_id"], "name": r["name"] or "", "count": r["count"]}
              for r in b["by_tag"]),
            *({"dimension": "subscribe_month", "value": r["month"], "count": r["count"]}
              for r in b["by_subscribe_month"]),
            *({"dimension": "note", "value": lang, "name": rules.NOTES[lang]} for lang in ("zh", "en"))]
    return csv_document(CSV_COLUMNS, rows)


def profile(scope: Scope, account_id: str, openid: str) -> dict:
    scope.check(account_id)
    common.oa_account(account_id)
    if not isinstance(openid, str) or not 1 <= len(openid) <= 64:
        raise ValidationError("openid: 1 to 64 characters", field="openid")
    found = common.store().follower_profiles(account_id, [openid]).get(openid)
    if found is None:
        raise NotFound(f"no follower profile of {openid[:64]!r} (not synced yet, or not a follower)")
    out = {"account_id": account_id, "openid": openid, "subscribe": bool(found.get("subscribe")),
           **{k: found.get(k) for k in ("language", "subscribe_scene", "tagid_list", "remark", "unionid")},
           "notes": rules.NOTES}
    out["tagid_list"] = list(out["tagid_list"] or [])
    out.update(answer_times({"subscribed_at": found.get("subscribe_time") or None,
                             "seen_at": found.get("as_of") or None}))
    return out
