"""Channel rules: definitions validated field by field, scene parsing, staff eligibility (caps, hours, backups)."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scrm.domain import channels as rules
from scrm.errors import ValidationError

# Monday 2026-11-23 10:00 in China (UTC+8) = 02:00 UTC
MONDAY_10 = datetime.fromisoformat("2026-11-23T10:00:00+08:00").timestamp()


def field_of(body, **kw):
    with pytest.raises(ValidationError) as err:
        rules.validate_channel(body, **kw)
    return err.value.field


def test_oa_defaults_and_ranges():
    d = rules.validate_channel({"kind": "oa_qr", "name": " Poster "})
    assert d["qr_type"] == "permanent" and d["name"] == "Poster" and d["group"] == "default"
    assert rules.validate_channel({"kind": "oa_qr", "name": "p", "qr_type": "temporary"})["expire_seconds"] == 2592000
    assert field_of({"kind": "oa_qr", "name": "p", "scene_id": 0}) == "scene_id"
    assert field_of({"kind": "oa_qr", "name": "p", "scene_id": 100001}) == "scene_id"
    assert rules.validate_channel({"kind": "oa_qr", "name": "p", "scene_id": 100000})["scene_id"] == 100000
    assert rules.validate_channel({"kind": "oa_qr", "name": "p", "qr_type": "temporary",
                                   "scene_id": 2**31 - 1})["scene_id"] == 2**31 - 1
    assert field_of({"kind": "oa_qr", "name": "p", "qr_type": "temporary", "scene_id": 2**31}) == "scene_id"
    assert field_of({"kind": "oa_qr", "name": "p", "scene_id": 5, "scene_str": "x"}) == "scene_id"
    assert field_of({"kind": "oa_qr", "name": "p", "scene_str": "qrscene_x"}) == "scene_str"
    assert field_of({"kind": "oa_qr", "name": "p", "expire_seconds": 100}) == "expire_seconds"
    assert field_of({"kind": "oa_qr", "name": "p", "tags": [1]}) == "tags"
    assert field_of({"kind": "oa_qr", "name": "p", "tags": list(range(3, 24))}) == "tags"
    assert field_of({"kind": "oa_qr", "name": "p", "welcome": {"link": {"title": "t", "url": "ftp://x"}}}) \
        == "welcome.link.url"


def test_wecom_contact_way_fields():
    d = rules.validate_channel({"kind": "wecom_contact_way", "name": "Store", "staff": [
        "alice", {"userid": "bob", "daily_cap": 3, "hours": [{"days": [1, 2], "start": "09:00", "end": "12:00"}]}],
        "backup_staff": ["carol"], "daily_cap": 10})
    assert d["staff"][1] == {"userid": "bob", "daily_cap": 3,
                             "hours": [{"days": [1, 2], "start": "09:00", "end": "12:00"}]}
    assert field_of({"kind": "wecom_contact_way", "name": "s"}) == "staff"
    assert field_of({"kind": "wecom_contact_way", "name": "s", "staff": ["a", "a"]}) == "staff[1]"
    assert field_of({"kind": "wecom_contact_way", "name": "s", "staff": ["a"], "state": "x" * 31}) == "state"
    assert field_of({"kind": "wecom_contact_way", "name": "s", "staff": ["a"], "backup_staff": ["a"]}) \
        == "backup_staff"
    assert field_of({"kind": "wecom_contact_way", "name": "s", "staff": ["a"],
                     "hours": [{"start": "18:00", "end": "09:00"}]}) == "hours[0].end"
    assert field_of({"kind": "wecom_contact_way", "name": "s", "staff": ["a"], "scene_id": 3}) == "scene_id"
    assert field_of({"kind": "wecom_contact_way", "name": "s", "staff": [f"u{i}" for i in range(101)]}) == "staff"


def test_update_keeps_kind_and_scene_fixed():
    existing = rules.validate_channel({"kind": "oa_qr", "name": "p", "scene_id": 5})
    assert rules.validate_channel({"name": "q"}, existing=existing)["name"] == "q"
    assert field_of({"scene_id": 6}, existing=existing) == "scene_id"
    assert field_of({"kind": "wecom_contact_way"}, existing=existing) == "kind"
    assert field_of({"bogus": 1}, existing=existing) == "bogus"


def test_event_keys():
    assert rules.parse_event_key("subscribe", "qrscene_123") == "123"
    assert rules.parse_event_key("subscribe", "") is None
    assert rules.parse_event_key("subscribe", None) is None
    assert rules.parse_event_key("SCAN", "ch_abc") == "ch_abc"
    assert rules.scene_value({"scene_id": 7}, "x") == "7"
    assert rules.scene_value({"scene_str": None}, "abc") == "ch_abc"
    req = rules.qrcode_request({"qr_type": "temporary", "expire_seconds": 600, "scene_id": None, "scene_str": None},
                               "abc")
    assert req == {"action_name": "QR_STR_SCENE", "action_info": {"scene": {"scene_str": "ch_abc"}},
                   "expire_seconds": 600}


def test_days_roll_over_at_midnight_china_time():
    assert rules.day_of(datetime.fromisoformat("2026-11-23T23:59:59+08:00").timestamp()) == "2026-11-23"
    assert rules.day_of(datetime.fromisoformat("2026-11-23T16:00:00+00:00").timestamp()) == "2026-11-24"


STORE = rules.validate_channel({
    "kind": "wecom_contact_way", "name": "s", "daily_cap": 2,
    "hours": [{"days": [1, 2, 3, 4, 5], "start": "09:00", "end": "18:00"}],
    "staff": ["alice", {"userid": "bob", "daily_cap": 5}],
    "backup_staff": [{"userid": "night", "hours": [{"start": "00:00", "end": "24:00"}]}]})


def test_eligibility_caps_hours_and_backups():
    assert rules.eligible_staff(STORE, MONDAY_10, {}) == ["alice", "bob"]
    assert rules.eligible_staff(STORE, MONDAY_10, {"alice": 2}) == ["bob"]  # alice at her (channel) cap
    assert rules.eligible_staff(STORE, MONDAY_10, {"alice": 2, "bob": 5}) == ["night"]
    assert rules.eligible_staff(STORE, MONDAY_10 + 9 * 3600, {}) == ["night"]  # 19:00: outside hours
    no_backup = {**STORE, "backup_staff": []}
    assert rules.eligible_staff(no_backup, MONDAY_10 + 9 * 3600, {}) == ["alice", "bob"]  # never empty


@given(adds=st.dictionaries(st.sampled_from(["alice", "bob"]), st.integers(0, 10)),
       minutes=st.integers(0, 7 * 24 * 60))
def test_eligible_staff_matches_an_independent_reading_of_the_rules(adds, minutes):
    now = MONDAY_10 + minutes * 60
    local = datetime.fromtimestamp(now, rules.CHINA)
    working = local.isoweekday() <= 5 and "09:00" <= local.strftime("%H:%M") < "18:00"
    caps = {"alice": 2, "bob": 5}
    free = [u for u in ("alice", "bob") if working and adds.get(u, 0) < caps[u]]
    got = rules.eligible_staff(STORE, now, adds)
    assert got == (free or ["night"])


def test_channel_welcome_in_the_callback_services_content_shape():
    from scrm.services.channels import welcome_content

    link = {"title": "Menu", "url": "https://example.com/m", "description": "today"}
    assert welcome_content({"text": "Hi"}, "oa") == {"type": "text", "content": "Hi"}
    assert welcome_content({"text": "Hi", "link": link}, "oa") == {
        "type": "text", "content": "Hi\nMenu: https://example.com/m"}
    assert welcome_content({"link": link}, "oa") == {"type": "news", "articles": [
        {"title": "Menu", "description": "today", "url": "https://example.com/m", "pic_url": ""}]}
    assert welcome_content({"text": "Hi", "link": link}, "wecom") == {
        "type": "text", "content": "Hi", "attachments": [{"msgtype": "link", "link": {
            "title": "Menu", "url": "https://example.com/m", "desc": "today", "picurl": ""}}]}
