"""Follower profiles on the in-memory twin with a fake OA: the sync's batching (100 a batchget, 10,000 a page),
resuming from the saved cursor after a crash with nothing counted twice, unfollowers marked by the sweep, the
follow/unfollow events, and the counters moving exactly once (hypothesis: counters always equal a recount)."""

from __future__ import annotations

from collections import Counter
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scrm import bootstrap
from scrm.domain import followers as rules
from scrm.errors import Conflict, ValidationError, WeChatBusy, WeChatError
from scrm.services import followers
from scrm.services.followers import common, sync
from scrm.stores.contacts import MemoryContactStore
from scrm.tenancy import Scope
from tests.unit.fake_oa_followers import FakeFollowers

A = "oa-1"
SCOPE = Scope.system(A)
NOW = 1_780_000_000


@pytest.fixture
def oa(monkeypatch):
    queue: list[dict] = []  # the sync's own steps
    told: list[dict] = []  # what it tells the segment facts (tests/unit/test_segments.py takes it from there)

    def enqueue(message: dict) -> None:
        (told if message["kind"] == rules.TAGS_SEEN_KIND else queue).append(message)

    store = MemoryContactStore()
    bootstrap.reset(clock=lambda: NOW, contact_store=store, follower_queue=enqueue)
    fake = FakeFollowers()
    monkeypatch.setattr(common, "oa_account", lambda account_id: SimpleNamespace(account_id=account_id, kind="oa"))
    monkeypatch.setattr(common, "gateway_of", lambda account: fake)
    return SimpleNamespace(fake=fake, queue=queue, store=store, told=told)


def drain(oa, limit=10_000):
    """Run queued sync steps (the event worker's part) until none is left."""
    results = []
    while oa.queue and limit:
        msg = oa.queue.pop(0)
        results.append(sync.on_sync_step(msg))
        limit -= 1
    return results


def recount(oa) -> dict[str, int]:
    counts: Counter = Counter()
    for p in oa.store.profiles.values():
        for k in rules.counter_keys(p):
            counts[k] += 1
    return dict(counts)


def test_sync_batches_100_a_call_and_10000_a_page(oa):
    oa.fake.add(25_050)
    followers.start_sync(SCOPE, A)
    drain(oa)
    assert oa.fake.calls["user/info/batchget"] == 251  # ceil(25,050 / 100)
    assert oa.fake.calls["user/get"] == 3  # the third page is short: no call for an empty page
    state = followers.sync_status(SCOPE, A)
    assert state["phase"] == "done" and state["listed"] == 25_050 and state["written"] == 25_050
    assert oa.store.follower_counts(A) == recount(oa)
    assert oa.store.follower_counts(A)["total"] == 25_050


def test_exactly_10000_followers_take_one_user_get(oa):
    oa.fake.add(10_000)
    followers.start_sync(SCOPE, A)
    drain(oa)
    assert oa.fake.calls["user/get"] == 1  # total reached: the page after the last is not asked for


def test_breakdown_names_tags_and_carries_the_notes(oa):
    oa.fake.add(40)
    followers.start_sync(SCOPE, A)
    drain(oa)
    b = followers.breakdown(SCOPE, A)
    assert b["total"] == 40
    assert {r["language"]: r["count"] for r in b["by_language"]} == {"zh_CN": 24, "en": 8, "zh_TW": 8}
    assert {r["name"] for r in b["by_tag"]} == {"会员", "VIP", "门店"}
    assert sum(r["count"] for r in b["by_tag"]) == 10
    assert sum(r["count"] for r in b["by_subscribe_month"]) == 40
    assert "2021" in b["notes"]["zh"] and "gender" in b["notes"]["en"] and "昵称" in b["notes"]["zh"]
    text = followers.breakdown_csv(SCOPE, A)
    assert text.startswith("\ufeffdimension,value,name,count\r\n")
    assert "tag,100,会员," in text and "note,en," in text


def test_a_crash_mid_page_resumes_from_the_cursor_and_counts_once(oa):
    oa.fake.add(30_000)
    followers.start_sync(SCOPE, A)
    drain(oa, limit=1)  # page 1 done
    oa.store.fail_next_save = 1
    with pytest.raises(ConnectionError):
        drain(oa, limit=1)  # page 2 crashes part-way (some transactions written, one not)
    assert followers.sync_status(SCOPE, A)["step"] == 1  # the cursor did not move
    oa.queue.insert(0, {"account_id": A, "kind": sync.SYNC_KIND, "dedupe_key": "redelivered",
                        "event": {"run": followers.sync_status(SCOPE, A)["run"], "step": 1}})
    drain(oa)
    assert oa.fake.calls["user/get"] == 4  # page 2 asked twice, nothing else repeated
    assert oa.store.follower_counts(A) == recount(oa)
    assert oa.store.follower_counts(A)["total"] == 30_000


def test_a_duplicate_or_old_step_changes_nothing_and_a_lost_successor_is_queued_again(oa):
    oa.fake.add(20_001)
    followers.start_sync(SCOPE, A)
    first = oa.queue[0]
    drain(oa, limit=1)
    oa.queue.clear()  # crash between saving the cursor and queueing step 1
    assert sync.on_sync_step(first)["queued"] == 1  # the redelivered step 0 queues step 1 again
    drain(oa)
    assert sync.on_sync_step(first) == {"ignored": "not the running sync"}
    assert oa.store.follower_counts(A)["total"] == 20_001 == len(oa.store.profiles)


def test_a_second_sync_marks_unfollowers_and_moves_changed_counts_once(oa):
    made = oa.fake.add(500)
    followers.start_sync(SCOPE, A)
    drain(oa)
    oa.fake.gone.update(made[:7])
    oa.fake.changed[made[10]] = {"language": "ja"}
    before = oa.store.follower_counts(A)
    followers.start_sync(SCOPE, A)
    drain(oa)
    after = oa.store.follower_counts(A)
    assert after["total"] == 493
    assert after["language:ja"] == 1
    assert followers.sync_status(SCOPE, A)["unfollowed"] == 7
    assert after == recount(oa)
    assert sum(v for k, v in before.items() if k.startswith("language:")) - 7 == sum(
        v for k, v in after.items() if k.startswith("language:"))
    assert followers.profile(SCOPE, A, made[0])["subscribe"] is False


def test_one_invalid_openid_in_a_batch_is_found_by_halving(oa):
    oa.fake.add(150)
    oa.fake.order.insert(40, "bogus-openid")  # user/get lists it, batchget refuses the whole call (40003)
    followers.start_sync(SCOPE, A)
    drain(oa)
    assert oa.store.follower_counts(A)["total"] == 150
    # 2 batches + halving the bad one: 100 -> 50 -> 25 -> 13 -> 7 -> 4 -> 2 -> 1, both halves each time
    assert oa.fake.calls["user/info/batchget"] < 2 + 2 * 8
    assert oa.store.follower_profiles(A, ["bogus-openid"])["bogus-openid"]["subscribe"] == 0


def test_a_busy_wechat_fails_the_step_and_the_retry_resumes(oa):
    oa.fake.add(120)
    oa.fake.faults.append(("user/info/batchget", WeChatBusy(-1, "system busy", "user/info/batchget")))
    followers.start_sync(SCOPE, A)
    msg = oa.queue[0]
    with pytest.raises(WeChatBusy):
        drain(oa)
    oa.queue.append(msg)
    drain(oa)
    assert oa.store.follower_counts(A)["total"] == 120


def test_a_running_sync_refuses_a_second_start(oa):
    oa.fake.add(3)
    followers.start_sync(SCOPE, A)
    with pytest.raises(Conflict):
        followers.start_sync(SCOPE, A)


def test_unfollow_and_follow_events_move_counts_once_in_event_order(oa):
    made = oa.fake.add(5)
    followers.start_sync(SCOPE, A)
    drain(oa)
    unfollow = {"account_id": A, "kind": "oa.unsubscribe", "dedupe_key": "d1",
                "event": {"Event": "unsubscribe", "FromUserName": made[0], "CreateTime": NOW + 10}}
    assert sync.on_follow_event(unfollow) == {"followers": "unfollowed"}
    assert sync.on_follow_event(unfollow) == {"followers": "no change"}  # redelivered
    assert oa.store.follower_counts(A)["total"] == 4
    oa.fake.changed[made[0]] = {"subscribe_time": NOW + 20, "subscribe_scene": "ADD_SCENE_QR_CODE"}
    follow = {"account_id": A, "kind": "oa.subscribe", "dedupe_key": "d2",
              "event": {"Event": "subscribe", "FromUserName": made[0], "CreateTime": NOW + 20}}
    assert sync.on_follow_event(follow) == {"followers": "followed"}
    assert sync.on_follow_event(unfollow) == {"followers": "no change"}  # older than the follow
    assert oa.store.follower_counts(A) == recount(oa) and recount(oa)["total"] == 5


def test_events_of_an_account_that_never_synced_are_ignored(oa):
    ev = {"account_id": A, "kind": "oa.unsubscribe", "dedupe_key": "d",
          "event": {"Event": "unsubscribe", "FromUserName": "ox"}}
    assert "ignored" in sync.on_follow_event(ev)


def test_a_profile_is_read_and_an_unknown_one_is_not_found(oa):
    made = oa.fake.add(2)
    followers.start_sync(SCOPE, A)
    drain(oa)
    p = followers.profile(SCOPE, A, made[1])
    assert p["unionid"] == "u1" and p["language"] == "zh_CN" and p["subscribe"] is True
    assert p["subscribed_at"].endswith("+08:00")
    with pytest.raises(Exception, match="no follower profile"):
        followers.profile(SCOPE, A, "nobody")
    with pytest.raises(ValidationError):
        followers.profile(SCOPE, A, "x" * 65)


def test_batchget_errors_other_than_gone_are_raised(oa):
    calls = Counter()

    class Refusing:
        def follower_infos(self, openids):
            raise WeChatError(48001, "api unauthorized", "user/info/batchget")

    with pytest.raises(WeChatError):
        sync.fetch_infos(Refusing(), ["a", "b"], calls)


# --- the rule: counters moved by deltas always equal a recount of the profiles

profiles = st.fixed_dictionaries({
    "subscribe": st.sampled_from([0, 1, 1]),
    "language": st.sampled_from(["zh_CN", "en", "zh_TW", ""]),
    "subscribe_scene": st.sampled_from(["ADD_SCENE_QR_CODE", "ADD_SCENE_SEARCH"]),
    "subscribe_time": st.integers(0, 2_000_000_000),
    "tagid_list": st.lists(st.integers(2, 6), max_size=4, unique=True),
    "remark": st.just(""), "unionid": st.none()})


@settings(deadline=None, max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), st.one_of(st.none(), profiles)), max_size=30))
def test_counters_moved_by_deltas_equal_a_recount(changes):
    state: dict[str, dict] = {}
    counts: dict[str, int] = {}
    for openid, new in changes:
        old = state.get(openid)
        counts = rules.add(counts, rules.delta(old, new))
        if new is None:
            state.pop(openid, None)
        else:
            state[openid] = new
    expected: Counter = Counter()
    for p in state.values():
        for k in rules.counter_keys(p):
            expected[k] += 1
    assert counts == dict(expected)


@settings(deadline=None, max_examples=100)
@given(st.lists(st.tuples(st.one_of(st.none(), profiles), profiles), max_size=60), st.integers(10, 100))
def test_packing_keeps_every_write_within_the_transaction_limit(changes, limit):
    groups = rules.pack(changes, limit)
    assert [c for g in groups for c in g] == changes
    for g in groups:
        moved = set().union(*(set(rules.delta(*c)) for c in g))
        assert len(g) == 1 or len(g) + len(moved) <= limit


def test_erasure_deletes_the_profile_and_takes_its_counts_off_once(oa):
    made = oa.fake.add(4)
    followers.start_sync(SCOPE, A)
    drain(oa)
    found = sync.erase(A, [made[0]], True)
    assert found[0]["follower_profile"]["openid"] == made[0]
    assert sync.erase(A, [made[0]], True) == []  # again: nothing left, nothing moved
    assert oa.store.follower_counts(A)["total"] == 3 == recount(oa)["total"]
