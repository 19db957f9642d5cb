"""The daily pull of staff figures: per WeCom corp, per staff member and China day, WeCom's 联系客户统计
(`externalcontact/get_user_behavior_data`, one call per member: several members would be summed into one figure)
and 群聊数据统计 by owner (`externalcontact/groupchat/statistic`, one call per day per 100 owners: a range would
sum the days), stored per staff member per day.

Idempotent and back-filling: a run looks at the last BACKFILL_DAYS days up to yesterday (WeCom's group figures
start at yesterday; one behaviour call spans at most 30 days, and WeCom keeps 180), pulls the days not yet marked
pulled (and yesterday again: its figures may still fill in), overwrites their figures and marks each day pulled once
every member's figures are in. A re-run the same day asks only for yesterday; a missed run (or a failed member) is
made up by the next one, within 30 days.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from ... import accounts, bootstrap
from ...domain.channels import day_of
from ...domain.instants import CHINA
from ...domain.staff import BEHAVIOR, GROUPCHAT, MAX_SPAN_DAYS, OWNERS_PER_CALL, empty_figures
from ...errors import WeChatError
from ...observability import logger
from ...tenancy import Scope
from .. import seams

BACKFILL_DAYS = MAX_SPAN_DAYS  # missed days made up, one behaviour call per member (within HISTORY_DAYS)


def day_start(day: str) -> int:
    """Epoch seconds of a China day's 00:00 (what WeCom's day parameters take)."""
    d = date.fromisoformat(day)
    return int(datetime(d.year, d.month, d.day, tzinfo=CHINA).timestamp())


def _window(now: float) -> list[str]:
    last = date.fromisoformat(day_of(now)) - timedelta(days=1)
    return [(last - timedelta(days=n)).isoformat() for n in range(BACKFILL_DAYS - 1, -1, -1)]


def days_to_pull(account_id: str, now: float) -> list[str]:
    window = _window(now)
    pulled = bootstrap.staff_store().pulled_days(Scope.system(account_id), account_id, window[0], window[-1])
    # yesterday is asked again on every run: WeCom's figures of the newest day may still fill in (and a member
    # added since the last run has it too); the rows are replaced, never added to
    return [d for d in window if d not in pulled or d == window[-1]]


def _behavior(gateway, userid: str, days: list[str], rows: dict) -> None:
    for entry in gateway.user_behavior(userid, day_start(days[0]), day_start(days[-1])):
        day = day_of(int(entry.get("stat_time") or 0))
        if day in rows:
            row = rows[day].setdefault(userid, empty_figures())
            row.update({k: entry.get(k) for k in BEHAVIOR if k in entry})


def _groupchats(gateway, staff: list[str], day: str, rows: dict) -> None:
    for i in range(0, len(staff), OWNERS_PER_CALL):
        owners, offset = staff[i:i + OWNERS_PER_CALL], 0
        while True:
            answer = gateway.group_chat_statistic(owners, day_start(day), offset=offset)
            items = answer.get("items") or []
            for item in items:
                if item.get("owner") in owners:
                    row = rows[day].setdefault(item["owner"], empty_figures())
                    row.update({k: (item.get("data") or {}).get(k, 0) for k in GROUPCHAT})
            nxt = int(answer.get("next_offset") or 0)
            if not items or nxt <= offset or nxt >= int(answer.get("total") or 0):
                break
            offset = nxt


def gateway_of(account_id: str):
    """The account's WeCom gateway (the seam unit tests replace)."""
    return seams.gateway_of(accounts.get(account_id))


def pull_account(account_id: str, now: float | None = None) -> dict:
    """Pull the account's missing days (see the module); {days, rows, failed (members whose figures failed)}."""
    now = bootstrap.container().now() if now is None else now
    days = days_to_pull(account_id, now)
    if not days:
        return {"days": 0, "rows": 0, "failed": []}
    gateway = gateway_of(account_id)
    staff = sorted(set(gateway.customer_contact_staff()))
    rows: dict[str, dict[str, dict]] = {d: {u: empty_figures() for u in staff} for d in days}
    failed = []
    for userid in staff:
        try:
            _behavior(gateway, userid, days, rows)
        except WeChatError as exc:  # e.g. 60111 a member outside the app's range: the others still count
            failed.append(userid)
            logger().warning("staff figures refused", extra={"account_id": account_id, "userid": userid,
                                                             "errcode": exc.errcode})
    store, scope, written = bootstrap.staff_store(), Scope.system(account_id), 0
    for day in days:
        if staff:
            _groupchats(gateway, staff, day, rows)
        done = {u: r for u, r in rows[day].items() if u not in failed}
        written += store.put_figures(scope, account_id, day, done, now)
        if not failed:
            store.mark_pulled(scope, account_id, day, len(staff), now)
    return {"days": len(days), "rows": written, "failed": failed}


def wecom_accounts() -> list[str]:
    return seams.active_accounts("wecom")


def pull_all(now: float | None = None) -> dict:
    """The schedule: every active WeCom account; one failing account does not stop the others."""
    now = bootstrap.container().now() if now is None else now
    out = {"accounts": 0, "days": 0, "rows": 0, "failed_accounts": 0}
    for account_id in wecom_accounts():
        out["accounts"] += 1
        try:
            got = pull_account(account_id, now)
        except Exception:  # WeChat down for one corp: its days are made up by the next run
            out["failed_accounts"] += 1
            logger().exception("staff figures pull failed", extra={"account_id": account_id})
            continue
        out["days"] += got["days"]
        out["rows"] += got["rows"]
    return out
