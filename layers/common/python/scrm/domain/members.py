"""Member lists (会员名单) and member-verified groups: pure rules, no I/O.

A member row is {member_id, phone, name?, level?}. A member id is 1..64 letters, digits, '_' or '-' (the company's
own card numbers); a phone is a mainland China mobile number (11 digits starting 1[3-9], an optional +86/86 prefix,
spaces and dashes allowed), kept only as a keyed hash (`phone_hash`): the same number always hashes the same under
the account's key, so a customer's typed phone can be compared without the list holding any phone (PIPL).

CSV imports are UTF-8 with or without a BOM, a header naming the columns (member_id and phone required, name and
level optional, any order); each bad row is refused with its line number and the good rows are applied.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import re

MEMBER_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MOBILE = re.compile(r"^1[3-9]\d{9}$")
MAX_ROWS = 1000  # rows per upsert call or CSV import
MAX_NAME = 64
MAX_LEVEL = 32
COLUMNS = ("member_id", "phone", "name", "level")
REQUIRED = ("member_id", "phone")
TRIES_PER_HOUR = 5  # verification attempts per openid per hour: member ids cannot be walked through


class BadFile(ValueError):
    """The file as a whole cannot be read (not UTF-8, no header, a required column missing, too many rows)."""


def normal_phone(value) -> str | None:
    """The 11-digit mobile number, or None when it is not one."""
    if not isinstance(value, str):
        return None
    digits = re.sub(r"[\s-]", "", value)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits if MOBILE.match(digits) else None


def phone_hash(key: bytes, phone: str) -> str:
    """HMAC-SHA256 of the normalised number under the account's key (hex)."""
    return hmac.new(key, phone.encode("ascii"), hashlib.sha256).hexdigest()


def check_row(row) -> tuple[dict | None, str | None, str | None]:
    """(the clean row, None, None) or (None, field, message)."""
    if not isinstance(row, dict):
        return None, "row", "must be an object"
    member_id = row.get("member_id")
    member_id = member_id.strip() if isinstance(member_id, str) else member_id
    if not isinstance(member_id, str) or not MEMBER_ID.match(member_id):
        return None, "member_id", "must be 1..64 letters, digits, '_' or '-'"
    phone = normal_phone(row.get("phone"))
    if phone is None:
        return None, "phone", "must be a mainland China mobile number (11 digits starting 13-19)"
    out = {"member_id": member_id, "phone": phone}
    for field, limit in (("name", MAX_NAME), ("level", MAX_LEVEL)):
        value = row.get(field)
        if value in (None, ""):
            out[field] = None
            continue
        if not isinstance(value, str) or len(value.strip()) > limit or any(ord(c) < 32 for c in value):
            return None, field, f"must be text of at most {limit} characters, on one line"
        out[field] = value.strip() or None
    return out, None, None


def check_rows(rows: list, lines: list[int] | None = None) -> tuple[list[dict], list[dict]]:
    """The good rows and the refused ones ({line, member_id, field, message}); a member id given twice is refused
    at each later line (the first one counts), so a file never upserts one member twice."""
    good, rejected, seen = [], [], {}
    for i, row in enumerate(rows):
        line = lines[i] if lines else i + 1
        clean, field, message = check_row(row)
        raw_id = row.get("member_id") if isinstance(row, dict) else None
        if clean is None:
            rejected.append({"line": line, "member_id": raw_id if isinstance(raw_id, str) else None,
                             "field": field, "message": message})
            continue
        if clean["member_id"] in seen:
            rejected.append({"line": line, "member_id": clean["member_id"], "field": "member_id",
                             "message": f"duplicate of line {seen[clean['member_id']]}"})
            continue
        seen[clean["member_id"]] = line
        good.append(clean)
    return good, rejected


def read_csv(data: str | bytes) -> tuple[list[dict], list[int]]:
    """The data rows of a CSV file as dicts of the known columns, with each row's line number (the header is
    line 1; a quoted field spanning lines numbers its row by the line it starts on). Raises BadFile."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError:
            raise BadFile("the file must be UTF-8 (with or without a BOM)") from None
    if data.startswith("\ufeff"):
        data = data[1:]
    reader = csv.reader(io.StringIO(data, newline=""))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise BadFile(f"line 1: {exc}") from None
    if not header:
        raise BadFile("the file is empty; the first line names the columns (member_id, phone, name, level)")
    names = [h.strip().lower() for h in header]
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        raise BadFile(f"line 1: the header has no {missing[0]} column (columns: member_id, phone, name, level)")
    rows, lines = [], []
    start = reader.line_num + 1
    try:
        for record in reader:
            if any(cell.strip() for cell in record):
                rows.append({n: (record[i] if i < len(record) else None) for i, n in enumerate(names)
                             if n in COLUMNS})
                lines.append(start)
                if len(rows) > MAX_ROWS:
                    raise BadFile(f"a file takes at most {MAX_ROWS} members; split it")
            start = reader.line_num + 1
    except csv.Error as exc:
        raise BadFile(f"line {start}: {exc}") from None
    return rows, lines


def hour_of(t: float) -> int:
    """The hour bucket of a try (epoch hours)."""
    return int(t // 3600)
