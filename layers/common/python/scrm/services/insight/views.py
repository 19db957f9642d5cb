"""Reading an OA's statistics (admin API): one row per China day over a date range, built from the datacube rows
stored per API, as JSON or as CSV (the channel statistics' CSV conventions: a UTF-8 BOM, English header names,
formula-safe cells). A figure is null when its API's day is not stored (not pulled yet, or refused): never a 0
that WeChat did not say."""

from __future__ import annotations

from ... import bootstrap
from ...domain.insight import APIS, days_between
from ...domain.instants import answer_times
from ...domain.spreadsheets import csv_document
from ...tenancy import Scope
from ..channels.stats import day_range

CSV_COLUMNS = ("day", "new_user", "cancel_user", "net_user", "cumulate_user", "read_user", "share_user",
               "msg_count", "callback_count", "fail_count", "total_time_cost", "max_time_cost")
INTERFACE = ("callback_count", "fail_count", "total_time_cost", "max_time_cost")


def _n(value) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def _followers(summary: list[dict] | None, cumulate: list[dict] | None) -> dict:
    out: dict = {"new_user": None, "cancel_user": None, "net_user": None, "cumulate_user": None, "by_source": None}
    if summary is not None:
        by_source: dict[int, dict] = {}
        for r in summary:
            s = by_source.setdefault(_n(r.get("user_source")), {"user_source": _n(r.get("user_source")),
                                                                 "new_user": 0, "cancel_user": 0})
            s["new_user"] += _n(r.get("new_user"))
            s["cancel_user"] += _n(r.get("cancel_user"))
        out["by_source"] = [by_source[k] for k in sorted(by_source)]
        out["new_user"] = sum(s["new_user"] for s in out["by_source"])
        out["cancel_user"] = sum(s["cancel_user"] for s in out["by_source"])
        out["net_user"] = out["new_user"] - out["cancel_user"]
    if cumulate is not None:
        # no row for a pulled day: WeChat gave no total, and none is made up
        out["cumulate_user"] = max((_n(r.get("cumulate_user")) for r in cumulate), default=None)
    return out


def _articles(reads: list[dict] | None, shares: list[dict] | None) -> dict:
    if reads is None and shares is None:
        return {"read_user": None, "share_user": None, "articles": None}
    articles: dict[str, dict] = {}
    for kind, rows in (("read_user", reads), ("share_user", shares)):
        for r in rows or []:
            a = articles.setdefault(str(r.get("msgid")), {  # 0 where the API's day is pulled, null where not
                "msgid": str(r.get("msgid")), "read_user": None if reads is None else 0,
                "share_user": None if shares is None else 0})
            a[kind] = _n(a[kind]) + _n((r.get("detail") or {}).get(kind))
    items = [articles[k] for k in sorted(articles)]
    return {"read_user": None if reads is None else sum(_n(a["read_user"]) for a in items),
            "share_user": None if shares is None else sum(_n(a["share_user"]) for a in items),
            "articles": items}


def _messages(rows: list[dict] | None) -> dict:
    if rows is None:
        return {"msg_count": None, "by_msg_type": None}
    types = sorted(({"msg_type": _n(r.get("msg_type")), "msg_user": _n(r.get("msg_user")),
                     "msg_count": _n(r.get("msg_count"))} for r in rows), key=lambda t: t["msg_type"])
    return {"msg_count": sum(t["msg_count"] for t in types), "by_msg_type": types}


def _interface(rows: list[dict] | None) -> dict:
    if rows is None:
        return dict.fromkeys(INTERFACE)
    return {k: (max if k == "max_time_cost" else sum)(_n(r.get(k)) for r in rows) if rows else 0 for k in INTERFACE}


def day_rows(scope: Scope, account_id: str, first: str, last: str) -> list[dict]:
    store = bootstrap.insight_store()
    stored = {api: store.days(scope, account_id, api, first, last) for api in APIS}
    out = []
    for day in days_between(first, last):
        got = {api: stored[api].get(day) for api in APIS}
        out.append({"day": day, **_followers(got["getusersummary"], got["getusercumulate"]),
                    **_articles(got["getarticleread"], got["getarticleshare"]),
                    **_messages(got["getupstreammsg"]), **_interface(got["getinterfacesummary"])})
    return out


def figures(scope: Scope, account_id: str, query: dict, now: float) -> dict:
    """{"from", "to", "days": [one row per day], "refusals": [each API's last refusal]} for ?from=&to= (China days,
    default the last 30)."""
    scope.check(account_id)
    first, last = day_range(query, now)
    refusals = [{"api": api, **e} for api, e in bootstrap.insight_store().errors(scope, account_id).items()]
    return {"from": first, "to": last, "days": day_rows(scope, account_id, first, last),
            "refusals": answer_times([{k: r.get(k) for k in ("api", "errcode", "errmsg", "begin_date", "end_date",
                                                             "at")} for r in refusals])}


def figures_csv(scope: Scope, account_id: str, query: dict, now: float) -> str:
    return csv_document(CSV_COLUMNS, figures(scope, account_id, query, now)["days"])
