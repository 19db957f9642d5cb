"""observability.count keeps the dimensions it is given (Powertools' shared metric set would drop them)."""

from __future__ import annotations

import json


def emf_records(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{") and '"_aws"' in line]


def test_count_with_dimensions_is_published_with_them(capsys):
    from scrm import observability

    observability.count("welcome_sent", 1, account_id="acc-1", outcome="sent")
    observability.count("welcome_sent", 1, account_id="acc-2", outcome="missed")
    records = emf_records(capsys.readouterr().out)
    assert [(r["account_id"], r["outcome"], r["welcome_sent"]) for r in records] == [
        ("acc-1", "sent", [1.0]), ("acc-2", "missed", [1.0])]
    for record in records:
        (directive,) = record["_aws"]["CloudWatchMetrics"]
        assert directive["Namespace"] == "WeChatSCRM"
        assert set(directive["Dimensions"][0]) == {"account_id", "outcome", "service"}


def test_count_without_dimensions_waits_for_the_flush(capsys):
    from scrm import observability

    observability.count("plain")
    assert emf_records(capsys.readouterr().out) == []
    observability.flush_metrics()
    (record,) = emf_records(capsys.readouterr().out)
    assert record["plain"] == [1.0]
