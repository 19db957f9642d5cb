"""OA insight on the in-memory store with a WeChat double (no moto, no sandbox): ranges are split into calls of at
most each datacube API's span covering every day once (property-tested), a first run back-fills 30 days in the
fewest calls, a re-run asks nothing and a re-pull re-writes the same values (never counted twice), yesterday is the
newest day (China time), and one API's refusal is recorded and paused while the others go on. The wire format is
tests/sandbox/test_oa_datacube.py's."""

from __future__ import annotations

import math
from collections import Counter
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scrm import bootstrap
from scrm.domain.insight import APIS, BACKFILL_DAYS, MAX_SPAN, PAUSE_DAYS, days_between, split_days, window
from scrm.errors import WeChatError, WeChatUnavailable
from scrm.services.insight import pull, views
from scrm.stores.insight import MemoryInsightStore
from scrm.tenancy import Scope
from tests.timing import Clock

A = "oa-1"
NOW = 1_764_576_000.0  # 2025-12-01 16:00 China time
YESTERDAY = "2025-11-30"
DAY = 86400


class FakeDatacube:
    """datacube/* as WeChat answers them: the span checked (61501 beyond it), end_date at most yesterday."""

    def __init__(self, clock):
        self.clock = clock
        self.calls: Counter = Counter()
        self.ranges: list[tuple[str, str, str]] = []
        self.refuse: dict[str, int] = {}
        self.down: set[str] = set()

    def datacube(self, api, begin, end):
        self.calls[api] += 1
        self.ranges.append((api, begin, end))
        if api in self.refuse:
            raise WeChatError(self.refuse[api], "api unauthorized", f"datacube/{api}")
        if api in self.down:
            raise WeChatUnavailable("WeChat down", endpoint=f"datacube/{api}")
        days = days_between(begin, end)
        assert len(days) <= MAX_SPAN[api], "61501 date range error"
        from scrm.domain.channels import day_of

        assert end < day_of(self.clock()), "end_date at most yesterday"
        return [self.row(api, d) for d in days]

    @staticmethod
    def row(api, day):
        n = int(day[-2:])
        return {"getusersummary": {"ref_date": day, "user_source": 30, "new_user": n, "cancel_user": 1},
                "getusercumulate": {"ref_date": day, "cumulate_user": 1000 + n},
                "getarticleread": {"ref_date": day, "msgid": "2247490098_1", "detail": {"read_user": 2 * n}},
                "getarticleshare": {"ref_date": day, "msgid": "2247490098_1", "detail": {"share_user": 3}},
                "getupstreammsg": {"ref_date": day, "msg_type": 1, "msg_user": 2, "msg_count": 5},
                "getinterfacesummary": {"ref_date": day, "callback_count": 10, "fail_count": 1,
                                        "total_time_cost": 500, "max_time_cost": 90}}[api]


@pytest.fixture
def world(monkeypatch):
    clock = Clock(NOW)
    store = MemoryInsightStore()
    bootstrap.reset(clock=clock, insight_store=store)
    wechat = FakeDatacube(clock)
    monkeypatch.setattr(pull, "gateway_of", lambda account_id: wechat)
    return clock, store, wechat


# ---------------------------------------------------------------- range splitting

day_sets = st.sets(st.integers(min_value=0, max_value=120), max_size=60)


@settings(deadline=None, max_examples=300)
@given(offsets=day_sets, span=st.sampled_from(sorted(set(MAX_SPAN.values())) + [2, 3, 15]))
def test_any_days_map_to_allowed_calls_covering_each_day_exactly_once(offsets, span):
    base = date(2025, 1, 1)
    days = [(base + timedelta(days=o)).isoformat() for o in offsets]
    calls = split_days(days, span)
    covered = [d for begin, end in calls for d in days_between(begin, end)]
    assert sorted(covered) == sorted(days), "every asked day once, and nothing else"
    assert all(len(days_between(b, e)) <= span for b, e in calls), "no call over the API's span"
    # consecutive days cost the fewest calls: each run of n days ceil(n / span)
    runs, prev = [], None
    for o in sorted(offsets):
        if prev is not None and o == prev + 1:
            runs[-1] += 1
        else:
            runs.append(1)
        prev = o
    assert len(calls) == sum(math.ceil(n / span) for n in runs)


def test_a_30_day_range_is_split_at_the_floor_per_api():
    days = window("2025-12-01")
    assert days[-1] == YESTERDAY and len(days) == BACKFILL_DAYS
    assert {api: len(split_days(days, MAX_SPAN[api])) for api in APIS} == {
        "getusersummary": 5, "getusercumulate": 5, "getarticleread": 30, "getarticleshare": 30, "getupstreammsg": 5,
        "getinterfacesummary": 1}


def test_yesterday_is_china_time():
    # 2025-12-01 00:30 China time is still 2025-11-30 16:30 UTC: yesterday is 2025-11-30 in China
    clock_now = 1_764_520_200.0
    from scrm.domain.channels import day_of

    assert day_of(clock_now) == "2025-12-01"
    assert window(day_of(clock_now))[-1] == "2025-11-30"


# ---------------------------------------------------------------- the pull


def test_a_first_run_back_fills_30_days_in_the_fewest_calls(world):
    _clock, store, wechat = world
    got = pull.pull_account(A)
    assert got["calls"] == {api: math.ceil(30 / MAX_SPAN[api]) for api in APIS}
    assert got["days"] == dict.fromkeys(APIS, 30)
    for api in APIS:
        assert sorted(store.days(Scope.system(A), A, api, "2025-01-01", "2025-12-31")) == window("2025-12-01")
    assert max(e for _a, _b, e in wechat.ranges) == YESTERDAY


def test_a_re_run_asks_nothing_and_the_next_day_asks_one_day(world):
    clock, store, wechat = world
    pull.pull_account(A)
    before = sum(wechat.calls.values())
    assert pull.pull_account(A)["calls"] == {}
    assert sum(wechat.calls.values()) == before
    clock.advance(DAY)
    got = pull.pull_account(A)
    assert got["calls"] == dict.fromkeys(APIS, 1) and got["days"] == dict.fromkeys(APIS, 1)
    assert all(r[1] == r[2] == "2025-12-01" for r in wechat.ranges[-len(APIS):])


def test_re_pulling_a_stored_day_rewrites_the_same_values_never_adds(world):
    _clock, store, _wechat = world
    pull.pull_account(A)
    first = views.figures(Scope.system(A), A, {"from": "2025-11-01", "to": YESTERDAY}, NOW)
    # the days are forgotten as pulled (as if a run crashed after writing): the next run writes them again
    for api in APIS:
        for day in window("2025-12-01")[-3:]:
            store.rows.pop((A, api, day))
    pull.pull_account(A)
    again = views.figures(Scope.system(A), A, {"from": "2025-11-01", "to": YESTERDAY}, NOW)
    assert again == first
    row = next(d for d in again["days"] if d["day"] == YESTERDAY)
    assert row["new_user"] == 30 and row["cancel_user"] == 1 and row["net_user"] == 29
    assert row["cumulate_user"] == 1030 and row["read_user"] == 60 and row["share_user"] == 3
    assert row["msg_count"] == 5 and row["callback_count"] == 10 and row["max_time_cost"] == 90
    assert row["by_source"] == [{"user_source": 30, "new_user": 30, "cancel_user": 1}]


def test_a_refused_api_is_recorded_and_paused_while_the_others_go_on(world):
    clock, store, wechat = world
    wechat.refuse["getarticleread"] = 48001
    got = pull.pull_account(A)
    assert got["refused"] == {"getarticleread": 48001}
    assert got["calls"]["getarticleread"] == 1, "one refusal stops that API for the run"
    assert all(got["days"][api] == 30 for api in APIS if api != "getarticleread")
    err = store.errors(Scope.system(A), A)["getarticleread"]
    assert err["errcode"] == 48001 and err["begin_date"] == "2025-11-01" and err["end_date"] == "2025-11-01"
    # the next days it is not asked again (not retried forever) ...
    clock.advance(DAY)
    assert "getarticleread" not in pull.pull_account(A)["calls"]
    # ... until a week has passed: asked once more, and cleared when WeChat answers
    wechat.refuse.clear()
    clock.advance(PAUSE_DAYS * DAY)
    got = pull.pull_account(A)
    assert got["calls"]["getarticleread"] == 30 and "getarticleread" not in store.errors(Scope.system(A), A)
    out = views.figures(Scope.system(A), A, {"from": YESTERDAY, "to": YESTERDAY}, clock())
    assert out["refusals"] == []


def test_wechat_down_for_one_api_is_made_up_by_the_next_run(world):
    _clock, store, wechat = world
    wechat.down.add("getusersummary")
    got = pull.pull_account(A)
    assert got["failed"] == ["getusersummary"] and got["days"]["getusercumulate"] == 30
    wechat.down.clear()
    got = pull.pull_account(A)  # not paused: the same day's run makes it up
    assert got["calls"] == {"getusersummary": 5} and got["days"] == {"getusersummary": 30}


def test_figures_are_null_for_days_not_pulled_and_the_csv_has_a_bom(world):
    _clock, _store, wechat = world
    wechat.refuse["getinterfacesummary"] = 61501
    pull.pull_account(A)
    out = views.figures(Scope.system(A), A, {"from": YESTERDAY, "to": "2025-12-01"}, NOW)
    yesterday, today = out["days"]
    assert yesterday["callback_count"] is None and yesterday["new_user"] == 30
    assert today["new_user"] is None and today["cumulate_user"] is None
    assert out["refusals"][0]["api"] == "getinterfacesummary" and out["refusals"][0]["errcode"] == 61501
    text = views.figures_csv(Scope.system(A), A, {"from": YESTERDAY, "to": YESTERDAY}, NOW)
    assert text.startswith("\ufeff")
    header, line = text.lstrip("\ufeff").strip().split("\r\n")
    assert header.split(",")[:5] == ["day", "new_user", "cancel_user", "net_user", "cumulate_user"]
    assert line.startswith(f"{YESTERDAY},30,1,29,1030,60,3,5,,")


def test_pull_all_covers_active_oa_accounts_only(world, monkeypatch):
    from types import SimpleNamespace

    accts = [SimpleNamespace(account_id="oa-1", kind="oa", status="active"),
             SimpleNamespace(account_id="oa-2", kind="oa", status="disabled"),
             SimpleNamespace(account_id="corp-1", kind="wecom", status="active")]
    monkeypatch.setattr(bootstrap, "account_list", lambda: SimpleNamespace(every_account=lambda: accts))
    got = pull.pull_all()
    assert got["accounts"] == 1 and got["days"] == 30 * len(APIS)


def test_datacube_urls_are_named_like_the_other_endpoints():
    from scrm.gateway.base import endpoint_path, is_idempotent

    assert endpoint_path("http://sandbox:1/oa/datacube/getusersummary?access_token=x") == "datacube/getusersummary"
    assert endpoint_path("https://api.weixin.qq.com/cgi-bin/menu/create") == "menu/create"
    assert is_idempotent("https://api.weixin.qq.com/datacube/getusercumulate"), "a read: retried under the policy"


def test_a_pulled_day_without_rows_is_zero_growth_but_no_made_up_total(world):
    _clock, store, _wechat = world
    store.put_day(Scope.system(A), A, "getusersummary", YESTERDAY, [], NOW)
    store.put_day(Scope.system(A), A, "getusercumulate", YESTERDAY, [], NOW)
    day = views.figures(Scope.system(A), A, {"from": YESTERDAY, "to": YESTERDAY}, NOW)["days"][0]
    assert (day["new_user"], day["cancel_user"], day["net_user"], day["by_source"]) == (0, 0, 0, [])
    assert day["cumulate_user"] is None and day["read_user"] is None
