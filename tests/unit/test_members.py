"""Member lists: rows checked one by one (member id, mainland mobile, name, level), CSV with or without BOM and
with each refused row's line number, duplicates in a file refused at the later line, phones kept as a keyed hash,
the in-memory store's idempotent upsert and conditional tries (the twin of the DynamoDB store)."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scrm.domain import members as rules
from scrm.stores.members import MemoryMemberStore
from scrm.tenancy import Scope

KEY = b"k" * 32


@pytest.mark.parametrize(("raw", "phone"), [
    ("13800138000", "13800138000"), ("+86 138-0013-8000", "13800138000"), ("8613800138000", "13800138000"),
    ("12800138000", None), ("1380013800", None), ("138001380001", None), ("", None), (None, None),
    ("１３８００１３８０００", None),  # full-width digits are not what WeChat users type into a tel field
])
def test_phones_are_mainland_mobiles(raw, phone):
    assert rules.normal_phone(raw) == phone


def test_the_phone_hash_is_keyed():
    h = rules.phone_hash(KEY, "13800138000")
    assert h == rules.phone_hash(KEY, "13800138000") and h != rules.phone_hash(b"x" * 32, "13800138000")
    assert "13800138000" not in h and len(h) == 64


def test_csv_with_bom_reports_bad_rows_by_line_and_keeps_the_good():
    text = ("\ufeffmember_id,phone,name,level\r\n"
            "VIP001,13800138000,张三,金卡\r\n"
            "bad id!,13800138001,,\r\n"
            "VIP002,12345,李四,\r\n"
            "\r\n"
            "VIP001,13900139000,王五,\r\n"
            "VIP003,139 0013 9000,\"赵,六\",银卡\r\n")
    rows, lines = rules.read_csv(text.encode("utf-8"))
    good, rejected = rules.check_rows(rows, lines)
    assert [g["member_id"] for g in good] == ["VIP001", "VIP003"]
    assert good[1] == {"member_id": "VIP003", "phone": "13900139000", "name": "赵,六", "level": "银卡"}
    assert [(r["line"], r["field"]) for r in rejected] == [(3, "member_id"), (4, "phone"), (6, "member_id")]
    assert rejected[2]["message"] == "duplicate of line 2"


def test_csv_without_bom_any_column_order_and_no_optional_columns():
    rows, lines = rules.read_csv("phone,member_id\n13800138000,A1\n")
    assert rows == [{"phone": "13800138000", "member_id": "A1"}] and lines == [2]


@pytest.mark.parametrize(("data", "message"), [
    (b"\xff\xfe\x00m", "UTF-8"), ("", "empty"), ("member_id,name\nA,b\n", "no phone column"),
    ("member_id,phone\n" + "A{},13800138000\n" * 1001, "at most 1000"),
])
def test_unreadable_files_are_refused_whole(data, message):
    if isinstance(data, str) and "{}" in data:
        data = "member_id,phone\n" + "".join(f"A{i},13800138000\n" for i in range(1001))
    with pytest.raises(rules.BadFile, match=message):
        rules.read_csv(data)


def test_a_quoted_field_spanning_lines_numbers_rows_by_where_they_start():
    rows, lines = rules.read_csv('member_id,phone,name\nA1,13800138000,"two\nlines"\nA2,13800138001,x\n')
    assert lines == [2, 4] and rows[0]["name"] == "two\nlines"
    _, rejected = rules.check_rows(rows, lines)
    assert rejected == [{"line": 2, "member_id": "A1", "field": "name",
                         "message": "must be text of at most 64 characters, on one line"}]


member_ids = st.from_regex(r"\A[A-Za-z0-9_-]{1,12}\Z")
phones = st.from_regex(r"\A1[3-9]\d{9}\Z")
junk = st.text(max_size=12)
cells = st.one_of(st.tuples(member_ids, phones), st.tuples(junk, junk), st.tuples(member_ids, junk))


@given(st.lists(cells, max_size=40), st.booleans())
def test_every_row_is_either_applied_once_or_refused_with_its_line(records, bom):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(["member_id", "phone"])
    w.writerows(records)
    text = ("\ufeff" if bom else "") + buf.getvalue()
    try:
        rows, lines = rules.read_csv(text)
    except rules.BadFile:
        return  # e.g. a NUL byte in a cell: csv refuses the file
    good, rejected = rules.check_rows(rows, lines)
    data_rows = [r for r in records if any(c.strip() for c in r)]
    assert len(good) + len(rejected) == len(rows) <= len(data_rows)
    assert len({g["member_id"] for g in good}) == len(good)  # nothing applied twice
    assert all(r["line"] >= 2 for r in rejected) and len({r["line"] for r in rejected}) == len(rejected)
    for g in good:
        assert rules.MEMBER_ID.match(g["member_id"]) and rules.MOBILE.match(g["phone"])


def _rows(*pairs):
    return [{"member_id": m, "phone_hash": rules.phone_hash(KEY, p), "name": None, "level": None} for m, p in pairs]


def test_the_store_upserts_idempotently():
    db, scope = MemoryMemberStore(), Scope.system("acct")
    assert db.upsert_members(scope, "acct", _rows(("A", "13800138000"), ("B", "13800138001")), 1.0) == {
        "created": 2, "updated": 0, "unchanged": 0}
    assert db.upsert_members(scope, "acct", _rows(("A", "13800138000"), ("B", "13900139000")), 2.0) == {
        "created": 0, "updated": 1, "unchanged": 1}
    assert db.get_members(scope, "acct", ["B"])["B"]["created_at"] == 1


def test_tries_are_limited_per_openid_and_hour_and_a_verification_counts_once():
    db, scope = MemoryMemberStore(), Scope.system("acct")
    assert [db.take_try(scope, "acct", "o1", 10, 5) for _ in range(6)] == [True] * 5 + [False]
    assert db.take_try(scope, "acct", "o2", 10, 5) and db.take_try(scope, "acct", "o1", 11, 5)
    assert db.record_verified(scope, "acct", "ch", "o1", "A", 5.0)
    assert not db.record_verified(scope, "acct", "ch", "o1", "A", 6.0)
    assert db.count(scope, "acct", "ch", "joined", marker="m1") and not db.count(scope, "acct", "ch", "joined",
                                                                                   marker="m1")
    assert db.figures(scope, "acct", "ch") == {"verified": 1, "refused": 0, "joined": 1, "joined_verified": 0}
