"""Staff figures on the in-memory store with a WeCom double (no moto, no sandbox): the daily pull stores each member's
figures per China day, one behaviour call per member and one group call per day per 100 owners, is idempotent on
re-run, back-fills missed days within 30 days, and keeps the other members when WeCom refuses one; the views serve
rows and CSV. The wire format is tests/integration/test_staff_figures_api.py's (sandbox)."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest

from scrm import bootstrap
from scrm.domain.channels import day_of
from scrm.domain.staff import FIGURES
from scrm.errors import ValidationError, WeChatError
from scrm.services.staff import figures, views
from scrm.stores.staff import MemoryStaffStore
from scrm.tenancy import Scope
from tests.timing import Clock

A = "corp-1"
NOW = 1_764_576_000.0  # 2025-12-01 16:00 China time
DAY = 86400


class FakeStats:
    """get_follow_user_list, get_user_behavior_data and groupchat/statistic as WeCom answers them."""

    def __init__(self, staff):
        self.staff = list(staff)
        self.behavior: dict[tuple[str, str], dict] = {}
        self.groups: dict[tuple[str, str], dict] = {}
        self.calls: Counter = Counter()
        self.refuse: set[str] = set()

    def customer_contact_staff(self):
        self.calls["get_follow_user_list"] += 1
        return list(self.staff)

    def user_behavior(self, userid, start_time, end_time):
        self.calls["get_user_behavior_data"] += 1
        if userid in self.refuse:
            raise WeChatError(60111, "invalid userid", "externalcontact/get_user_behavior_data")
        assert end_time - start_time <= 29 * DAY, "one call spans at most 30 days"
        out = []
        for t in range(start_time, end_time + DAY, DAY):
            got = self.behavior.get((userid, day_of(t)), {})
            entry = {"stat_time": t, "chat_cnt": 0, "message_cnt": 0, "reply_percentage": 0,
                     "negative_feedback_cnt": 0, "new_apply_cnt": 0, "new_contact_cnt": 0, **got}
            out.append(entry)
        return out

    def group_chat_statistic(self, owners, day_start, offset=0, limit=1000):
        self.calls["groupchat/statistic"] += 1
        assert len(owners) <= 100
        items = [{"owner": o, "data": self.groups[(o, day_of(day_start))]} for o in owners
                 if (o, day_of(day_start)) in self.groups]
        return {"total": len(items), "next_offset": len(items), "items": items[offset:]}


@pytest.fixture
def world(monkeypatch):
    clock = Clock(NOW)
    store = MemoryStaffStore()
    bootstrap.reset(clock=clock, staff_store=store)
    wecom = FakeStats(["alice", "bob"])
    monkeypatch.setattr(figures, "gateway_of", lambda account_id: wecom)
    return clock, store, wecom


def yesterday(now=NOW) -> str:
    return (date.fromisoformat(day_of(now)) - timedelta(days=1)).isoformat()


def rows(store, start="2000-01-01", end="2100-01-01"):
    items, _ = store.figures_page(Scope.system(A), A, start, end, limit=1000)
    return {(i["day"], i["userid"]): i["figures"] for i in items}


def test_the_first_pull_backfills_30_days_with_one_behaviour_call_per_member(world):
    clock, store, wecom = world
    y = yesterday()
    wecom.behavior[("alice", y)] = {"new_contact_cnt": 5, "chat_cnt": 3, "message_cnt": 40, "reply_percentage": 66.67,
                                     "avg_reply_time": 12, "negative_feedback_cnt": 1, "new_apply_cnt": 2}
    wecom.groups[("alice", y)] = {"new_chat_cnt": 1, "chat_total": 4, "chat_has_msg": 2, "new_member_cnt": 9,
                                  "member_total": 120, "member_has_msg": 30, "msg_total": 200,
                                  "migrate_trainee_chat_cnt": 0}
    out = figures.pull_account(A)
    assert out == {"days": 30, "rows": 60, "failed": []}
    assert wecom.calls["get_user_behavior_data"] == 2  # one per member for the whole window
    assert wecom.calls["groupchat/statistic"] == 30  # one per day (2 owners, under 100 a call)
    got = rows(store)
    assert set(FIGURES) <= set(got[(y, "alice")])
    assert got[(y, "alice")]["new_contact_cnt"] == 5 and got[(y, "alice")]["reply_percentage"] == 66.67
    assert got[(y, "alice")]["avg_reply_time"] == 12 and got[(y, "alice")]["member_total"] == 120
    assert got[(y, "bob")]["avg_reply_time"] is None and got[(y, "bob")]["chat_total"] == 0  # no chats, no groups
    assert day_of(NOW) not in {d for d, _u in got}, "today is not over: not pulled"
    assert len(store.pulled_days(Scope.system(A), A, "2000-01-01", "2100-01-01")) == 30


def test_a_rerun_asks_only_for_yesterday_and_changes_nothing(world):
    clock, store, wecom = world
    figures.pull_account(A)
    before = rows(store)
    out = figures.pull_account(A)
    assert out["days"] == 1 and out["failed"] == [] and rows(store) == before  # replaced with the same figures


def test_a_member_added_after_the_days_pull_gets_yesterday_on_the_next_run(world):
    """The console's and the e2e test's members share a stack: the second one's figures of yesterday come in
    although the day was pulled for the first (it used to be skipped, so which test ran first decided)."""
    clock, store, wecom = world
    figures.pull_account(A)
    wecom.behavior[("bob", yesterday(clock()))] = {"new_contact_cnt": 9}
    figures.pull_account(A)
    assert rows(store)[(yesterday(clock()), "bob")]["new_contact_cnt"] == 9


def test_missed_days_are_made_up_by_the_next_run(world):
    clock, store, wecom = world
    figures.pull_account(A)
    clock.advance(3 * DAY)  # two runs missed
    wecom.behavior[("bob", yesterday(clock()))] = {"new_contact_cnt": 7}
    calls = Counter(wecom.calls)
    assert figures.pull_account(A)["days"] == 3
    assert wecom.calls["get_user_behavior_data"] - calls["get_user_behavior_data"] == 2
    assert rows(store)[(yesterday(clock()), "bob")]["new_contact_cnt"] == 7
    clock.advance(40 * DAY)  # beyond one call's span: the last 30 days only
    assert figures.pull_account(A)["days"] == 30


def test_a_refused_member_leaves_the_others_stored_and_the_days_open(world):
    clock, store, wecom = world
    wecom.refuse = {"bob"}
    out = figures.pull_account(A)
    assert out["failed"] == ["bob"] and out["rows"] == 30
    assert {u for _d, u in rows(store)} == {"alice"}
    assert store.pulled_days(Scope.system(A), A, "2000-01-01", "2100-01-01") == set()
    wecom.refuse = set()
    assert figures.pull_account(A) == {"days": 30, "rows": 60, "failed": []}


def test_the_schedule_pulls_every_active_wecom_account(world, monkeypatch):
    clock, store, wecom = world
    monkeypatch.setattr(figures, "wecom_accounts", lambda: [A, "corp-2"])
    assert figures.pull_all() == {"accounts": 2, "days": 60, "rows": 120, "failed_accounts": 0}
    assert figures.pull_all()["days"] == 2  # yesterday again for each account (it may still fill in), nothing else


def test_views_serve_rows_in_day_order_and_a_csv_with_a_bom(world):
    clock, store, wecom = world
    wecom.behavior[("alice", yesterday())] = {"new_contact_cnt": 5, "avg_reply_time": 3, "chat_cnt": 1}
    figures.pull_account(A)
    scope, y = Scope.system(A), yesterday()
    page, cursor = views.figures_page(scope, A, {"from": y, "to": y}, NOW, limit=1)
    assert page["from"] == y and page["items"][0]["userid"] == "alice" and page["items"][0]["new_contact_cnt"] == 5
    assert cursor is not None
    more, _ = views.figures_page(scope, A, {"from": y, "to": y}, NOW, limit=1, start=cursor)
    assert [r["userid"] for r in more["items"]] == ["bob"]
    only, _ = views.figures_page(scope, A, {"from": y, "to": y, "userid": "bob"}, NOW, limit=50)
    assert [r["userid"] for r in only["items"]] == ["bob"]
    text, _ = views.figures_csv(scope, A, {"from": y, "to": y}, NOW)
    lines = text.split("\r\n")
    assert text.startswith("\ufeffday,userid,new_contact_cnt,chat_cnt")
    assert lines[1].startswith(f"{y},alice,5,1,") and len(lines) == 4  # header, two rows, the final newline


@pytest.mark.parametrize("query, field", [({"from": "2025-13-01"}, "from"), ({"from": "2025-12-02", "to": "2025-12-01"},
                                          "from"), ({"from": "2024-01-01", "to": "2025-12-01"}, "from"),
                                         ({"userid": "x" * 65}, "userid")])
def test_bad_ranges_are_refused_naming_the_field(world, query, field):
    with pytest.raises(ValidationError) as err:
        views.figures_page(Scope.system(A), A, query, NOW)
    assert err.value.field == field


def test_a_member_with_no_activity_shows_zeros_not_a_gap_and_a_refused_one_shows_nothing(world):
    """A manager reads idle staff as 0 (who added no customers is what they look for); a blank would read as "not
    counted". WeCom answers zeros for such a day, so a row is stored for every member of the follow list; only the
    average reply time stays empty (no chats: no time to average, 0 would read as instant replies). A member WeCom
    refused is not known: no row, not zeros, and the day stays open for the next run."""
    clock, store, wecom = world
    wecom.staff.append("carol")
    wecom.refuse = {"carol"}
    figures.pull_account(A)
    scope, y = Scope.system(A), yesterday()
    page, _ = views.figures_page(scope, A, {"from": y, "to": y}, NOW, limit=50)
    bob = next(r for r in page["items"] if r["userid"] == "bob")
    assert all(bob[k] == 0 for k in FIGURES if k != "avg_reply_time") and bob["avg_reply_time"] is None
    assert "carol" not in {r["userid"] for r in page["items"]}
    text, _ = views.figures_csv(scope, A, {"from": y, "to": y}, NOW)
    [bob_line] = [line for line in text.split("\r\n") if ",bob," in line]
    cells = bob_line.split(",")[2:]
    avg = list(FIGURES).index("avg_reply_time")
    assert cells[avg] == "" and {c for i, c in enumerate(cells) if i != avg} == {"0"}
