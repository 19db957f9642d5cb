"""The channels capability's use cases on the in-memory stores (no moto, no sandbox): channel admin and paging,
resolving scenes and states, attribution counted once per event, statistics summed over shards, taggings in
batches, contact-way rotation. The DynamoDB side of the same conditions is tests/contract/; the whole path
over moto and the sandbox is tests/integration/test_attribution.py and test_channels_api.py."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from scrm import bootstrap
from scrm.domain import attribution as rules
from scrm.domain.channels import DIRECT, day_of
from scrm.domain.instants import answer_time
from scrm.errors import Conflict, Forbidden, NotFound
from scrm.services import channels
from scrm.services.channels import attribution, common, stats, tagging
from scrm.stores.channels import MemoryChannelStore
from scrm.stores.contacts import MemoryContactStore
from scrm.stores.journeys import MemoryJourneyStore
from scrm.stores.pushes import MemoryPushStore
from scrm.stores.tags import MemoryTagStore
from scrm.tenancy import Scope
from tests.timing import Clock

OA, WECOM = "oa-1", "corp-1"
NOW = 1_764_576_000.0  # 2025-12-01 08:00 China time: fixed, never the machine's clock


class FakeWeChat:
    """The gateway surface the channel use cases call, recording every call."""

    def __init__(self):
        self.calls: list[tuple[str, dict]] = []
        self.tickets = 0
        self.fail_batches = 0
        self.client = SimpleNamespace(qrcode=SimpleNamespace(create=self._qrcode))

    def _qrcode(self, request: dict) -> dict:
        self.tickets += 1
        self.calls.append(("qrcode/create", request))
        out = {"ticket": f"T{self.tickets}", "url": f"http://weixin.qq.com/q/{self.tickets}"}
        return {**out, "expire_seconds": request["expire_seconds"]} if "expire_seconds" in request else out

    def post(self, path: str, body: dict) -> dict:
        self.calls.append((path, body))
        if path == "tags/members/batchtagging" and self.fail_batches:
            from scrm.errors import WeChatBusy

            self.fail_batches -= 1
            raise WeChatBusy(-1, "system busy")
        if path == "externalcontact/add_contact_way":
            return {"config_id": "cfg-1", "qr_code": "https://wework.example/qr.png"}
        return {}

    def get(self, path: str, **params) -> dict:
        self.calls.append((path, params))
        return {}

    def corp_tags(self, tag_ids=None, group_ids=None) -> list[dict]:
        self.calls.append(("externalcontact/get_corp_tag_list", {"tag_id": tag_ids, "group_id": group_ids}))
        return [{"group_id": "g-1", "group_name": "门店", "order": 0, "create_time": 1, "deleted": False,
                 "tag": [{"id": "et-1", "name": "门店客户", "order": 0, "create_time": 1, "deleted": False}]}]

    def mark_tag(self, userid: str, external_userid: str, tags: list) -> None:
        self.calls.append(("mark_tag", {"userid": userid, "external_userid": external_userid, "tags": tags}))

    def paths(self, path: str) -> list[dict]:
        return [body for p, body in self.calls if p == path]


@pytest.fixture
def world(monkeypatch):
    store, contacts, wechat = MemoryChannelStore(), MemoryContactStore(), FakeWeChat()
    # journeys hear of the taggings applied (scrm.services.journeys.tagged): their twins, not DynamoDB
    bootstrap.reset(channel_store=store, contact_store=contacts, tag_store=MemoryTagStore(),
                    journey_store=MemoryJourneyStore(), push_store=MemoryPushStore())
    known = {OA: SimpleNamespace(account_id=OA, kind="oa", options={}),
             WECOM: SimpleNamespace(account_id=WECOM, kind="wecom", options={})}

    def account_of(account_id, allow_disabled=False):
        return known[account_id]

    monkeypatch.setattr(common, "account_of", account_of)
    monkeypatch.setattr(common, "gateway_of", lambda account: wechat)
    return SimpleNamespace(store=store, contacts=contacts, wechat=wechat)


def poster(name="Poster", **extra) -> dict:
    return {"kind": "oa_qr", "name": name, "group": "posters", "qr_type": "temporary", "expire_seconds": 86400,
            **extra}


def subscribe(scene: str | None, openid: str, t: float, key: str | None = None) -> dict:
    event = {"FromUserName": openid, "CreateTime": int(t), "Event": "subscribe",
             "EventKey": f"qrscene_{scene}" if scene else ""}
    return {"account_id": OA, "kind": "oa.subscribe", "event": event,
            "dedupe_key": key or f"{openid}|{int(t)}|subscribe"}


# --- admin

def test_create_update_archive_a_channel(world):
    scope = Scope.system(OA)
    ch = channels.create_channel(scope, OA, poster(tags=[101]), now=NOW)
    assert (ch["status"], ch["ticket"], ch["expires_at"], ch["tags"]) == ("active", "T1", answer_time(int(NOW) + 86400),
                                                                           [101])
    assert channels.resolve(OA, "sc", ch["scene"]) == ch["channel_id"]
    changed = channels.update_channel(scope, OA, ch["channel_id"], {"name": "Poster B"}, now=NOW + 60)
    assert changed["name"] == "Poster B" and world.store.get_channel(scope, OA, ch["channel_id"])["version"] == 2
    renewed = channels.renew_qrcode(scope, OA, ch["channel_id"], now=NOW + 120)
    assert renewed["ticket"] == "T2" and renewed["expires_at"] == answer_time(int(NOW) + 120 + 86400)
    assert channels.archive_channel(scope, OA, ch["channel_id"])["status"] == "archived"
    assert channels.archive_channel(scope, OA, ch["channel_id"])["status"] == "archived"  # twice is harmless
    with pytest.raises(Conflict):
        channels.update_channel(scope, OA, ch["channel_id"], {"name": "again"}, now=NOW)
    assert channels.resolve(OA, "sc", ch["scene"]) == ch["channel_id"]  # archived codes still attribute
    with pytest.raises(NotFound):
        channels.get_channel(scope, OA, "nope")


def test_a_scene_belongs_to_one_channel_and_a_failed_create_leaves_nothing(world):
    scope = Scope.system(OA)
    channels.create_channel(scope, OA, poster(scene_str="spring"), now=NOW)
    with pytest.raises(Conflict):
        channels.create_channel(scope, OA, poster(scene_str="spring"), now=NOW)
    world.store.permanent[OA] = 100_000  # WeChat's limit reached
    with pytest.raises(Conflict):
        channels.create_channel(scope, OA, {"kind": "oa_qr", "name": "P", "group": "g", "qr_type": "permanent",
                                            "scene_str": "summer"}, now=NOW)
    assert world.store.owner_of(scope, OA, "sc", "summer") is None  # the reservation was released
    assert world.store.permanent[OA] == 100_000 and world.wechat.tickets == 1


def test_another_accounts_key_is_refused(world):
    ch = channels.create_channel(Scope.system(OA), OA, poster(), now=NOW)
    stranger = Scope(account_id=WECOM, key_id="k1")
    with pytest.raises(Forbidden):
        channels.get_channel(stranger, OA, ch["channel_id"])
    with pytest.raises(Forbidden):
        channels.list_channels_page(stranger, OA)


def test_listing_is_paged_in_channel_id_order(world):
    scope = Scope.system(OA)
    made = sorted(channels.create_channel(scope, OA, poster(f"P{i}"), now=NOW)["channel_id"] for i in range(5))
    channels.archive_channel(scope, OA, made[0])
    pages, start = [], None
    while True:
        items, start = channels.list_channels_page(scope, OA, limit=2, start=start, include_archived=True)
        pages.append([c["channel_id"] for c in items])
        if start is None:
            break
    assert pages == [made[0:2], made[2:4], made[4:]]
    assert [c["channel_id"] for c in channels.list_channels_page(scope, OA, limit=10)[0]] == made[1:]
    listed = channels.list_channels(scope, OA)  # the small-account list: by group, then name
    assert sorted(c["channel_id"] for c in listed) == made[1:] and [c["name"] for c in listed] == sorted(
        c["name"] for c in listed)


# --- resolving and welcome

def test_scene_and_state_resolve_to_their_channel_with_its_welcome(world):
    oa = channels.create_channel(Scope.system(OA), OA, poster(welcome={"text": "欢迎"}), now=NOW)
    way = channels.create_channel(Scope.system(WECOM), WECOM, {
        "kind": "wecom_contact_way", "name": "Store", "group": "stores", "staff": ["alice", "bob"]}, now=NOW)
    assert channels.resolve(WECOM, "st", way["state"]) == way["channel_id"]
    assert channels.resolve(OA, "sc", "no-such-scene") is None and channels.resolve(OA, "sc", "x" * 129) is None
    assert channels.definition(OA, DIRECT) is None
    account = SimpleNamespace(account_id=OA, kind="oa")
    event = {"Event": "subscribe", "EventKey": f"qrscene_{oa['scene']}"}
    assert channels.welcome_for(account, event) == {"type": "text", "content": "欢迎"}
    assert channels.welcome_for(account, {"Event": "subscribe", "EventKey": ""}) is None
    assert world.wechat.paths("externalcontact/add_contact_way")[0]["user"] == ["alice", "bob"]


# --- attribution and statistics

def test_attribution_counts_each_event_once(world):
    ch = channels.create_channel(Scope.system(OA), OA, poster(), now=NOW)
    event = subscribe(ch["scene"], "o-1", NOW)
    first = attribution.on_oa_event(event)
    assert first["channel"] == ch["channel_id"] and first["deltas"] >= 1
    assert attribution.on_oa_event(event) == {"duplicate": True, "contact_id": first["contact_id"]}
    attribution.on_oa_event(subscribe(None, "o-2", NOW + 5))  # a direct follow
    report = stats.report(Scope.system(OA), OA, {}, NOW)
    rows = {r["channel_id"]: r for r in report["channels"]}
    assert rows[ch["channel_id"]]["new_follows"] == 1 and rows[DIRECT]["new_follows"] == 1
    contact = attribution.find_contact(Scope.system(OA), OA, openid="o-1")
    assert contact["contact_id"] == first["contact_id"] and len(contact["touches"]) == 1


def test_an_event_without_its_time_is_dated_by_the_containers_clock(world, monkeypatch):
    monkeypatch.setattr(bootstrap.container(), "clock", lambda: NOW + 42)  # the injected clock, not the machine's
    event = subscribe(None, "o-9", NOW)
    del event["event"]["CreateTime"]
    attribution.on_oa_event(event)
    assert [t["at"] for t in attribution.find_contact(Scope.system(OA), OA, openid="o-9")["touches"]] == [
        answer_time(datetime.fromtimestamp(int(NOW) + 42, UTC))]


def test_a_concurrent_change_to_the_person_is_read_again_not_lost(world):
    ch = channels.create_channel(Scope.system(OA), OA, poster(), now=NOW)
    real = world.contacts.record_contact
    raced = []

    def record(book, contact, **kw):  # another worker writes the same person first, once
        if not raced:
            raced.append(real(book, dict(contact, touches=[]), **{**kw, "also": []}))
        return real(book, contact, **kw)

    world.contacts.record_contact = record
    result = attribution.on_oa_event(subscribe(ch["scene"], "o-1", NOW))
    assert raced == [True] and "contact_id" in result
    counts, _ = world.store.read_counts(Scope.system(OA), OA, [ch["channel_id"]], day_of(NOW), day_of(NOW))
    assert counts[(ch["channel_id"], day_of(NOW))]["new_follows"] == 1


def test_statistics_sum_the_shards_and_derive_growth(world):
    ch = channels.create_channel(Scope.system(OA), OA, poster(), now=NOW)
    cid, day, rng = ch["channel_id"], day_of(NOW), random.Random(3)
    for _ in range(30):
        world.store.add_counts(Scope.system(OA), OA, {(OA, cid, day, "new_follows"): 2,
                                                      (OA, cid, day, "unfollows"): 1}, rng)
    report = stats.report(Scope.system(OA), OA, {"channel_id": cid}, NOW)
    (row,) = report["channels"]
    assert (row["new_follows"], row["unfollows"], row["net_growth"]) == (60, 30, 30)
    assert 1 < report["items_read"] <= report["shards"]  # spread over shards, summed on read
    assert stats.report_csv(Scope.system(OA), OA, {"channel_id": cid}, NOW).splitlines()[1].startswith(day)


# --- taggings

def test_taggings_go_in_batches_of_50_and_a_partial_batch_waits(world):
    clock = Clock(NOW)
    ch = channels.create_channel(Scope.system(OA), OA, poster(tags=[7]), now=clock())
    for i in range(70):
        touch = rules.make_touch(kind=rules.FOLLOW, t=int(clock()), account_id=OA, identity=f"o-{i:02d}",
                                 channel=ch["channel_id"], dedupe_key=f"d{i}", scan=True)
        attribution.attribute(OA, "oa", f"o-{i:02d}", touch, now=clock())
    first = tagging.flush_taggings(clock())
    assert first == {"calls": 1, "applied": 50, "failed": 0}
    assert len(world.wechat.paths("tags/members/batchtagging")[0]["openid_list"]) == 50
    world.wechat.fail_batches = 1
    assert tagging.flush_taggings(clock.advance(tagging.TAG_MAX_DELAY))["failed"] == 20  # kept for later
    assert tagging.flush_taggings(clock())["applied"] == 20
    assert tagging.flush_taggings(clock.advance(1), force=True)["calls"] == 0


def test_a_wecom_add_tags_the_relationship_and_counts_against_the_cap(world):
    way = channels.create_channel(Scope.system(WECOM), WECOM, {
        "kind": "wecom_contact_way", "name": "Store", "group": "stores", "tags": ["et-1"],
        "staff": [{"userid": "alice", "daily_cap": 1}, "bob"]}, now=NOW)
    assert way["tag_names"] == [{"tag_id": "et-1", "name": "门店客户", "group_name": "门店", "deleted": False}]
    event = {"ChangeType": "add_external_contact", "UserID": "alice", "ExternalUserID": "wm-1",
             "State": way["state"], "CreateTime": int(NOW)}
    result = attribution.on_wecom_event({"account_id": WECOM, "kind": "wecom.x", "event": event, "dedupe_key": "k1"})
    assert result["way_updated"] is True  # alice reached her cap: taken off the way at once
    assert world.wechat.paths("externalcontact/update_contact_way")[-1]["user"] == ["bob"]
    assert tagging.flush_taggings(NOW, force=True) == {"calls": 1, "applied": 1, "failed": 0}
    assert world.wechat.paths("mark_tag") == [{"userid": "alice", "external_userid": "wm-1", "tags": ["et-1"]}]
    assert channels.upkeep(NOW) == {"checked": 1, "updated": 0, "failed": 0}
