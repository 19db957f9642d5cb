"""The channel store's contract, for the in-memory twin and DynamoDB (moto) alike."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from scrm.errors import Forbidden
from scrm.stores.channels.base import SHARDS, new_channel
from scrm.tenancy import Scope
from tests.contract.channel_stores import IMPLEMENTATIONS, make_stores

A, B = "acct-a", "acct-b"
SYS = Scope.system(A)
STAMP = datetime(2026, 12, 1, 8, 30, 15, 123000, tzinfo=UTC)


@pytest.fixture(params=IMPLEMENTATIONS)
def stores(request):
    return make_stores(request)


def channel(channel_id: str, **values) -> dict:
    defn = {"kind": values.pop("kind", "oa_qr"), "name": f"Poster {channel_id}", "group": values.pop("group", "g"),
            "tags": [101]}
    return new_channel(A, defn, channel_id=channel_id, kind=defn["kind"], name=defn["name"], group=defn["group"],
                       status=values.pop("status", "active"), scene=f"s-{channel_id}", version=1, created_at=STAMP,
                       updated_at=STAMP, **values)


def test_a_scene_belongs_to_one_channel(stores):
    s = stores.channels
    assert s.reserve_scene(SYS, A, "sc", "poster", "c1")
    assert not s.reserve_scene(SYS, A, "sc", "poster", "c2")
    assert s.reserve_scene(Scope.system(B), B, "sc", "poster", "c9")  # another account's scene is its own
    assert s.owner_of(SYS, A, "sc", "poster") == "c1" and s.owner_of(SYS, A, "st", "poster") is None
    s.release_scene(SYS, A, "sc", "poster")
    s.release_scene(SYS, A, "sc", "poster")  # idempotent
    assert s.owner_of(SYS, A, "sc", "poster") is None
    assert s.reserve_scene(SYS, A, "sc", "poster", "c2")


def test_permanent_codes_are_counted_under_a_limit(stores):
    s = stores.channels
    assert s.count_permanent(SYS, A, +1, limit=2) and s.count_permanent(SYS, A, +1, limit=2)
    assert not s.count_permanent(SYS, A, +1, limit=2)
    s.count_permanent(SYS, A, -1)
    assert s.count_permanent(SYS, A, +1, limit=2)


def test_channels_round_trip_and_change_only_over_their_version(stores):
    s = stores.channels
    c = channel("c1", kind="wecom_contact_way", config_id="cfg", users=["u1"], users_updated_at=5, upkeep="way")
    s.put_channel(SYS, c)
    assert s.get_channel(SYS, A, "c1") == c and s.get_channel(SYS, A, "c1", consistent=False) == c
    assert s.get_channel(SYS, A, "nope") is None
    assert s.active_ways() == [(A, "c1")]
    changed = dict(c, name="Renamed", version=2)
    assert not s.replace_channel(SYS, changed, expect_version=7)
    assert s.replace_channel(SYS, changed, expect_version=1)
    assert s.get_channel(SYS, A, "c1")["name"] == "Renamed"
    assert not s.update_channel(SYS, A, "c1", {"users": ["u2"]}, expect_version=1)
    assert s.update_channel(SYS, A, "c1", {"users": ["u2"], "version": 3}, expect_version=2)
    assert s.update_channel(SYS, A, "c1", {"status": "archived", "upkeep": None})
    after = s.get_channel(SYS, A, "c1")
    assert (after["users"], after["version"], after["status"], after["upkeep"]) == (["u2"], 3, "archived", None)
    assert s.active_ways() == []
    with pytest.raises(KeyError):
        s.update_channel(SYS, A, "nope", {"name": "x"})


def test_pages_follow_channel_id_order_and_filter_what_they_read(stores):
    s = stores.channels
    for i in range(5):
        s.put_channel(SYS, channel(f"c{i}", status="archived" if i == 1 else "active",
                                   group="even" if i % 2 == 0 else "odd"))
    seen, start = [], None
    while True:
        items, start = s.page_channels(SYS, A, limit=2, start=start)
        seen.append([c["channel_id"] for c in items])
        if start is None:
            break
    assert seen == [["c0", "c1"], ["c2", "c3"], ["c4"]]
    first, cursor = s.page_channels(SYS, A, limit=2, status="active")
    assert [c["channel_id"] for c in first] == ["c0"] and cursor is not None  # c1 was read, not returned
    assert [c["channel_id"] for c in s.page_channels(SYS, A, limit=10, group="even")[0]] == ["c0", "c2", "c4"]
    assert [c["channel_id"] for c in s.all_channels(SYS, A)] == ["c0", "c1", "c2", "c3", "c4"]
    with pytest.raises(ValueError):
        s.page_channels(Scope.system(B), B, limit=2, start=cursor)


def test_every_account_read_and_write_checks_the_scope(stores):
    s, other = stores.channels, Scope.system(B)
    s.put_channel(SYS, channel("c1"))
    for call in (lambda: s.get_channel(other, A, "c1"), lambda: s.put_channel(other, channel("c2")),
                 lambda: s.page_channels(other, A, limit=5), lambda: s.all_channels(other, A),
                 lambda: s.owner_of(other, A, "sc", "x"), lambda: s.reserve_scene(other, A, "sc", "x", "c3"),
                 lambda: s.read_counts(other, A, ["c1"], "2026-01-01", "2026-01-02"),
                 lambda: s.adds_on(other, A, "c1", "2026-01-01"), lambda: s.taggings_of(other, A, {"o"}),
                 lambda: s.update_channel(other, A, "c1", {"name": "x"})):
        with pytest.raises(Forbidden):
            call()


def test_counters_are_sharded_and_summed_on_read(stores):
    s, rng = stores.channels, random.Random(7)
    for _ in range(40):
        s.add_counts(SYS, A, {(A, "c1", "2026-12-01", "new_follows"): 1, (A, "c1", "2026-12-02", "scans"): 2,
                              (A, "c2", "2026-12-01", "unfollows"): 1}, rng)
    stores.commit(A, s.counter_writes({(A, "c1", "2026-12-01", "new_follows"): 5}, rng))
    counts, reads = s.read_counts(SYS, A, ["c1"], "2026-12-01", "2026-12-31")
    assert counts[("c1", "2026-12-01")]["new_follows"] == 45 and counts[("c1", "2026-12-02")]["scans"] == 80
    assert set(counts) == {("c1", "2026-12-01"), ("c1", "2026-12-02")}  # c2 not read
    assert 2 < reads <= 2 * SHARDS  # one item per (channel, day, shard) written
    assert s.read_counts(SYS, A, ["c1"], "2026-12-02", "2026-12-02")[0].keys() == {("c1", "2026-12-02")}
    with pytest.raises(ValueError):
        s.add_counts(SYS, A, {(B, "c1", "2026-12-01", "scans"): 1})


def test_the_rotation_counter_is_marked_capped_once(stores):
    s = stores.channels
    stores.commit(A, [s.cap_write(A, "c1", "u1", "2026-12-01", 1000.0)])
    assert s.adds_on(SYS, A, "c1", "2026-12-01") == {"u1": 1}
    assert not s.mark_capped(SYS, A, "c1", "2026-12-01", "u1", cap=2, at=1000.0)  # under the cap
    stores.commit(A, [s.cap_write(A, "c1", "u1", "2026-12-01", 1001.0)])
    assert s.mark_capped(SYS, A, "c1", "2026-12-01", "u1", cap=2, at=1001.0)
    assert not s.mark_capped(SYS, A, "c1", "2026-12-01", "u1", cap=2, at=1002.0)  # someone already did
    s.unmark_capped(SYS, A, "c1", "2026-12-01", "u1")
    assert s.mark_capped(SYS, A, "c1", "2026-12-01", "u1", cap=2, at=1003.0)
    assert s.adds_on(SYS, A, "c1", "2026-12-02") == {}


def test_taggings_are_queued_found_and_dropped(stores):
    s = stores.channels
    stores.commit(A, s.tagging_writes(A, "oa", "o-1", None, [101, 102], 50.0)
                  + s.tagging_writes(A, "wecom", "wm-1", "staff1", ["t1", "t2"], 60.0))
    pending = s.pending_taggings()[A]
    oa = sorted((t["tag"], t["openid"], t["queued_at"]) for t in pending if t["platform"] == "oa")
    assert oa == [(101, "o-1", 50), (102, "o-1", 50)]
    (way,) = [t for t in pending if t["platform"] == "wecom"]
    assert (way["userid"], way["external_userid"], way["tags"]) == ("staff1", "wm-1", ["t1", "t2"])
    assert len(s.taggings_of(SYS, A, {"o-1"})) == 2 and s.taggings_of(SYS, A, {"o-2"}) == []
    s.delete_taggings([t for t in pending if t["platform"] == "oa"])
    s.delete_taggings([t for t in pending if t["platform"] == "oa"])  # idempotent
    assert [t["platform"] for t in s.pending_taggings()[A]] == ["wecom"]
