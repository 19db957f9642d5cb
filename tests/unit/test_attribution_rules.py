"""Attribution rules: statistics are a function of the set of touches, so duplicates and any arrival
order give the same exact counters; retention and first/last touch follow event time."""

from __future__ import annotations

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from scrm.domain import attribution as rules
from scrm.domain.channels import UNKNOWN

T0 = 1_795_000_000
A = "acct"


def touch(kind, t, ch="c1", ident="o1", staff=None, scan=False, dk=None):
    return rules.make_touch(kind=kind, t=t, account_id=A, identity=ident, channel=ch,
                            dedupe_key=dk or f"{kind}|{ident}|{staff}|{t}", scan=scan, staff=staff)


def apply_all(arrivals):
    """Replay arrivals the way the worker does: skip duplicates, add deltas."""
    stored, counters = [], Counter()
    for t in arrivals:
        if rules.is_duplicate(stored, t["a"], t["d"]):
            continue
        after = stored + [t]
        for key, d in rules.delta(stored, after).items():
            counters[key] += d
        stored = after
    return counters, stored


def metric(counters, ch, name):
    return sum(v for (a, c, day, m), v in counters.items() if c == ch and m == name)


def test_follow_unfollow_refollow_in_order():
    seq = [touch("follow", T0, scan=True), touch("scan", T0 + 60, scan=True), touch("unfollow", T0 + 3600, "direct"),
           touch("follow", T0 + 7200, "c2", scan=True)]
    counters, _ = apply_all(seq)
    assert metric(counters, "c1", "new_follows") == 1 and metric(counters, "c1", "scans") == 2
    assert metric(counters, "c1", "unfollows") == 1 and metric(counters, "c1", "lost_d1") == 1
    assert metric(counters, "c2", "refollows") == 1 and metric(counters, "c2", "new_follows") == 0


def test_late_earlier_follow_turns_the_new_follow_into_a_refollow():
    early, late = touch("follow", T0, "c1"), touch("follow", T0 + 86400 * 3, "c2")
    unfollow = touch("unfollow", T0 + 86400 * 2, "direct")
    counters, _ = apply_all([late, unfollow, early])
    assert metric(counters, "c1", "new_follows") == 1 and metric(counters, "c2", "refollows") == 1
    assert metric(counters, "c2", "new_follows") == 0
    assert metric(counters, "c1", "lost_d7") == 1 and metric(counters, "c1", "lost_d1") == 0


def test_unfollow_without_a_known_follow_goes_to_unknown():
    counters, _ = apply_all([touch("unfollow", T0, "direct")])
    assert metric(counters, UNKNOWN, "unfollows") == 1


def test_wecom_relationships_are_per_staff():
    seq = [touch("add", T0, "s1", "wm1", "alice"), touch("add", T0 + 5, "s2", "wm1", "bob"),
           touch("del", T0 + 86400 * 10, "direct", "wm1", "alice")]
    counters, stored = apply_all(seq)
    assert metric(counters, "s1", "customers_added") == 1 and metric(counters, "s2", "customers_added") == 1
    assert metric(counters, "s1", "customers_lost") == 1 and metric(counters, "s1", "lost_d30") == 1
    assert metric(counters, "s1", "lost_d7") == 0
    summary = rules.summary(stored)
    assert summary["first_touch"]["channel"] == "s1" and summary["last_touch"]["channel"] == "s2"
    assert summary["relations"][f"{A}|wm1|alice"]["active"] is False
    assert summary["relations"][f"{A}|wm1|bob"]["active"] is True


KINDS = st.sampled_from(["follow", "scan", "unfollow"])
EVENT = st.tuples(KINDS, st.integers(0, 40 * 86400), st.sampled_from(["c1", "c2", "direct"]),
                  st.sampled_from(["o1", "o2"]))


@settings(max_examples=300)
@given(events=st.lists(EVENT, min_size=1, max_size=12, unique_by=lambda e: (e[0], e[1], e[3])),
       data=st.data())
def test_any_order_with_duplicates_gives_the_same_counters(events, data):
    touches = [touch(k, T0 + t, ch, ident, scan=(k == "scan" or (k == "follow" and ch != "direct")))
               for k, t, ch, ident in events]
    expected, _ = apply_all(sorted(touches, key=lambda t: t["t"]))
    arrivals = data.draw(st.permutations(touches + data.draw(st.lists(st.sampled_from(touches), max_size=6))))
    got, stored = apply_all(arrivals)
    assert +got == +expected
    assert +rules.contribution(stored) == +expected
    assert all(v >= 0 for v in got.values())  # no counter ever ends negative
    follows = sum(1 for t in touches if t["k"] == "follow")
    joined = sum(v for (a, c, d, m), v in got.items() if m in ("new_follows", "refollows"))
    assert joined == follows
    firsts = len({t["i"] for t in touches if t["k"] == "follow"})
    assert sum(v for (a, c, d, m), v in got.items() if m == "new_follows") == firsts


def test_trim_keeps_joins_and_drops_old_scans_first():
    many = [touch("scan", T0 + i, scan=True) for i in range(rules.MAX_TOUCHES + 5)]
    kept = rules.trim([touch("follow", T0 - 1)] + many)
    assert len(kept) == rules.MAX_TOUCHES and kept[0]["k"] == "follow"
