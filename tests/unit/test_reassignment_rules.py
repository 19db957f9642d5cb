"""Reassignment rules: batching, balance, re-offers, outcomes of WeCom answers, the 90-day rule."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scrm.domain import reassignment as r

ids = st.lists(st.text(alphabet="abcdef0123456789", min_size=1, max_size=8), unique=True, max_size=700)
staff = st.lists(st.sampled_from([f"s{i}" for i in range(12)]), unique=True, min_size=1, max_size=12)


@given(ids, staff)
def test_batches_hold_at_most_100_of_one_takeover_and_cover_every_target_once(targets, takeovers):
    assignment = r.assign_round_robin(targets, takeovers)
    out = r.batches(assignment)
    flat = [t for _, batch in out for t in batch]
    assert sorted(flat) == sorted(targets)  # none lost, none twice
    for takeover, batch in out:
        assert 1 <= len(batch) <= r.MAX_BATCH
        assert all(assignment[t] == takeover for t in batch)
    # the floor: ceil(n/100) per takeover, no more
    per = {}
    for t in targets:
        per[assignment[t]] = per.get(assignment[t], 0) + 1
    assert len(out) == sum(-(-n // 100) for n in per.values())


@given(ids, staff)
def test_round_robin_balance_is_within_one(targets, takeovers):
    assignment = r.assign_round_robin(targets, takeovers)
    counts = [sum(1 for v in assignment.values() if v == s) for s in takeovers]
    assert max(counts) - min(counts) <= 1


@given(ids, st.dictionaries(st.sampled_from([f"s{i}" for i in range(8)]), st.integers(0, 300), min_size=1))
def test_least_loaded_fills_the_lowest_first(targets, loads):
    assignment = r.assign_least_loaded(targets, loads)
    final = dict(loads)
    for s in assignment.values():
        final[s] += 1
    floor = min(final.values())
    for s, got in final.items():
        if got > loads[s]:  # anyone who received customers ends at most one above the lowest
            assert got <= floor + 1


@given(staff, st.data())
def test_next_takeover_never_repeats_and_prefers_the_least_served(takeovers, data):
    tried = data.draw(st.lists(st.sampled_from(takeovers), unique=True))
    received = {s: data.draw(st.integers(0, 5)) for s in takeovers}
    nxt = r.next_takeover(takeovers, tried, received)
    left = [s for s in takeovers if s not in tried]
    if not left:
        assert nxt is None
    else:
        assert nxt in left and received[nxt] == min(received[s] for s in left)


def test_batch_size_is_capped_at_100():
    with pytest.raises(r.PlanError):
        r.batches({"a": "s"}, size=101)


@pytest.mark.parametrize("code,state", [(0, r.WAITING), (40100, r.WAITING), (40129, r.WAITING),
                                        (40099, r.LIMIT_EXCEEDED), (40128, r.FAILED), (40096, r.FAILED),
                                        (40131, r.FAILED), (12345, r.FAILED)])
def test_per_customer_errcodes(code, state):
    out = r.submit_outcome(code)
    assert out.state == state
    if state == r.FAILED:
        assert out.reason  # failed always says why


def test_transfer_result_statuses():
    assert r.result_outcome(1).state == r.DONE
    assert r.result_outcome(2).state == r.WAITING
    assert r.result_outcome(3).state == r.REFUSED
    assert r.result_outcome(4).state == r.LIMIT_EXCEEDED
    assert r.result_outcome(5) is None


def test_chat_outcomes():
    assert r.chat_outcome(0).state == r.DONE
    assert r.chat_outcome(90508).state == r.DONE  # already inherited: it is where it should be
    assert r.chat_outcome(90500, "owner not resigned").state == r.FAILED


@given(st.lists(st.integers(0, 200 * 86400), max_size=6), st.integers(0, 200 * 86400))
def test_onjob_rule_two_in_ninety_days(times, now):
    recent = [t for t in times if now - r.ONJOB_WINDOW_SECONDS < t]
    assert r.onjob_allowed(times, now) == (len(recent) < 2)


def test_candidates_by_strategy():
    p = r.Policy(strategy="same_department", departments={"h": [2], "a": [2], "b": [3], "c": [2, 3]})
    assert r.candidates(p, ["h", "a", "b", "c"], "h") == ["a", "c"]
    p = r.Policy(strategy="tag", tag="vip", staff_tags={"a": ["vip"], "b": []})
    assert r.candidates(p, ["h", "a", "b"], "h") == ["a"]
    p = r.Policy(pool=("x", "h", "y"))
    assert r.candidates(p, ["x", "y", "h"], "h") == ["x", "y"]  # never the handover
    with pytest.raises(r.PlanError):
        r.candidates(r.Policy(), ["h"], "h")
    with pytest.raises(r.PlanError):
        r.Policy(strategy="tag")


def test_summary_counts_every_item_once():
    c = r.summarize([r.DONE, r.DONE, r.WAITING, r.FAILED])
    assert c["total"] == 4 and c["open"] == 1 and c["done"] == 2
