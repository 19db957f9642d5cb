"""The insight store's contract, for the in-memory twin and DynamoDB (moto) alike: a day's rows stored whole and
overwritten by a re-pull (never added to), an empty day stored as pulled, days read per API in day order, nested
numbers back as plain ints and floats, refusals recorded and cleared per API; tenancy."""

from __future__ import annotations

import pytest

from scrm.errors import Forbidden
from scrm.tenancy import Scope
from tests.contract.stores import IMPLEMENTATIONS, make_store

A = "acct-a"
SCOPE = Scope.system(A)
NOW = 1_764_576_000.0
SUMMARY = [{"ref_date": "2025-12-01", "user_source": 30, "new_user": 5, "cancel_user": 1},
           {"ref_date": "2025-12-01", "user_source": 1, "new_user": 2, "cancel_user": 0}]


@pytest.fixture(params=IMPLEMENTATIONS)
def store(request):
    return make_store(request, "insight", "InsightStore")


def test_a_day_is_stored_whole_and_a_re_pull_overwrites_it(store):
    store.put_day(SCOPE, A, "getusersummary", "2025-12-01", SUMMARY, NOW)
    store.put_day(SCOPE, A, "getusersummary", "2025-12-01", SUMMARY, NOW + 60)  # the same day again
    store.put_day(SCOPE, A, "getusersummary", "2025-11-30", [], NOW)  # WeChat had nothing: still pulled
    store.put_day(SCOPE, A, "getusercumulate", "2025-12-01", [{"ref_date": "2025-12-01", "cumulate_user": 7}], NOW)
    store.put_day(Scope.system("acct-b"), "acct-b", "getusersummary", "2025-12-01", SUMMARY, NOW)
    got = store.days(SCOPE, A, "getusersummary", "2025-11-01", "2025-12-31")
    assert list(got) == ["2025-11-30", "2025-12-01"]
    assert got["2025-12-01"] == SUMMARY and got["2025-11-30"] == []
    assert store.days(SCOPE, A, "getusersummary", "2025-12-01", "2025-12-01") == {"2025-12-01": SUMMARY}
    assert store.days(SCOPE, A, "getusercumulate", "2025-11-30", "2025-12-01") == {
        "2025-12-01": [{"ref_date": "2025-12-01", "cumulate_user": 7}]}


def test_nested_rows_come_back_plain(store):
    rows = [{"ref_date": "2025-12-01", "msgid": "2247490098_1",
             "detail": {"read_user": 12, "read_user_source": [{"user_source": 0, "count": 4}], "ratio": 0.25}}]
    store.put_day(SCOPE, A, "getarticleread", "2025-12-01", rows, NOW)
    got = store.days(SCOPE, A, "getarticleread", "2025-12-01", "2025-12-01")["2025-12-01"]
    assert got == rows
    assert type(got[0]["detail"]["read_user"]) is int and type(got[0]["detail"]["ratio"]) is float


def test_refusals_per_api(store):
    store.put_error(SCOPE, A, "getarticleread", {"errcode": 48001, "errmsg": "api unauthorized",
                                                 "begin_date": "2025-11-01", "end_date": "2025-11-01", "pause": True},
                    NOW)
    store.put_error(SCOPE, A, "getusersummary", {"errcode": 61501, "errmsg": "date range error", "pause": True}, NOW)
    errors = store.errors(SCOPE, A)
    assert sorted(errors) == ["getarticleread", "getusersummary"]
    assert errors["getarticleread"]["errcode"] == 48001 and errors["getarticleread"]["at"] == int(NOW)
    store.clear_error(SCOPE, A, "getusersummary")
    store.clear_error(SCOPE, A, "getupstreammsg")  # none recorded: harmless
    assert list(store.errors(SCOPE, A)) == ["getarticleread"]


def test_another_accounts_figures_are_out_of_reach(store):
    other = Scope(account_id="acct-b", key_id="acct-b.k1", role="admin")
    for call in (lambda: store.put_day(other, A, "getusersummary", "2025-12-01", SUMMARY, NOW),
                 lambda: store.days(other, A, "getusersummary", "2025-12-01", "2025-12-01"),
                 lambda: store.put_error(other, A, "getusersummary", {}, NOW),
                 lambda: store.clear_error(other, A, "getusersummary"),
                 lambda: store.errors(other, A)):
        with pytest.raises(Forbidden):
            call()
