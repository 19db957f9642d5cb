"""The contact store's follower part, for the in-memory twin and DynamoDB (moto) alike: profiles written with
their counter moves all or nothing under version conditions, counters summed over shards, profiles paged in
openid order, and the sync state's conditional write."""

from __future__ import annotations

import pytest

from tests.contract.stores import IMPLEMENTATIONS, make_store

A, B = "oa-a", "oa-b"


@pytest.fixture(params=IMPLEMENTATIONS)
def store(request):
    return make_store(request, "contacts", "ContactStore")


def prof(openid: str, **values) -> dict:
    return {"openid": openid, "subscribe": 1, "language": "zh_CN", "subscribe_scene": "ADD_SCENE_QR_CODE",
            "subscribe_time": 1_700_000_000, "tagid_list": [2], "remark": "", "unionid": None, "run": "r1",
            "as_of": 10, **values}


def test_profiles_and_counter_moves_are_written_together_and_conditionally(store):
    assert store.save_follower_profiles(A, [(None, prof("o1")), (None, prof("o2", language="en"))],
                                        {"total": 2, "language:zh_CN": 1, "language:en": 1}, shard=3)
    got = store.follower_profiles(A, ["o1", "o2", "o3"])
    assert set(got) == {"o1", "o2"} and got["o2"]["language"] == "en" and got["o1"]["version"] == 1
    assert got["o1"]["run"] == "r1" and got["o1"]["tagid_list"] == [2]
    # a stale version refuses the whole write: neither profile nor counter moves
    assert not store.save_follower_profiles(A, [(1, prof("o1", language="ja")), (None, prof("o2"))],
                                            {"language:ja": 1, "language:zh_CN": -1}, shard=0)
    assert store.follower_profiles(A, ["o1"])["o1"]["language"] == "zh_CN"
    assert store.save_follower_profiles(A, [(1, prof("o1", language="ja"))], {"language:ja": 1, "language:zh_CN": -1},
                                        shard=5)
    assert store.follower_counts(A) == {"total": 2, "language:en": 1, "language:ja": 1}
    assert store.follower_counts(B) == {}


def test_profiles_page_in_openid_order(store):
    store.save_follower_profiles(A, [(None, prof(f"o{i}")) for i in range(5)], {}, shard=0)
    store.save_follower_profiles(B, [(None, prof("o9"))], {}, shard=0)
    first, nxt = store.follower_profiles_page(A, None, 3)
    assert [p["openid"] for p in first] == ["o0", "o1", "o2"] and nxt == "o2"
    rest, end = store.follower_profiles_page(A, nxt, 3)
    assert [p["openid"] for p in rest] == ["o3", "o4"] and end is None


def test_the_sync_state_is_written_only_over_the_version_read(store):
    assert store.follower_sync(A) is None
    assert store.save_follower_sync(A, {"run": "r1", "step": 0, "tags": {"2": "会员"}}, None)
    assert not store.save_follower_sync(A, {"run": "r2", "step": 0}, None)
    state = store.follower_sync(A)
    assert state["version"] == 1 and state["tags"] == {"2": "会员"}
    assert store.save_follower_sync(A, {**state, "step": 1}, 1)
    assert not store.save_follower_sync(A, {**state, "step": 2}, 1)
    assert store.follower_sync(A)["step"] == 1
