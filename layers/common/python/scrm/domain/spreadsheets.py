"""The one CSV shape every export answers: opens correctly in Excel on Windows and cannot run a formula."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence

# A UTF-8 byte order mark first: Excel on Windows reads a CSV without one in the system's code page (GBK), and
# 门店导购 comes out garbled. Python reads it back with encoding="utf-8-sig".
CSV_BOM = "\ufeff"


def safe_cell(value):
    """Spreadsheet formula injection: a cell starting with = + - @ is read as a formula by Excel."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def csv_document(columns: Sequence[str], rows: Iterable[Mapping]) -> str:
    """BOM, the header `columns`, then one CRLF line per row (a missing or None value is an empty cell)."""
    buf = io.StringIO()
    buf.write(CSV_BOM)
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else safe_cell(row.get(c)) for c in columns])
    return buf.getvalue()
