"""An Official Account's own tags (tagid_list, read by the follower sync) reach the segment facts, so a rule
`tag has 100` holds the followers WeChat tagged, not only those a channel tagged. On the in-memory twins with a
fake OA: what the sync tells (first seen with tags, changed tags; nothing when nothing changed), each follower's
facts taking it once however often it is delivered, an older answer never taking off a newer channel tag, WeCom
tags kept, and a crash between telling and writing losing nothing."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from scrm import accounts, bootstrap
from scrm.domain import followers as follower_rules
from scrm.domain import segments as rules
from scrm.services import followers
from scrm.services.followers import common, sync
from scrm.services.segments import admin, facts
from scrm.stores.channels import MemoryChannelStore
from scrm.stores.contacts import MemoryContactStore
from scrm.stores.segments import DUPLICATE, MemorySegmentStore
from scrm.stores.tags import MemoryTagStore
from scrm.tenancy import Scope
from tests.unit.fake_oa_followers import FakeFollowers

OA = "oa-tags"
SCOPE = Scope.system(OA)
NOW = 1_780_000_000


@pytest.fixture
def oa(monkeypatch):
    w = SimpleNamespace(steps=[], told=[], fake=FakeFollowers(), segments=MemorySegmentStore(), now=NOW)

    def enqueue(message: dict) -> None:
        (w.told if message["kind"] == follower_rules.TAGS_SEEN_KIND else w.steps).append(message)

    bootstrap.reset(clock=lambda: w.now, contact_store=MemoryContactStore(), segment_store=w.segments,
                    channel_store=MemoryChannelStore(), tag_store=MemoryTagStore(), follower_queue=enqueue)
    monkeypatch.setattr(common, "oa_account", lambda account_id: SimpleNamespace(account_id=account_id, kind="oa"))
    monkeypatch.setattr(common, "gateway_of", lambda account: w.fake)
    monkeypatch.setattr(accounts, "get", lambda a, **_: SimpleNamespace(account_id=a, kind="oa", options={}))
    return w


def run_sync(w) -> None:
    followers.start_sync(SCOPE, OA)
    while w.steps:
        sync.on_sync_step(w.steps.pop(0))


def deliver(w, times: int = 2) -> list[dict]:
    """The event worker's part, each message delivered `times` times (SQS delivers at least once)."""
    out = [facts.on_follower_tags(m) for m in w.told for _ in range(times)]
    w.told.clear()
    return out


def tagged(tag: str) -> int:
    return admin.preview(SCOPE, OA, {"rule": {"field": "tag", "op": "has", "value": tag}, "sample": 1})["count"]


def test_a_sync_tells_the_segments_who_wechat_tagged_and_each_follower_counts_once(oa):
    oa.fake.add(250)  # every 4th follower has one tag: 100, 101 or 102 by number
    run_sync(oa)
    sizes = [len(m["event"]["tags"]) for m in oa.told]  # a message per profile transaction
    assert sum(sizes) == 63 and max(sizes) <= follower_rules.TAGS_SEEN_BATCH  # 250 / 4, rounded up
    outcomes = deliver(oa)
    assert [o["facts"] for o in outcomes[::2]] == [{"written": n} for n in sizes]
    assert [o["facts"] for o in outcomes[1::2]] == [{DUPLICATE: n} for n in sizes]
    expected = {t: sum(1 for i in range(0, 250, 4) if 100 + i % 3 == int(t)) for t in ("100", "101", "102")}
    assert {t: tagged(t) for t in expected} == expected
    run_sync(oa)  # nothing changed at WeChat: nothing to tell
    assert oa.told == []


def test_tags_changed_at_wechat_replace_the_oa_tags_and_keep_wecom_ones(oa):
    [first] = oa.fake.add(1)
    oa.fake.changed[first] = {"tagid_list": [100, 105]}
    run_sync(oa)
    deliver(oa)
    key = f"oa:{OA}:{first}"
    book = bootstrap.contact_store().open_book(SCOPE, OA).partition
    # a WeCom tag on the same person (a contact way's tags, say): WeChat's OA answer says nothing about it
    facts.record(OA, "oa", first, {"kind": rules.MESSAGE, "t": NOW + 1, "tags": ["etWeCom"]}, "wecom-tag")
    oa.now = NOW + 100
    oa.fake.changed[first] = {"tagid_list": [105]}  # tag 100 taken off at WeChat
    run_sync(oa)
    [told] = oa.told
    assert told["event"]["tags"] == {first: ["105"]}
    deliver(oa)
    assert oa.segments.facts(SCOPE, OA, book, [key])[key]["tags"] == ["etWeCom", "105"]
    assert (tagged("100"), tagged("105")) == (0, 1)


def test_an_older_answer_never_takes_off_a_tag_given_after_it():
    person = rules.apply_event(rules.empty_facts("k"), {"kind": rules.FOLLOW, "t": NOW + 50, "identity": "i",
                                                        "channel": "ch", "tags": ["100"]})
    late = rules.apply_event(person, {"kind": rules.OA_TAGS, "t": NOW, "identity": "i", "tags": ["105"]})
    assert late["tags"] == ["100", "105"]  # the sync read WeChat before the channel's tag: only added
    newer = rules.apply_event(late, {"kind": rules.OA_TAGS, "t": NOW + 60, "identity": "i", "tags": ["105"]})
    assert newer["tags"] == ["105"]
    stale = rules.apply_event(newer, {"kind": rules.OA_TAGS, "t": NOW + 55, "identity": "i", "tags": ["100"]})
    assert stale["tags"] == ["105", "100"]  # older than the last answer: added, never replacing it


def test_a_sync_answer_does_not_bring_back_a_follower_who_left_after_it():
    left = rules.apply_event(rules.empty_facts("k"), {"kind": rules.UNFOLLOW, "t": NOW + 10, "identity": "i"})
    late = rules.apply_event(left, {"kind": rules.OA_TAGS, "t": NOW, "identity": "i", "tags": ["100"]})
    assert late["gone"] == ["i"]


def test_a_crash_after_telling_and_before_writing_loses_no_tags(oa):
    oa.fake.add(8)
    followers.start_sync(SCOPE, OA)
    bootstrap.contact_store().fail_next_save = 1
    with pytest.raises(ConnectionError):
        sync.on_sync_step(oa.steps.pop(0))
    told_before = [dict(m["event"]["tags"]) for m in oa.told]
    oa.steps.insert(0, {"account_id": OA, "kind": sync.SYNC_KIND, "dedupe_key": "redelivered",
                        "event": {"run": followers.sync_status(SCOPE, OA)["run"], "step": 0}})
    while oa.steps:
        sync.on_sync_step(oa.steps.pop(0))
    assert told_before and all(m["event"]["tags"] == told_before[0] for m in oa.told)  # told again, the same
    deliver(oa, times=1)
    assert tagged("100") + tagged("101") + tagged("102") == 2  # followers 0 and 4, once each
