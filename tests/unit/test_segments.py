"""Segments on the in-memory twins: facts kept exactly once from events (redelivered ones change nothing), an OA
follower and a WeCom customer joined by unionid into one person (and an openid's record folded in once its unionid
is known), rules validated with field paths, previews answered through the index (items read grow with the
matches), RFM bands and the built-in VIP segment, deleted channels and tags flagged, the CSV export and a push
audience naming a rule segment."""

from __future__ import annotations

import csv
import io
from collections import Counter
from types import SimpleNamespace

import pytest

from scrm import accounts, bootstrap
from scrm.domain import segments as rules
from scrm.errors import NotFound, ValidationError
from scrm.services.segments import admin, facts, hand_off
from scrm.stores.channels import MemoryChannelStore
from scrm.stores.contacts import MemoryContactStore
from scrm.stores.segments import DUPLICATE, WRITTEN, MemorySegmentStore
from scrm.stores.tags import MemoryTagStore
from scrm.tenancy import Scope

OA, CORP = "oa-seg", "corp-seg"
SCOPE = Scope.system(OA)
NOW = 1_780_000_000
DAY = 86400


@pytest.fixture
def world(monkeypatch):
    w = SimpleNamespace(segments=MemorySegmentStore(), contacts=MemoryContactStore(), channels=MemoryChannelStore(),
                        now=NOW, queued=[])
    bootstrap.reset(clock=lambda: w.now, segment_store=w.segments, contact_store=w.contacts,
                    channel_store=w.channels, tag_store=MemoryTagStore(), segment_events=w.queued.append)
    kinds = {OA: "oa", CORP: "wecom", "acct": "oa"}
    monkeypatch.setattr(accounts, "get", lambda a, **_: SimpleNamespace(account_id=a, kind=kinds[a], options={}))
    return w


def event(kind: str, openid: str, key: str, t: int = NOW, **ev) -> dict:
    return {"account_id": OA, "platform": "oa", "kind": kind, "dedupe_key": key,
            "event": {"FromUserName": openid, "CreateTime": t, **ev}}


def message(openid: str, key: str, t: int = NOW) -> dict:
    return facts.on_message(event("oa.text", openid, key, t, MsgType="text"))


def deliver(world) -> list:
    """The event worker's part: apply what draws and redemptions queued (each message delivered twice)."""
    handlers = {"campaign.draw": facts.on_draw, "campaign.redemption": facts.on_redemption}
    out = [handlers[m["kind"]](m) for m in world.queued for _ in range(2)]
    world.queued.clear()
    return out


def draw(world, openid: str, draw_id: str, won: bool = True, campaign: str = "camp") -> None:
    hand_off.draw_made(OA, campaign, {"draw_id": draw_id, "openid": openid, "outcome": "win" if won else "thanks",
                                   "at": NOW})
    deliver(world)


def person(world, key: str, book: str = OA) -> dict:
    return world.segments.facts(SCOPE, OA, book, [key])[key]


def preview(rule: dict, sample: int = 20) -> dict:
    return admin.preview(SCOPE, OA, {"rule": rule, "sample": sample})


# ---------------------------------------------------------------- facts, exactly once


def test_a_redelivered_event_changes_the_facts_once(world):
    assert message("o1", "m-1") == {"facts": WRITTEN}
    assert message("o1", "m-1") == {"facts": DUPLICATE}
    message("o1", "m-2", NOW + 60)
    facts.on_menu_click(event("oa.click", "o1", "c-1", NOW + 120, Event="CLICK", EventKey="SIGN_IN"))
    facts.on_menu_click(event("oa.click", "o1", "c-1", NOW + 120, Event="CLICK", EventKey="SIGN_IN"))
    f = person(world, "oa:oa-seg:o1")
    assert f["counts"] == {"messages": 2, "menu_clicks": 1}
    assert (f["last_message"], f["last_menu_click"], f["last_interaction"]) == (NOW + 60, NOW + 120, NOW + 120)
    assert f["days"] == {rules.day_key(NOW): 3}


def test_draws_wins_and_redemptions_count_once_even_when_answered_again(world):
    won = {"draw_id": "d1", "openid": "o1", "outcome": "win", "at": NOW}
    hand_off.draw_made(OA, "camp", won)
    hand_off.draw_made(OA, "camp", won)  # the same request id answered again from its record
    hand_off.draw_made(OA, "camp", {"draw_id": "d2", "openid": "o1", "outcome": "thanks", "at": NOW})
    hand_off.prize_redeemed(OA, "camp", "o1", "d1", NOW + 10)
    hand_off.prize_redeemed(OA, "camp", "o1", "d1", NOW + 10)
    w, d = WRITTEN, DUPLICATE
    assert [r["facts"] for r in deliver(world)] == [w, d, d, d, w, d, w, d, d, d]  # each message delivered twice
    f = person(world, "oa:oa-seg:o1")
    assert f["counts"] == {"draws": 2, "wins": 1, "redemptions": 1}
    assert f["last_redemption"] == NOW + 10


def test_an_unfollow_leaves_the_identity_out_of_a_push_until_it_follows_again(world):
    facts.on_oa_follow(event("oa.subscribe", "o1", "f-1", Event="subscribe"))
    message("o1", "m-1")
    facts.on_oa_follow(event("oa.unsubscribe", "o1", "u-1", NOW + 5, Event="unsubscribe"))
    seg = admin.create(SCOPE, OA, {"name": "说过话", "rule": {"field": "messages", "op": "gte", "value": 1}})
    left = Counter()
    assert admin.recipients(SCOPE, OA, seg["segment_id"], left) == [] and left == {"unfollowed": 1}
    facts.on_oa_follow(event("oa.subscribe", "o1", "f-2", NOW + 9, Event="subscribe"))
    assert admin.recipients(SCOPE, OA, seg["segment_id"], Counter()) == ["o1"]


def test_a_follow_through_a_channel_records_the_channel_its_tags_and_the_first_touch(world):
    world.channels.put_channel(Scope.system(OA), {"account_id": OA, "channel_id": "store-1", "status": "active",
                                                  "name": "门店", "definition": {"tags": [101]}})
    world.channels.pointers[(OA, "sc", "store-1")] = "store-1"
    facts.on_oa_follow(event("oa.subscribe", "o1", "f-1", NOW - 3 * DAY, Event="subscribe",
                             EventKey="qrscene_store-1"))
    f = person(world, "oa:oa-seg:o1")
    assert (f["channels"], f["tags"], f["first_touch"]) == (["store-1"], ["101"], NOW - 3 * DAY)


def _join(world, book_partition_owner: str, unionid: str, identities: list[str]):
    book = world.contacts.open_book(Scope.system(book_partition_owner), book_partition_owner)
    world.contacts.record_contact(book, {"contact_id": "c-" + unionid, "unionid": unionid, "identities": identities,
                                         "touches": [], "first_touch": None, "last_touch": None, "version": 1,
                                         "created_at": NOW, "updated_at": NOW},
                                  expected_version=None, new_pointers=identities + [f"u:{unionid}"])


def test_a_follower_and_a_customer_with_one_unionid_are_one_person(world):
    world.contacts.set_members(Scope.system(), "acme", [OA, CORP], lambda a: True)
    _join(world, OA, "U1", ["oa:oa-seg:o1", "wecom:corp-seg:wm1"])
    message("o1", "m-1")
    facts.on_wecom_contact({"account_id": CORP, "platform": "wecom", "kind": "wecom.change_external_contact."
                            "add_external_contact", "dedupe_key": "w-1",
                            "event": {"ChangeType": "add_external_contact", "ExternalUserID": "wm1",
                                      "UserID": "zhang", "CreateTime": NOW - DAY}})
    f = world.segments.facts(SCOPE, OA, "book#acme", ["u:U1"])["u:U1"]
    assert sorted(f["identities"]) == ["oa:oa-seg:o1", "wecom:corp-seg:wm1"]
    assert f["first_touch"] == NOW - DAY and f["counts"] == {"messages": 1}
    assert rules.identities_on(f, CORP) == ["wm1"] and rules.identities_on(f, OA) == ["o1"]


def test_an_openids_record_folds_into_the_unionids_once_it_is_known(world):
    message("o1", "m-1")
    draw(world, "o1", "d1")
    _join(world, OA, "U7", ["oa:oa-seg:o1"])  # the sync (or a follow) learns the unionid afterwards
    message("o1", "m-2", NOW + 1)
    found = world.segments.facts(SCOPE, OA, OA, ["oa:oa-seg:o1", "u:U7"])
    assert list(found) == ["u:U7"]
    assert found["u:U7"]["counts"] == {"messages": 2, "draws": 1, "wins": 1}
    assert preview({"field": "wins", "op": "gte", "value": 1})["count"] == 1  # no stale index entry either


# ---------------------------------------------------------------- rules


def test_every_wrong_condition_is_named_at_its_path(world):
    with pytest.raises(ValidationError) as refused:
        preview({"all": [{"field": "tag", "op": "gte", "value": "t1"},
                         {"any": [{"field": "wins", "op": "gte", "value": "many"},
                                  {"field": "rfm.r", "op": "eq", "value": 9},
                                  {"field": "last_message", "op": "after", "value": "yesterday"}]}]})
    assert [e["field"] for e in refused.value.details["errors"]] == [
        "rule.all[0].op", "rule.all[1].any[0].value", "rule.all[1].any[1].value", "rule.all[1].any[2].value"]
    with pytest.raises(ValidationError) as refused:
        preview({"all": [{"field": "tag", "op": "has", "value": "t"}], "field": "tag"})
    assert refused.value.field == "rule"


# ---------------------------------------------------------------- preview through the index


def _crowd(world, n: int, winners: int):
    for i in range(n):
        message(f"o{i}", f"m-{i}", NOW - (i % 200) * DAY)
    for i in range(winners):
        draw(world, f"o{i}", f"d{i}")


def test_a_preview_reads_the_matches_not_every_contact(world):
    _crowd(world, 600, 12)
    found = preview({"field": "wins", "op": "gte", "value": 1}, sample=5)
    assert found["count"] == 12 and len(found["sample"]) == 5
    assert found["items_read"] == 24  # 12 index entries + 12 facts records, of 600 contacts
    assert found["plan"] == {"index": ["wins"], "scan": False}
    assert found["sample"][0]["identities"] and set(found["sample"][0]["rfm"]) == {"r", "f", "m"}


def test_all_picks_the_most_selective_index_and_tests_the_rest(world):
    _crowd(world, 300, 10)
    rule = {"all": [{"field": "last_message", "op": "within_days", "value": 2},
                    {"field": "wins", "op": "gte", "value": 1}]}
    found = preview(rule)
    assert found["plan"]["index"] == ["wins"] and found["count"] == 3  # o0..o9 won; o0, o1, o2 spoke lately
    assert found["items_read"] == 20
    rule["all"][0]["value"] = 0
    assert preview(rule)["count"] == 1
    any_rule = {"any": [{"field": "wins", "op": "gte", "value": 1},
                        {"field": "first_touch", "op": "before", "value": rules.iso_day(NOW - 150 * DAY)}]}
    both = preview(any_rule)
    assert both["plan"]["index"] == ["wins", "first"] and not both["plan"]["scan"]


def test_a_rule_no_index_answers_reads_every_contact_and_says_so(world):
    _crowd(world, 50, 0)
    found = preview({"field": "wins", "op": "eq", "value": 0})
    assert found["count"] == 50 and found["plan"]["scan"] is True and found["items_read"] == 100


def test_vip_is_built_in_and_follows_the_accounts_bands(world):
    for i in range(30):
        for k in range(i % 12):
            message(f"o{i}", f"m-{i}-{k}", NOW - k * 3600)
        for k in range(i % 8):
            draw(world, f"o{i}", f"d{i}-{k}")
    listed, _ = admin.page(SCOPE, OA)
    assert listed[0]["segment_id"] == "vip" and listed[0]["builtin"] is True
    b = rules.DEFAULT_BANDS
    expected = sum(1 for i in range(30) if (i % 12) + (i % 8) >= b.frequency[2] and i % 8 >= b.value[2])
    vip = admin.get(SCOPE, OA, "vip")
    assert vip["size"] == expected > 0
    admin.put_rfm(SCOPE, OA, {"recency_days": [1, 2, 3, 4], "frequency": [1, 2, 3, 4], "value": [1, 2, 3, 4],
                              "window_days": 30, "weights": {"wins": 1}})
    easier = sum(1 for i in range(30) if (i % 12) + (i % 8) >= 3 and i % 8 >= 3)
    assert admin.get(SCOPE, OA, "vip")["size"] == easier > expected
    assert admin.get_rfm(SCOPE, OA)["weights"] == {"draws": 0, "redemptions": 0, "wins": 1}


def test_rfm_bands_are_refused_when_not_ascending(world):
    with pytest.raises(ValidationError) as refused:
        admin.put_rfm(SCOPE, OA, {"recency_days": [7, 7, 30, 90], "frequency": [1, 2, 3, 4],
                                  "value": [1, 2, 3, 4], "weights": {"wins": 101}})
    assert {e["field"] for e in refused.value.details["errors"]} == {"recency_days", "weights"}
    assert admin.get_rfm(SCOPE, OA) == rules.DEFAULT_BANDS.to_dict()


def test_recency_scores_move_with_the_clock_without_rewriting(world):
    message("o1", "m-1")
    rule = {"field": "rfm.r", "op": "gte", "value": 5}
    assert preview(rule)["count"] == 1
    world.now = NOW + 8 * DAY  # past the 7-day band: score 4 now
    assert preview(rule)["count"] == 0 and preview({**rule, "value": 4})["count"] == 1


# ---------------------------------------------------------------- saved segments, flags, CSV


def test_a_segment_naming_a_deleted_or_archived_channel_is_flagged(world):
    world.channels.put_channel(Scope.system(OA), {"account_id": OA, "channel_id": "old", "status": "archived",
                                                  "name": "旧", "definition": {}})
    seg = admin.create(SCOPE, OA, {"name": "渠道", "rule": {"any": [
        {"field": "channel", "op": "has", "value": "old"}, {"field": "channel", "op": "has", "value": "gone"}]}})
    assert seg["flags"] == [{"field": "rule.any[0]", "problem": "channel_archived", "value": "old"},
                            {"field": "rule.any[1]", "problem": "channel_deleted", "value": "gone"}]
    assert admin.get(SCOPE, OA, seg["segment_id"])["flags"] == seg["flags"]


def test_the_segment_list_flags_each_row_reading_each_channel_once(world, monkeypatch):
    world.channels.put_channel(Scope.system(OA), {"account_id": OA, "channel_id": "old", "status": "archived",
                                                  "name": "旧", "definition": {}})
    gone = {"field": "channel", "op": "has", "value": "gone"}
    first = admin.create(SCOPE, OA, {"name": "一", "rule": {"all": [gone, {"field": "wins", "op": "gte", "value": 1}]}})
    second = admin.create(SCOPE, OA, {"name": "二", "rule": {"any": [
        {"field": "channel", "op": "has", "value": "old"}, gone]}})
    clean = admin.create(SCOPE, OA, {"name": "三", "rule": {"field": "wins", "op": "gte", "value": 1}})
    reads = []
    real = world.channels.get_channel
    monkeypatch.setattr(world.channels, "get_channel", lambda *a, **k: reads.append(a[2]) or real(*a, **k))
    page, _ = admin.page(SCOPE, OA, limit=10)
    by_id = {s["segment_id"]: s["flags"] for s in page}
    assert by_id[first["segment_id"]] == [{"field": "rule.all[0]", "problem": "channel_deleted", "value": "gone"}]
    assert by_id[second["segment_id"]] == [{"field": "rule.any[0]", "problem": "channel_archived", "value": "old"},
                                           {"field": "rule.any[1]", "problem": "channel_deleted", "value": "gone"}]
    assert by_id[clean["segment_id"]] == [] and by_id["vip"] == []
    assert sorted(reads) == ["gone", "old"]


def test_a_wecom_segment_naming_a_deleted_tag_is_flagged(world, monkeypatch):
    from scrm.services import tags

    monkeypatch.setattr(tags, "deleted_ids", lambda scope, account_id, ids: [t for t in ids if t == "et-gone"])
    found = admin.preview(Scope.system(CORP), CORP, {"rule": {"all": [
        {"field": "tag", "op": "has", "value": "et-live"}, {"field": "tag", "op": "lacks", "value": "et-gone"}]}})
    assert found["flags"] == [{"field": "rule.all[1]", "problem": "tag_deleted", "value": "et-gone"}]


def test_segments_are_listed_got_exported_and_deleted(world):
    _crowd(world, 20, 3)
    seg = admin.create(SCOPE, OA, {"name": "中奖", "rule": {"field": "wins", "op": "gte", "value": 1}})
    assert admin.get(SCOPE, OA, seg["segment_id"])["size"] == 3
    rows = list(csv.DictReader(io.StringIO(admin.export_csv(SCOPE, OA, seg["segment_id"]).lstrip("\ufeff"))))
    assert sorted(r["identities"] for r in rows) == ["o0", "o1", "o2"] and {r["wins"] for r in rows} == {"1"}
    page, after = admin.page(SCOPE, OA, limit=1)
    assert [s["segment_id"] for s in page] == ["vip", seg["segment_id"]] and after is None
    assert admin.delete(SCOPE, OA, seg["segment_id"])["deleted"]
    with pytest.raises(NotFound):
        admin.get(SCOPE, OA, seg["segment_id"])
    with pytest.raises(ValidationError):
        admin.delete(SCOPE, OA, "vip")


# ---------------------------------------------------------------- a push to a rule segment


def test_a_push_to_a_rule_segment_reaches_its_members_once_and_counts_who_left(world):
    from tests.unit.test_push_service import body, make, run_until_done

    svc, _store, gw, clock = make(account=None)  # account "acct", an OA, 25 followers o00000..o00024
    clock.now = NOW
    scope = Scope.system("acct")

    def on(kind: str, openid: str, key: str, **ev):
        payload = {"account_id": "acct", "platform": "oa", "kind": kind, "dedupe_key": key,
                   "event": {"FromUserName": openid, "CreateTime": NOW - 60, **ev}}
        return {"oa.text": facts.on_message, "oa.unsubscribe": facts.on_oa_follow}[kind](payload)

    for i in range(6):
        on("oa.text", f"o{i:05d}", f"m{i}", MsgType="text")
    on("oa.unsubscribe", "o00005", "u5", Event="unsubscribe")
    seg = admin.create(scope, "acct", {"name": "说过话", "rule": {"field": "last_message", "op": "within_days",
                                                                   "value": 7}})
    push = svc.create(scope, "acct", body(audience={"type": "segment", "segment_id": seg["segment_id"]},
                                          send_at="2026-05-29T12:00:00"))
    assert push["preview"]["audience"] == 5 and push["preview"]["left_out"] == {"unfollowed": 1}
    run_until_done(svc, clock)
    assert gw.deliveries == {f"o{i:05d}": 1 for i in range(5)}
    with pytest.raises(ValidationError) as refused:
        svc.create(scope, "acct", body(audience={"type": "segment", "segment_id": "r000000000000"},
                                       send_at="2026-06-30T12:00:00"))
    assert refused.value.field == "audience.segment_id"


def test_an_erased_person_leaves_the_facts_and_every_index_entry(world):
    from scrm.services.privacy import tables
    from scrm.services.privacy.person import Person

    for n, openid in enumerate(("o1", "o2")):
        message(openid, f"m-{n}")
        hand_off.draw_made(OA, "camp", {"draw_id": f"d{n}", "openid": openid, "outcome": "win", "at": NOW})
    deliver(world)
    assert preview({"field": "wins", "op": "gte", "value": 1})["count"] == 2
    gone = Person(account_id=OA, openids={"o1"})
    exported = tables.segment_facts(SCOPE, gone, erase=True)
    assert [e["key"] for e in exported] == ["oa:oa-seg:o1"] and exported[0]["counts"]["wins"] == 1
    assert preview({"field": "wins", "op": "gte", "value": 1})["count"] == 1  # o2 only: no stale entry of o1
    assert tables.segment_facts(SCOPE, gone, erase=False) == []
    assert person(world, "oa:oa-seg:o2")["counts"]["wins"] == 1
