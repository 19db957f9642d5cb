"""How the API writes a point in time: one format in every answer.

ISO 8601 to the second with a numeric offset, never `Z` and never epoch numbers: `2026-12-02T11:25:00+08:00`.
The offset is China Standard Time (+08:00, no daylight saving), the time the business's days are counted in
(channel statistics, per-day limits); a push's own times (send_at, next_run_at, created_at) are in the push's
`timezone` instead, the zone its schedule was given in. Stored values stay what they are (epoch seconds or
UTC datetimes); only answers are formatted here.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo

CHINA = timezone(timedelta(hours=8))
# What every timestamp in an answer matches (tests/integration/test_answer_timestamps.py checks the document).
PATTERN = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$"
_MATCH = re.compile(PATTERN)


def answer_time(value, tz: tzinfo = CHINA) -> str | None:
    """`value` (epoch seconds, a datetime (naive: UTC, as PynamoDB's are), or an ISO 8601 string) as the API
    answers it; None stays None."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise TypeError("a boolean is not a time")
    if isinstance(value, int | float):
        when = datetime.fromtimestamp(value, UTC)
    elif isinstance(value, datetime):
        when = value if value.tzinfo else value.replace(tzinfo=UTC)
    elif isinstance(value, str):
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
        when = when if when.tzinfo else when.replace(tzinfo=UTC)
    else:
        raise TypeError(f"not a time: {value!r}")
    return when.astimezone(tz).isoformat(timespec="seconds")


def is_answer_time(text) -> bool:
    return isinstance(text, str) and bool(_MATCH.match(text))


def _is_stamp_key(key) -> bool:
    return isinstance(key, str) and (key in ("at", "since") or key.endswith("_at"))


def answer_times(value, tz: tzinfo = CHINA):
    """`value` with every stored time under a key named `at`, `since` or `*_at`, however deep (a push's runs, a plan
    item's history, a contact's touches), written as answer_time; everything else unchanged."""
    if isinstance(value, dict):
        return {k: answer_time(v, tz) if _is_stamp_key(k) and isinstance(v, int | float | datetime)
                and not isinstance(v, bool) else answer_times(v, tz) for k, v in value.items()}
    if isinstance(value, list):
        return [answer_times(v, tz) for v in value]
    return value
