"""The staff store's contract, for the in-memory twin and DynamoDB (moto) alike: figures overwritten per member and
day and read back in day order, paged and filtered; pulled days; alert settings; an alert claimed once, finished
once and counted once per day; tenancy."""

from __future__ import annotations

import pytest

from scrm.errors import Forbidden
from scrm.tenancy import Scope
from tests.contract.stores import IMPLEMENTATIONS, make_store

A = "acct-a"
SCOPE = Scope.system(A)
NOW = 1_764_576_000.0


@pytest.fixture(params=IMPLEMENTATIONS)
def store(request):
    return make_store(request, "staff", "StaffStore")


def test_figures_are_overwritten_and_read_in_day_then_member_order(store):
    store.put_figures(SCOPE, A, "2025-12-02", {"bob": {"chat_cnt": 1}, "alice": {"chat_cnt": 2}}, NOW)
    store.put_figures(SCOPE, A, "2025-12-01", {"alice": {"chat_cnt": 3, "reply_percentage": 66.67,
                                                         "avg_reply_time": None}}, NOW)
    store.put_figures(SCOPE, A, "2025-12-02", {"bob": {"chat_cnt": 5}}, NOW)  # a re-pull
    store.put_figures(Scope.system("acct-b"), "acct-b", "2025-12-01", {"eve": {"chat_cnt": 9}}, NOW)
    items, last = store.figures_page(SCOPE, A, "2025-12-01", "2025-12-02", limit=50)
    assert [(i["day"], i["userid"]) for i in items] == [("2025-12-01", "alice"), ("2025-12-02", "alice"),
                                                        ("2025-12-02", "bob")]
    assert items[0]["figures"] == {"chat_cnt": 3, "reply_percentage": 66.67, "avg_reply_time": None}
    assert items[2]["figures"] == {"chat_cnt": 5} and last is None
    items, _ = store.figures_page(SCOPE, A, "2025-12-02", "2025-12-02", limit=50)
    assert [i["userid"] for i in items] == ["alice", "bob"]


def test_figures_are_paged_and_filtered_by_member(store):
    for day in ("2025-12-01", "2025-12-02", "2025-12-03"):
        store.put_figures(SCOPE, A, day, {"alice": {"chat_cnt": 1}, "bob": {"chat_cnt": 2}}, NOW)
    first, cursor = store.figures_page(SCOPE, A, "2025-12-01", "2025-12-03", limit=4)
    assert len(first) == 4 and cursor is not None
    rest, _ = store.figures_page(SCOPE, A, "2025-12-01", "2025-12-03", limit=4, start=cursor)
    assert [(i["day"], i["userid"]) for i in rest] == [("2025-12-03", "alice"), ("2025-12-03", "bob")]
    seen, cursor = [], None
    while True:
        items, cursor = store.figures_page(SCOPE, A, "2025-12-01", "2025-12-03", userid="bob", limit=2, start=cursor)
        seen += items
        if cursor is None:
            break
    assert [(i["day"], i["userid"]) for i in seen] == [("2025-12-01", "bob"), ("2025-12-02", "bob"),
                                                       ("2025-12-03", "bob")]


def test_pulled_days_within_a_range(store):
    for day in ("2025-11-30", "2025-12-01", "2025-12-03"):
        store.mark_pulled(SCOPE, A, day, 2, NOW)
    store.mark_pulled(SCOPE, A, "2025-12-01", 3, NOW)  # again: harmless
    assert store.pulled_days(SCOPE, A, "2025-12-01", "2025-12-31") == {"2025-12-01", "2025-12-03"}
    assert store.pulled_days(Scope.system("acct-b"), "acct-b", "2025-01-01", "2025-12-31") == set()


def test_alert_settings(store):
    assert store.get_alert_settings(SCOPE, A) is None
    store.put_alert_settings(SCOPE, A, {"enabled": True, "recipient": "supervisor", "supervisor": "boss"}, NOW)
    store.put_alert_settings(SCOPE, A, {"enabled": False, "recipient": "staff"}, NOW)
    assert store.get_alert_settings(SCOPE, A) == {"enabled": False, "recipient": "staff"}


def test_an_alert_is_claimed_once_finished_once_and_counted_once(store):
    assert store.claim_alert(SCOPE, A, "k1", {"day": "2025-12-01", "recipient": "alice"}, NOW) is None
    again = store.claim_alert(SCOPE, A, "k1", {"day": "2025-12-01", "recipient": "other"}, NOW)
    assert again["state"] == "pending" and again["recipient"] == "alice"
    assert store.finish_alert(SCOPE, A, "k1", "sent", {"msgid": "m1"}, NOW) is True
    assert store.finish_alert(SCOPE, A, "k1", "failed", {"error": "x"}, NOW) is False
    assert store.finish_alert(SCOPE, A, "nope", "sent", {}, NOW) is False
    done = store.claim_alert(SCOPE, A, "k1", {}, NOW)
    assert done["state"] == "sent" and done["msgid"] == "m1" and done["recipient"] == "alice"
    assert store.count_alert(SCOPE, A, "2025-12-01", "k1", "sent") is True
    assert store.count_alert(SCOPE, A, "2025-12-01", "k1", "sent") is False
    assert store.count_alert(SCOPE, A, "2025-12-01", "k2", "failed") is True
    assert store.count_alert(SCOPE, A, "2025-12-03", "k3", "sent") is True
    assert store.claim_alert(SCOPE, A, "k4", {"day": "2025-12-03", "recipient": "bob"}, NOW) is None
    assert store.finish_alert(SCOPE, A, "k4", "unsent", {"reason": "no_app_secret"}, NOW) is True  # no app Secret
    assert store.claim_alert(SCOPE, A, "k4", {}, NOW)["reason"] == "no_app_secret"
    assert store.count_alert(SCOPE, A, "2025-12-03", "k4", "unsent") is True
    assert store.count_alert(SCOPE, A, "2025-12-03", "k4", "unsent") is False
    assert store.alert_counts(SCOPE, A, "2025-12-01", "2025-12-02") == {
        "2025-12-01": {"sent": 1, "failed": 1, "unsent": 0}}
    assert store.alert_counts(SCOPE, A, "2025-11-01", "2025-12-31") == {
        "2025-12-01": {"sent": 1, "failed": 1, "unsent": 0}, "2025-12-03": {"sent": 1, "failed": 0, "unsent": 1}}
    with pytest.raises(ValueError):
        store.finish_alert(SCOPE, A, "k1", "pending", {}, NOW)


def test_another_accounts_staff_data_is_out_of_reach(store):
    other = Scope(account_id="acct-b", key_id="acct-b.k1", role="admin")
    for call in (lambda: store.put_figures(other, A, "2025-12-01", {}, NOW),
                 lambda: store.figures_page(other, A, "2025-12-01", "2025-12-01"),
                 lambda: store.pulled_days(other, A, "2025-12-01", "2025-12-01"),
                 lambda: store.get_alert_settings(other, A),
                 lambda: store.claim_alert(other, A, "k", {}, NOW),
                 lambda: store.count_alert(other, A, "2025-12-01", "k", "sent"),
                 lambda: store.alert_counts(other, A, "2025-12-01", "2025-12-01")):
        with pytest.raises(Forbidden):
            call()
