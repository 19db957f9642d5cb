"""The one CSV shape of every export: a BOM for Excel, CRLF lines, no cell Excel would run as a formula."""

import csv
import io

from hypothesis import given, settings
from hypothesis import strategies as st

from scrm.domain.callbacks import event_time
from scrm.domain.spreadsheets import csv_document


def _read(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_a_document_opens_in_excel_with_chinese_and_empty_cells():
    text = csv_document(("day", "name", "joins"), [{"day": "2026-12-01", "name": "门店导购", "joins": 3},
                                                   {"day": "2026-12-02", "name": None}])
    assert "\r\n" in text
    assert _read(text) == [["day", "name", "joins"], ["2026-12-01", "门店导购", "3"], ["2026-12-02", "", ""]]


@settings(deadline=None)
@given(st.text(min_size=1, max_size=20))
def test_no_cell_is_read_as_a_formula(value):
    (_, row) = _read(csv_document(("v",), [{"v": value}]))
    assert row[0][:1] not in ("=", "+", "-", "@")
    assert row[0] in (value, "'" + value)


def test_an_event_time_passes_over_what_is_not_a_number():
    assert event_time({"CreateTime": "1700000000"}, 5) == 1700000000
    assert event_time({"CreateTime": "soon", "received_at": 1700000001.7}, 5) == 1700000001
    assert event_time({"CreateTime": None}, 5.9) == 5
