"""Attribution through the event worker against moto and the WeChat sandbox: exact statistics under
duplicates and reordering, unknown scenes kept, one contact per person, taggings batched, faults retried."""

from __future__ import annotations

import json

import pytest

from local.sandbox import SandboxClient
from scrm import bootstrap
from scrm.domain.channels import day_of
from scrm.services import attribution, channel_stats, channels, events
from scrm.tenancy import Scope
from tests.timing import Clock


def sqs_event(*payloads):
    return {"Records": [{
        "messageId": f"m{i}", "receiptHandle": f"r{i}", "body": json.dumps(p), "attributes": {},
        "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:ap-east-1:123456789012:events", "awsRegion": "ap-east-1"}
        for i, p in enumerate(payloads)]}


def oa(account_id, event, openid, t, key=None, dk=None):
    ev = {"ToUserName": "gh_test00000001", "FromUserName": openid, "CreateTime": int(t), "MsgType": "event",
          "Event": event, "received_at": t}
    if key is not None:
        ev["EventKey"] = key
    return {"account_id": account_id, "platform": "oa", "kind": f"oa.{event.lower()}",
            "dedupe_key": dk or f"{openid}|{int(t)}|{event}|{key}", "event": ev}


def wecom(account_id, change, userid, ext, t, state=None, dk=None):
    ev = {"ToUserName": "ww", "FromUserName": "sys", "CreateTime": int(t), "MsgType": "event",
          "Event": "change_external_contact", "ChangeType": change, "UserID": userid, "ExternalUserID": ext,
          "received_at": t}
    if state is not None:
        ev["State"] = state
    return {"account_id": account_id, "platform": "wecom", "kind": f"wecom.change_external_contact.{change}",
            "dedupe_key": dk or f"{change}|{userid}|{ext}|{int(t)}", "event": ev}


def run(*payloads):
    result = events.process_batch(sqs_event(*payloads))
    assert result == {"batchItemFailures": []}


@pytest.fixture
def now(aws, monkeypatch) -> float:
    """The test's "now", fixed when it starts. The attribution service reads the same clock (the container's: a
    tagging's queued_at is this), so "due in 300 s" means 300 s of this clock, however long the suite took."""
    clock = Clock()
    monkeypatch.setattr(bootstrap.container(), "clock", clock)
    return clock.now


def totals(account_id, channel_id, now):
    query = {"from": day_of(now - 86400 * 2), "to": day_of(now + 86400 * 40)}
    report = channel_stats.report(Scope.system(account_id), account_id, query, now + 86400 * 40)
    for row in report["channels"]:
        if row["channel_id"] == channel_id:
            return row
    return {}


def test_oa_channel_counts_exactly_under_duplicates_and_reordering(oa_account, now):
    scope = Scope.system(oa_account.account_id)
    ch = channels.create_channel(scope, oa_account.account_id, {
        "kind": "oa_qr", "name": "Poster A", "group": "posters", "qr_type": "temporary", "expire_seconds": 86400})
    scene = ch["scene"]
    a = oa_account.account_id
    t0 = now - 3600
    follow = oa(a, "subscribe", "o-1", t0, "qrscene_" + scene)
    scan = oa(a, "SCAN", "o-1", t0 + 60, scene)
    unfollow = oa(a, "unsubscribe", "o-1", t0 + 120, "")
    refollow = oa(a, "subscribe", "o-1", t0 + 180, "qrscene_" + scene)
    # out of order (SCAN first, the refollow before the unfollow) and every event delivered twice
    run(scan, refollow, scan, unfollow, follow, follow, unfollow, refollow)
    row = totals(a, ch["channel_id"], now)
    assert (row["scans"], row["new_follows"], row["refollows"], row["unfollows"]) == (3, 1, 1, 1)
    assert row["lost_d1"] == 1 and row["net_growth"] == 1
    assert (row["still_following_d1"], row["retention_d1"], row["still_following_d30"]) == (1, 0.5, 1)
    contact = attribution.find_contact(scope, a, openid="o-1")
    assert contact["first_touch"]["channel"] == ch["channel_id"]
    assert contact["relations"][f"{a}|o-1"]["active"] is True
    assert len(contact["touches"]) == 4


def test_unknown_scene_and_plain_subscribe_are_kept(oa_account, now):
    a = oa_account.account_id
    run(oa(a, "subscribe", "o-2", now, "qrscene_nobody-owns-this"), oa(a, "subscribe", "o-3", now, ""),
        oa(a, "SCAN", "o-4", now, "99999"))
    assert totals(a, "unknown", now)["new_follows"] == 1
    assert totals(a, "unknown", now)["scans"] == 2
    assert totals(a, "direct", now)["new_follows"] == 1
    contact = attribution.find_contact(Scope.system(a), a, openid="o-2")
    assert contact["touches"][0]["scene"] == "nobody-owns-this"


def test_oa_tags_are_batched_fifty_a_call(oa_account, sandbox, now):
    sb = SandboxClient(sandbox.url)
    a = oa_account.account_id
    from scrm.gateway import gateway_for

    tag_id = gateway_for(oa_account).client.tag.create("poster")["id"]
    ch = channels.create_channel(Scope.system(a), a, {"kind": "oa_qr", "name": "Tagged", "tags": [tag_id]})
    openids = [f"o-t{i:03d}" for i in range(70)]
    sb.oa_followers(oa_account.app_id, openids=openids)
    for start in range(0, 70, 10):
        run(*[oa(a, "SCAN", o, now, ch["scene"]) for o in openids[start:start + 10]])
    sb.clear_calls()
    first = attribution.flush_taggings(now)  # one full batch; the partial 20 wait for company
    assert first["calls"] == 1 and first["applied"] == 50
    sb.fault("tags/members/batchtagging", errcode=-1, platform="oa", times=3)
    failed = attribution.flush_taggings(now + 400)  # partial batch now due, WeChat busy: kept for later
    assert failed["applied"] == 0 and failed["failed"] == 20
    done = attribution.flush_taggings(now + 460)
    assert done["applied"] == 20
    assert sb.oa_follower(oa_account.app_id, "o-t069")["tagid_list"] == [tag_id]
    assert sum(sb.call_counts("batchtagging").values()) == 1 + 3 + 1  # one batch, three busy tries, one retry
    assert attribution.flush_taggings(now + 900)["calls"] == 0
    # one openid WeChat does not know fails the whole call: the others are tagged one by one, it is dropped
    run(*[oa(a, "SCAN", o, now + 5, ch["scene"]) for o in ("o-t000", "o-ghost", "o-t001")])
    odd = attribution.flush_taggings(now + 1000, force=True)
    assert (odd["calls"], odd["applied"]) == (4, 2)
    assert attribution.flush_taggings(now + 2000, force=True)["calls"] == 0


def test_wecom_adds_rotate_staff_at_cap_and_count_losses(wecom_account, sandbox, now):
    sb = SandboxClient(sandbox.url)
    a = wecom_account.account_id
    for u in ("alice", "bob", "carol"):
        sb.wecom_staff(wecom_account.app_id, u)
    from scrm.gateway import gateway_for

    made = gateway_for(wecom_account).post("externalcontact/add_corp_tag",
                                           {"group_name": "channels", "tag": [{"name": "store 1"}]})
    tag_id = made["tag_group"]["tag"][0]["id"]
    sb.wecom_customers(wecom_account.app_id, "alice", external_userids=["wm1", "wm2"])
    ch = channels.create_channel(Scope.system(a), a, {
        "kind": "wecom_contact_way", "name": "Store 1", "group": "stores", "staff": ["alice", "bob"],
        "backup_staff": ["carol"], "daily_cap": 2, "welcome": {"text": "Hi from store 1"}, "tags": [tag_id]})
    assert sorted(ch["users"]) == ["alice", "bob"]
    t = now
    run(wecom(a, "add_external_contact", "alice", "wm1", t, ch["state"]))
    # alice's second add reaches her cap while WeCom is busy: the event fails and its redelivery does it
    sb.fault("externalcontact/update_contact_way", errcode=-1, platform="wecom", times=3)
    second = wecom(a, "add_external_contact", "alice", "wm2", t + 1, ch["state"])
    assert events.process_batch(sqs_event(second))["batchItemFailures"] == [{"itemIdentifier": "m0"}]
    assert channels.get_channel(Scope.system(a), a, ch["channel_id"])["users"] == ["alice", "bob"]
    run(second)
    assert channels.get_channel(Scope.system(a), a, ch["channel_id"])["users"] == ["bob"]
    run(second)  # a duplicate changes nothing
    run(wecom(a, "add_external_contact", "bob", "wm3", t + 2, ch["state"]),
        wecom(a, "add_external_contact", "bob", "wm4", t + 3, ch["state"]))
    assert channels.get_channel(Scope.system(a), a, ch["channel_id"])["users"] == ["carol"]
    way = sb.state()  # the sandbox holds what WeCom would
    assert way is not None
    updates = sb.calls("update_contact_way")
    assert [c["errcode"] for c in updates] == [-1, -1, -1, 0, 0]  # two changes, each sent once
    run(wecom(a, "del_follow_user", "alice", "wm1", t + 100))
    row = totals(a, ch["channel_id"], now)
    assert row["customers_added"] == 4 and row["customers_lost"] == 1
    # the channel's welcome is offered to the callbacks' welcome providers
    content = channels.welcome_for(wecom_account, {"State": ch["state"]})
    assert content == {"type": "text", "content": "Hi from store 1"}
    # channel tags: one mark_tag per customer-staff relationship (bob's customers are unknown to WeCom: dropped)
    tagged = attribution.flush_taggings(t + 5)
    assert (tagged["calls"], tagged["applied"]) == (4, 2)
    assert sb.wecom_customer(wecom_account.app_id, "wm2")["follow"]["alice"]["tags"] == [tag_id]
    # a new day: everyone is back under the cap
    assert channels.upkeep(t + 86400 * 2) == {"checked": 1, "updated": 1, "failed": 0}
    channels.archive_channel(Scope.system(a), a, ch["channel_id"])
    assert channels.upkeep(t + 86400 * 3)["checked"] == 0  # archived ways leave the upkeep index


def test_stats_rows_carry_the_day_in_china_time(oa_account, now):
    a = oa_account.account_id
    run(oa(a, "subscribe", "o-9", now, ""))
    report = channel_stats.report(Scope.system(a), a, {}, now)
    assert report["days"][0]["day"] == day_of(now)


def test_unionid_joins_a_follower_and_a_customer_into_one_contact(oa_account, wecom_account, sandbox, now):
    from scrm.services import contact_books

    sb = SandboxClient(sandbox.url)
    # both accounts share one contact book: a platform decision (tests/security/test_contact_book_cross_tenant.py)
    contact_books.set_members(Scope.system(), "shop", [oa_account.account_id, wecom_account.account_id])
    sb.oa_followers(oa_account.app_id, openids=["o-joined"], unionids={"o-joined": "u-42"})
    sb.wecom_event(wecom_account.app_id, "add_external_contact", userid="dave", external_userid="wm-joined",
                   unionid="u-42", welcome=False)
    run(oa(oa_account.account_id, "subscribe", "o-joined", now, ""),
        wecom(wecom_account.account_id, "add_external_contact", "dave", "wm-joined", now + 30, "no-such-state"))
    by_openid = attribution.find_contact(Scope.system(oa_account.account_id), oa_account.account_id,
                                         openid="o-joined")
    by_ext = attribution.find_contact(Scope.system(wecom_account.account_id), wecom_account.account_id,
                                      external_userid="wm-joined")
    assert by_openid["contact_id"] == by_ext["contact_id"] and by_ext["unionid"] == "u-42"
    assert [t["kind"] for t in by_ext["touches"]] == ["follow", "add"]
    assert by_ext["first_touch"]["channel"] == "direct" and by_ext["last_touch"]["channel"] == "unknown"
    assert totals(wecom_account.account_id, "unknown", now)["customers_added"] == 1  # unknown state kept, not dropped


def test_permanent_codes_stop_at_wechats_limit(oa_account):
    from scrm.data.channels import ChannelItem
    from scrm.errors import Conflict

    a = oa_account.account_id
    ChannelItem(a, "meta#permanent", n=99_999).save()
    channels.create_channel(Scope.system(a), a, {"kind": "oa_qr", "name": "last one"})
    with pytest.raises(Conflict):
        channels.create_channel(Scope.system(a), a, {"kind": "oa_qr", "name": "one too many"})
    # the refused channel left no scene behind, and temporary codes are still fine
    assert [c["name"] for c in channels.list_channels(Scope.system(a), a)] == ["last one"]
    channels.create_channel(Scope.system(a), a, {"kind": "oa_qr", "name": "temp", "qr_type": "temporary"})


def test_concurrent_events_for_one_person_are_all_counted(oa_account, now):
    import threading

    a = oa_account.account_id
    ch = channels.create_channel(Scope.system(a), a, {"kind": "oa_qr", "name": "Busy poster"})
    scans = [oa(a, "SCAN", "o-busy", now + i, ch["scene"]) for i in range(8)]
    errors = []

    def deliver(p):
        try:
            attribution.on_oa_event(p)  # straight to the handler: several workers, one new person
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=deliver, args=(p,)) for p in scans]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    assert totals(a, ch["channel_id"], now)["scans"] == 8
    assert len(attribution.find_contact(Scope.system(a), a, openid="o-busy")["touches"]) == 8


@pytest.mark.parametrize("answer", ["html", "empty"])
def test_tagging_answered_with_no_json_stays_pending(oa_account, sandbox, answer):
    sb = SandboxClient(sandbox.url)
    a = oa_account.account_id
    from scrm.gateway import gateway_for

    tag_id = gateway_for(oa_account).client.tag.create(f"page-{answer}")["id"]
    ch = channels.create_channel(Scope.system(a), a, {"kind": "oa_qr", "name": "Tagged", "tags": [tag_id]})
    sb.oa_followers(oa_account.app_id, openids=["o-p1", "o-p2"])
    t = 1_800_000_000
    run(*[oa(a, "SCAN", o, t, ch["scene"]) for o in ("o-p1", "o-p2")])
    sb.fault("tags/members/batchtagging", platform="oa", answer=answer, times=1)
    first = attribution.flush_taggings(t, force=True)
    assert (first["applied"], first["failed"]) == (0, 2)  # not deleted as applied
    assert sb.oa_follower(oa_account.app_id, "o-p1")["tagid_list"] == []
    again = attribution.flush_taggings(t, force=True)
    assert again["applied"] == 2 and sb.oa_follower(oa_account.app_id, "o-p1")["tagid_list"] == [tag_id]
