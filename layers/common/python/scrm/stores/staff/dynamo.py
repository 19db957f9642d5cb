"""The staff store on DynamoDB (table `staff_activity`, model scrm.data.staff_activity.StaffActivityRecord): one
partition per account; figures under `f#<day>#<userid>`, pulled days under `p#<day>`, the alert settings under
`settings#alerts`, alert records under `a#<key>` (TTL a month), per-day alert counts under `c#<day>`. Conditions
are DynamoDB condition expressions, so they hold across concurrent Lambdas."""

from __future__ import annotations

from datetime import UTC, datetime

from pynamodb.attributes import MapAttribute
from pynamodb.exceptions import PutError, UpdateError

from ...data.staff_activity import StaffActivityRecord as R
from ...tenancy import Scope
from ..cursors import check_page
from .base import COUNTED, FINAL_STATES

FIG, PULLED, ALERT, COUNT, SETTINGS = "f#", "p#", "a#", "c#", "settings#alerts"
ALERT_KEEP_SECONDS = 31 * 86400
CONDITION_FAILED = "ConditionalCheckFailedException"


def _refused(exc: Exception) -> bool:
    return getattr(exc, "cause_response_code", None) == CONDITION_FAILED


def _plain(value) -> dict:
    if isinstance(value, MapAttribute):
        return value.as_dict()
    return dict(value or {})


class DynamoStaffStore:
    # ---- figures
    def put_figures(self, scope: Scope, account_id: str, day: str, rows: dict[str, dict], now: float) -> int:
        scope.check(account_id)
        with R.batch_write() as batch:
            for userid, figures in rows.items():
                batch.save(R(account_id, f"{FIG}{day}#{userid}", day=day, userid=userid, figures=dict(figures),
                             updated_at=int(now)))
        return len(rows)

    def figures_page(self, scope: Scope, account_id: str, start_day: str, end_day: str, *, userid: str | None = None,
                     limit: int = 50, start: dict | None = None) -> tuple[list[dict], dict | None]:
        check_page(scope, account_id, start)
        result = R.query(account_id, R.item_id.between(f"{FIG}{start_day}#", f"{FIG}{end_day}#\uffff"),
                         filter_condition=(R.userid == userid) if userid else None, limit=limit,
                         last_evaluated_key=start)
        rows = [{"day": r.day, "userid": r.userid, "figures": _plain(r.figures)} for r in result]
        return rows, result.last_evaluated_key

    def mark_pulled(self, scope: Scope, account_id: str, day: str, staff: int, now: float) -> None:
        scope.check(account_id)
        R(account_id, f"{PULLED}{day}", day=day, staff=int(staff), updated_at=int(now)).save()

    def pulled_days(self, scope: Scope, account_id: str, start_day: str, end_day: str) -> set[str]:
        scope.check(account_id)
        return {r.day for r in R.query(account_id, R.item_id.between(f"{PULLED}{start_day}", f"{PULLED}{end_day}"),
                                       consistent_read=True)}

    # ---- loss alerts
    def get_alert_settings(self, scope: Scope, account_id: str) -> dict | None:
        scope.check(account_id)
        try:
            return _plain(R.get(account_id, SETTINGS, consistent_read=True).figures)
        except R.DoesNotExist:
            return None

    def put_alert_settings(self, scope: Scope, account_id: str, settings: dict, now: float) -> None:
        scope.check(account_id)
        R(account_id, SETTINGS, figures=dict(settings), updated_at=int(now)).save()

    def claim_alert(self, scope: Scope, account_id: str, key: str, record: dict, now: float) -> dict | None:
        scope.check(account_id)
        rec = R(account_id, ALERT + key, figures=dict(record), state="pending", updated_at=int(now),
                expires=datetime.fromtimestamp(int(now) + ALERT_KEEP_SECONDS, UTC))
        try:
            rec.save(condition=R.item_id.does_not_exist())
            return None
        except PutError as exc:
            if not _refused(exc):
                raise
        old = R.get(account_id, ALERT + key, consistent_read=True)
        return {**_plain(old.figures), "state": old.state}

    def finish_alert(self, scope: Scope, account_id: str, key: str, state: str, detail: dict, now: float) -> bool:
        scope.check(account_id)
        if state not in FINAL_STATES:
            raise ValueError(f"an alert finishes as one of {FINAL_STATES}")
        try:
            rec = R.get(account_id, ALERT + key, consistent_read=True)
        except R.DoesNotExist:
            return False
        if rec.state != "pending":
            return False
        try:
            rec.update(actions=[R.state.set(state), R.figures.set({**_plain(rec.figures), **detail}),
                                R.updated_at.set(int(now))], condition=R.state == "pending")
            return True
        except UpdateError as exc:
            if _refused(exc):
                return False
            raise

    def count_alert(self, scope: Scope, account_id: str, day: str, key: str, outcome: str) -> bool:
        scope.check(account_id)
        if outcome not in COUNTED:
            raise ValueError(f"an alert is counted as one of {COUNTED}")
        counter = getattr(R, outcome)
        try:
            R(account_id, f"{COUNT}{day}").update(
                actions=[counter.add(1), R.counted.add({key}), R.day.set(day)],
                condition=R.counted.does_not_exist() | ~R.counted.contains(key))
            return True
        except UpdateError as exc:
            if _refused(exc):
                return False
            raise

    def alert_counts(self, scope: Scope, account_id: str, start_day: str, end_day: str) -> dict[str, dict]:
        scope.check(account_id)
        return {r.day: {k: int(getattr(r, k) or 0) for k in COUNTED}
                for r in R.query(account_id, R.item_id.between(f"{COUNT}{start_day}", f"{COUNT}{end_day}"),
                                 attributes_to_get=["day", *COUNTED])}

    def alert(self, account_id: str, key: str) -> dict | None:
        try:
            rec = R.get(account_id, ALERT + key, consistent_read=True)
        except R.DoesNotExist:
            return None
        return {**_plain(rec.figures), "state": rec.state}
