"""The insight store on DynamoDB (table `oa_insight`, model scrm.data.oa_insight.OAInsightRecord): one partition per
account; a day's rows under `d#<api>#<day>` (a plain put: a re-run overwrites with the same values), an API's last
refusal under `e#<api>`."""

from __future__ import annotations

from decimal import Decimal

from pynamodb.attributes import MapAttribute

from ...data.oa_insight import OAInsightRecord as R
from ...tenancy import Scope

DAY, ERROR = "d#", "e#"


def _plain(value):
    """PynamoDB hands back nested numbers as Decimal and maps as MapAttribute: plain ints, floats and dicts."""
    if isinstance(value, MapAttribute):
        value = value.as_dict()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


class DynamoInsightStore:
    def put_day(self, scope: Scope, account_id: str, api: str, day: str, rows: list[dict], now: float) -> None:
        scope.check(account_id)
        R(account_id, f"{DAY}{api}#{day}", api=api, day=day, rows=[dict(r) for r in rows],
          updated_at=int(now)).save()

    def days(self, scope: Scope, account_id: str, api: str, start_day: str, end_day: str) -> dict[str, list[dict]]:
        scope.check(account_id)
        return {r.day: _plain(list(r.rows or []))
                for r in R.query(account_id, R.item_id.between(f"{DAY}{api}#{start_day}", f"{DAY}{api}#{end_day}"),
                                 consistent_read=True)}

    def put_error(self, scope: Scope, account_id: str, api: str, error: dict, now: float) -> None:
        scope.check(account_id)
        R(account_id, f"{ERROR}{api}", api=api, error={**error, "at": int(now)}, updated_at=int(now)).save()

    def clear_error(self, scope: Scope, account_id: str, api: str) -> None:
        scope.check(account_id)
        R(account_id, f"{ERROR}{api}").delete()

    def errors(self, scope: Scope, account_id: str) -> dict[str, dict]:
        scope.check(account_id)
        return {r.api: _plain(r.error) for r in R.query(account_id, R.item_id.startswith(ERROR), consistent_read=True)}
