"""The daily pull of an OA's statistics (datacube): per active OA account and per API of
scrm.domain.insight.MAX_SPAN, the days of the last BACKFILL_DAYS up to yesterday (China time) not stored yet, asked
in calls of at most the API's span (a longer range would be refused with 61501), each day stored whole.

Rules:
- back-fill: a first run asks the whole window (30 days: ceil(30 / span) calls per API); later runs only the days
  missing (normally yesterday);
- idempotent: a day is stored as WeChat's rows for it, overwriting; a stored day is not asked again, and a re-run
  that does ask (a day re-pulled) writes the same values, never adds to them;
- one API's refusal (48001 unauthorised API, 61501 date range error, ...) is recorded with its range and that API
  is skipped for PAUSE_DAYS, while the account's other APIs go on; WeChat down or busy (after the gateway's own
  retries) stops the API for this run only, and the next run makes the days up. Nothing is retried forever: the
  window slides, and a refused API waits a week.
"""

from __future__ import annotations

from ... import accounts, bootstrap
from ...domain.channels import day_of
from ...domain.insight import APIS, MAX_SPAN, PAUSE_DAYS, days_between, split_days, window
from ...errors import WeChatBusy, WeChatError, WeChatRateLimited, WeChatTokenInvalid, WeChatUnavailable
from ...observability import logger
from ...tenancy import Scope
from .. import seams

DAY_SECONDS = 86400


def gateway_of(account_id: str):
    """The account's OA gateway (the seam unit tests replace)."""
    return seams.gateway_of(accounts.get(account_id))


def _paused(error: dict | None, now: float) -> bool:
    return bool(error) and error.get("pause", True) and now - float(error.get("at") or 0) < PAUSE_DAYS * DAY_SECONDS


def plan(account_id: str, now: float, apis=APIS) -> dict[str, list[tuple[str, str]]]:
    """{api: [(begin_date, end_date)]}: the calls a run makes for the account (paused APIs and stored days left out)."""
    scope, store = Scope.system(account_id), bootstrap.insight_store()
    days = window(day_of(now))
    errors = store.errors(scope, account_id)
    out = {}
    for api in apis:
        if _paused(errors.get(api), now):
            continue
        stored = store.days(scope, account_id, api, days[0], days[-1])
        out[api] = split_days([d for d in days if d not in stored], MAX_SPAN[api])
    return out


def _store_range(store, scope, account_id: str, api: str, begin: str, end: str, rows: list[dict], now: float) -> int:
    """Store every day of [begin, end]: WeChat's rows by ref_date, and an empty day as pulled with no rows."""
    by_day: dict[str, list[dict]] = {d: [] for d in days_between(begin, end)}
    for row in rows:
        if row.get("ref_date") in by_day:
            by_day[row["ref_date"]].append(row)
    for day, day_rows in by_day.items():
        store.put_day(scope, account_id, api, day, day_rows, now)
    return len(by_day)


TRANSIENT = (WeChatUnavailable, WeChatBusy, WeChatRateLimited, WeChatTokenInvalid)


def _pull_api(gateway, store, scope, account_id: str, api: str, calls, now: float, out: dict) -> None:
    out["calls"][api], out["days"][api] = 0, 0
    for begin, end in calls:
        out["calls"][api] += 1
        try:
            rows = gateway.datacube(api, begin, end)
        except TRANSIENT as exc:  # down or busy after the gateway's retries: the next run makes the days up
            out["failed"].append(api)
            store.put_error(scope, account_id, api, {"errcode": getattr(exc, "errcode", None), "errmsg": str(exc),
                                                     "begin_date": begin, "end_date": end, "pause": False}, now)
            return
        except WeChatError as exc:  # refused (48001, 61501, ...): recorded, this API waits PAUSE_DAYS
            out["refused"][api] = exc.errcode
            store.put_error(scope, account_id, api, {"errcode": exc.errcode, "errmsg": exc.errmsg,
                                                     "begin_date": begin, "end_date": end, "pause": True}, now)
            logger().warning("datacube refused", extra={"account_id": account_id, "api": api, "errcode": exc.errcode})
            return
        out["days"][api] += _store_range(store, scope, account_id, api, begin, end, rows, now)
    store.clear_error(scope, account_id, api)


def pull_account(account_id: str, now: float | None = None, apis=APIS) -> dict:
    """Pull the account's missing days (see the module): {calls: {api: n}, days: {api: n}, refused: {api: errcode},
    failed: [api]}."""
    now = bootstrap.container().now() if now is None else now
    calls_by_api = plan(account_id, now, apis)
    out = {"calls": {}, "days": {}, "refused": {}, "failed": []}
    if not any(calls_by_api.values()):
        return out
    gateway, store, scope = gateway_of(account_id), bootstrap.insight_store(), Scope.system(account_id)
    for api, calls in calls_by_api.items():
        if calls:
            _pull_api(gateway, store, scope, account_id, api, calls, now, out)
    return out


def oa_accounts() -> list[str]:
    return seams.active_accounts("oa")


def pull_all(now: float | None = None) -> dict:
    """The schedule: every active OA account; one failing account does not stop the others."""
    now = bootstrap.container().now() if now is None else now
    out = {"accounts": 0, "calls": 0, "days": 0, "refused": 0, "failed_accounts": 0}
    for account_id in oa_accounts():
        out["accounts"] += 1
        try:
            got = pull_account(account_id, now)
        except Exception:  # e.g. its token refused: its days are made up by the next run
            out["failed_accounts"] += 1
            logger().exception("oa insight pull failed", extra={"account_id": account_id})
            continue
        out["calls"] += sum(got["calls"].values())
        out["days"] += sum(got["days"].values())
        out["refused"] += len(got["refused"])
    return out
