"""Every list is paged with the shared cursor: channels, channel statistics, pushes, segments and a push's batches.
Walking all pages gives every item exactly once, no request reads more than a page, and a cursor only works on
the listing (and account) that returned it."""

from __future__ import annotations

import json
import random
import time

import pytest

from scrm.services import channels
from scrm.tenancy import Scope


@pytest.fixture
def api(oa_account):
    from chalice.test import Client

    from app import app
    from scrm.services import admin_keys

    channels.forget_cache()
    _, key = admin_keys.issue(Scope.system(oa_account.account_id), oa_account.account_id, role="operator",
                              name="paging test")
    with Client(app) as client:
        def call(method, path, body=None):
            h = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
            return getattr(client.http, method.lower())(f"/accounts/{oa_account.account_id}{path}", headers=h,
                                                        body=None if body is None else json.dumps(body))
        yield call


def walk(api, path, key="items"):
    pages, seen, cursor = [], [], None
    while True:
        sep = "&" if "?" in path else "?"
        r = api("GET", path + (f"{sep}cursor={cursor}" if cursor else ""))
        assert r.status_code == 200, r.json_body
        pages.append(r.json_body)
        seen += r.json_body[key]
        cursor = r.json_body["next_cursor"]
        if not cursor:
            return pages, seen


def seed_channels(account_id, n, group_of=lambda i: "posters"):
    """Channel items written directly (what create_channel stores), without n QR calls to the sandbox."""
    from datetime import UTC, datetime

    from scrm.data.channels import ChannelItem

    stamp = datetime.now(UTC)
    ids = [f"{i:010x}" for i in range(1, n + 1)]
    with ChannelItem.batch_write() as w:
        for i, cid in enumerate(ids):
            defn = {"kind": "oa_qr", "name": f"Poster {i}", "group": group_of(i), "qr_type": "permanent"}
            w.save(ChannelItem(account_id, f"ch#{cid}", channel_id=cid, kind="oa_qr", name=defn["name"],
                               group=defn["group"], status="archived" if i % 10 == 9 else "active", scene=cid,
                               definition=json.dumps(defn), ticket="t", url="http://weixin.qq.com/q/x", version=1,
                               created_at=stamp, updated_at=stamp))
    return ids


def test_channels_walk_every_page_once(api, oa_account):
    ids = seed_channels(oa_account.account_id, 23)
    pages, items = walk(api, "/channels?limit=5&include_archived=true")
    assert [c["channel_id"] for c in items] == ids  # channel id order, none twice, none missing
    assert len(pages) == 5 and all(len(p["items"]) <= 5 for p in pages)
    _, active = walk(api, "/channels?limit=4")
    assert [c["channel_id"] for c in active] == [c for i, c in enumerate(ids) if i % 10 != 9]
    first = api("GET", "/channels?limit=5").json_body
    assert api("GET", f"/pushes?cursor={first['next_cursor']}").status_code == 400  # bound to its listing
    assert api("GET", "/channels?cursor=garbage").status_code == 400


def test_channel_stats_are_paged_by_channel_and_read_only_that_page(api, oa_account):
    from scrm.domain.channels import day_of
    from scrm.services import channel_stats

    a = oa_account.account_id
    ids = seed_channels(a, 12)
    now = time.time()
    day = day_of(now)
    deltas = {(a, cid, day, "new_follows"): i + 1 for i, cid in enumerate(ids)}
    deltas[(a, "unknown", day, "new_follows")] = 5
    from pynamodb.transactions import TransactWrite

    from scrm.data.channel_stats import ChannelStatItem

    rng = random.Random(7)
    for _ in range(3):  # three writes each, on random shards
        with TransactWrite(connection=ChannelStatItem._get_connection().connection) as tx:
            for item, actions in channel_stats.counter_updates(deltas, rng):
                tx.update(item, actions=actions)
    pages, rows = walk(api, "/channel-stats?limit=5", key="channels")
    got = [r["channel_id"] for r in rows]
    assert got == ["unknown"] + ids  # built-ins on the first page (direct has no rows), then id order
    assert {r["channel_id"]: r["new_follows"] for r in rows} == {"unknown": 15, **{c: 3 * (i + 1)
                                                                                   for i, c in enumerate(ids)}}
    for p in pages:  # each request read only the counters of its own channels
        shown = {r["channel_id"] for r in p["channels"]}
        assert p["items_read"] <= 3 * len(shown) and len(shown) <= 5 + 2
    one = api("GET", f"/channel-stats?channel_id={ids[3]}").json_body
    assert [r["new_follows"] for r in one["channels"]] == [12] and one["next_cursor"] is None
    assert one["items_read"] <= 3
    csv = api("GET", "/channel-stats.csv?limit=5")
    assert csv.status_code == 200 and csv.headers.get("X-Next-Cursor")
    assert len(csv.body.decode().splitlines()) == 1 + 1 + 5  # header, unknown, 5 channels (one day each)


def test_pushes_segments_and_batches_walk_every_page_once(api, oa_account, sandbox):
    from local.sandbox import SandboxClient
    from scrm.services.pushes import PushService
    from scrm.stores.pushes.dynamo import DynamoPushStore

    SandboxClient(sandbox.url).oa_followers(oa_account.app_id, count=30)
    send_at = "2099-01-01T09:00:00+08:00"
    made = [api("POST", "/pushes", {"name": f"p{i}", "content": {"type": "text", "text": f"hi {i}"},
                                    "audience": {"type": "all"}, "send_at": send_at}).json_body["push_id"]
            for i in range(7)]
    _, pushes = walk(api, "/pushes?limit=3")
    assert [p["push_id"] for p in pushes] == sorted(made, reverse=True)
    segs = [api("POST", "/segments", {"name": f"s{i}", "audience": {"type": "tags", "tag_ids": [i + 1]}}
                ).json_body["segment_id"] for i in range(5)]
    _, segments = walk(api, "/segments?limit=2")
    assert sorted(s["segment_id"] for s in segments) == sorted(segs) and len(segments) == 5
    # a push of 30 followers in batches of 3: its 10 batches, 4 a page
    from scrm import accounts
    from scrm.data.accounts import AccountRecord

    rec = AccountRecord.get(oa_account.account_id)
    rec.options = {**(rec.options.as_dict() if rec.options else {}), "push_batch_size": 3}
    rec.save()
    accounts.forget_cache()
    s = PushService(DynamoPushStore(Scope.system()))
    p = s.create(Scope.system(), oa_account.account_id, {"content": {"type": "text", "text": "batched"},
                                                          "audience": {"type": "all"}, "send_at": send_at,
                                                          "confirm": True})
    push = DynamoPushStore(Scope.system()).claim(oa_account.account_id, p["push_id"], "t", 5e9, 5e9 + 60)
    s._plan(push, accounts.get(oa_account.account_id), "t")
    pages, batches = walk(api, f"/pushes/{p['push_id']}/batches?limit=4")
    assert [b["no"] for b in batches] == list(range(1, 11))
    assert all(len(pg["items"]) <= 4 for pg in pages)
