"""Readable output for people: answers as aligned tables (the default), JSON for scripts (`--json`).

Alignment counts display columns, not characters: a CJK character (门店导购) takes two columns in a terminal,
as Unicode's East Asian Width says (W and F), and combining marks take none. The standard library's
unicodedata answers that, so no dependency is needed.
"""

from __future__ import annotations

import json
import unicodedata

MAX_CELL = 40  # display columns of one cell; longer values end in "…"
MAX_COLUMNS = 8  # columns a list shows when the command names none


def width(text: str) -> int:
    """Display columns `text` takes in a terminal."""
    total = 0
    for ch in text:
        if unicodedata.combining(ch) or unicodedata.category(ch) in ("Cf", "Mn", "Me"):
            continue
        total += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return total


def clip(text: str, limit: int = MAX_CELL) -> str:
    """`text` cut to at most `limit` display columns (ending in "…" when cut)."""
    if width(text) <= limit:
        return text
    out, used = [], 0
    for ch in text:
        w = width(ch)
        if used + w > limit - 1:
            break
        out.append(ch)
        used += w
    return "".join(out) + "…"


def pad(text: str, columns: int) -> str:
    return text + " " * max(0, columns - width(text))


def cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict | list):
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    else:
        text = str(value)
    return clip(" ".join(text.split()))


def _scalar(value) -> bool:
    return not isinstance(value, dict | list)


def default_columns(rows: list[dict]) -> list[str]:
    """The columns of a list nobody chose them for: the scalar fields, in the order the rows give them."""
    seen: dict[str, None] = {}
    for row in rows[:20]:
        for key, value in row.items():
            if _scalar(value):
                seen.setdefault(key)
    return list(seen)[:MAX_COLUMNS] or list(rows[0])[:MAX_COLUMNS]


def table(rows: list[dict], columns: list[str] | None = None) -> str:
    """Rows as a table with a header line; every column as wide as its widest cell."""
    if not rows:
        return "(none)"
    columns = list(columns or default_columns(rows))
    cells = [[cell(row.get(c)) for c in columns] for row in rows]
    widths = [max(width(c), *(width(r[i]) for r in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(pad(c, w) for c, w in zip(columns, widths, strict=True)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(pad(v, w) for v, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    return "\n".join(lines)


def _rows_of(value) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def fields(data: dict) -> str:
    """One object: a `field  value` line per field; lists of objects follow as their own tables."""
    flat, tables = [], []
    for key, value in data.items():
        if _rows_of(value):
            tables.append(f"\n{key}:\n{table(value)}")
        elif isinstance(value, dict) and value and all(_scalar(v) for v in value.values()):
            flat += [(f"{key}.{k}", cell(v)) for k, v in value.items()]
        else:
            flat.append((key, cell(value)))
    name_width = max((width(k) for k, _ in flat), default=0)
    return "\n".join([f"{pad(k, name_width)}  {v}".rstrip() for k, v in flat] + tables)


def render(data, columns: list[str] | None = None) -> str:
    """Any answer as text: a list of objects as a table, an object as its fields, anything else as it is."""
    if isinstance(data, list):
        if all(isinstance(v, dict) for v in data):
            return table(data, columns)
        return "\n".join(cell(v) for v in data) or "(none)"
    if isinstance(data, dict):
        return fields(data)
    return cell(data)
