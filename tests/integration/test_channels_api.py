"""Channels through the admin API (chalice test client, moto, sandbox): create, validate, QR images,
statistics and CSV, 400 naming the field, 404 for unknown channels."""

from __future__ import annotations

import json
import time

import pytest

from scrm.services import channels, events
from scrm.tenancy import Scope


@pytest.fixture
def api(oa_account):
    from chalice.test import Client

    from app import app
    from scrm.services import admin_keys

    channels.forget_cache()
    _, key = admin_keys.issue(Scope.system(oa_account.account_id), oa_account.account_id, role="operator",
                              name="channels test")
    with Client(app) as client:
        def call(method, path, body=None, headers=None):
            h = {"Authorization": f"Bearer {key}", "Content-Type": "application/json", **(headers or {})}
            return getattr(client.http, method.lower())(
                f"/accounts/{oa_account.account_id}{path}", headers=h,
                body=None if body is None else json.dumps(body))
        yield call


def test_create_get_list_update_archive(api):
    r = api("POST", "/channels", {"kind": "oa_qr", "name": "Poster B", "group": "posters",
                                   "welcome": {"text": "Welcome, poster fan"}, "tags": [101]})
    assert r.status_code == 201, r.body
    ch = r.json_body
    assert ch["url"].startswith("http://weixin.qq.com/q/") and ch["qr_type"] == "permanent"
    assert api("GET", f"/channels/{ch['channel_id']}").json_body["name"] == "Poster B"
    assert [c["channel_id"] for c in api("GET", "/channels?group=posters").json_body["items"]] == [ch["channel_id"]]
    r = api("PATCH", f"/channels/{ch['channel_id']}", {"name": "Poster B2", "group": "stores"})
    assert r.status_code == 200 and r.json_body["group"] == "stores"
    r = api("PATCH", f"/channels/{ch['channel_id']}", {"scene_str": "other"})
    assert r.status_code == 400 and r.json_body["error"]["field"] == "scene_str"
    assert api("DELETE", f"/channels/{ch['channel_id']}").json_body["status"] == "archived"
    assert api("GET", "/channels").json_body["items"] == []


INVALID = [
    ({"kind": "poster", "name": "x"}, "kind"),
    ({"kind": "oa_qr"}, "name"),
    ({"kind": "oa_qr", "name": "x", "qr_type": "permanent", "scene_id": 100001}, "scene_id"),
    ({"kind": "oa_qr", "name": "x", "qr_type": "temporary", "expire_seconds": 2592001}, "expire_seconds"),
    ({"kind": "oa_qr", "name": "x", "scene_str": "s" * 65}, "scene_str"),
    ({"kind": "oa_qr", "name": "x", "staff": ["alice"]}, "staff"),
    ({"kind": "oa_qr", "name": "x", "colour": "red"}, "colour"),
    ({"kind": "wecom_contact_way", "name": "x", "staff": ["a"]}, "kind"),  # an OA account holds no contact ways
]


def test_invalid_definitions_answer_400_naming_the_field(api):
    for body, field in INVALID:
        r = api("POST", "/channels", body)
        assert r.status_code == 400, r.body
        assert r.json_body["error"]["field"] == field


def test_a_patch_reports_every_wrong_field_at_once_and_changes_nothing(api):
    ch = api("POST", "/channels", {"kind": "oa_qr", "name": "Poster C", "group": "posters"}).json_body
    r = api("PATCH", f"/channels/{ch['channel_id']}", {"name": "", "group": "g" * 40, "tags": "101", "colour": "red"})
    assert r.status_code == 400, r.body
    assert [e["field"] for e in r.json_body["error"]["details"]["errors"]] == ["name", "group", "tags", "colour"]
    after = api("GET", f"/channels/{ch['channel_id']}").json_body
    assert (after["name"], after["group"], after["updated_at"]) == ("Poster C", "posters", ch["updated_at"])


def test_unknown_channel_is_404(api):
    assert api("GET", "/channels/nope").status_code == 404
    assert api("PATCH", "/channels/nope", {"name": "x"}).status_code == 404
    assert api("GET", "/channels/nope/qrcode").status_code == 404
    assert api("GET", "/channel-stats?channel_id=nope").status_code == 404


def test_scene_belongs_to_one_channel(api):
    assert api("POST", "/channels", {"kind": "oa_qr", "name": "a", "scene_id": 7}).status_code == 201
    r = api("POST", "/channels", {"kind": "oa_qr", "name": "b", "scene_id": 7})
    assert r.status_code == 409


def test_qr_images_png_and_svg(api):
    ch = api("POST", "/channels", {"kind": "oa_qr", "name": "Print me"}).json_body
    png = api("GET", f"/channels/{ch['channel_id']}/qrcode?format=png&scale=4", headers={"Accept": "image/png"})
    assert png.status_code == 200 and png.headers["Content-Type"] == "image/png"
    assert png.body[:8] == b"\x89PNG\r\n\x1a\n"
    svg = api("GET", f"/channels/{ch['channel_id']}/qrcode?format=svg")
    assert svg.status_code == 200 and svg.headers["Content-Type"] == "image/svg+xml"
    assert b"<svg" in svg.body
    assert api("GET", f"/channels/{ch['channel_id']}/qrcode?format=gif").json_body["error"]["field"] == "format"


def test_stats_and_csv_through_the_api(api, oa_account):
    ch = api("POST", "/channels", {"kind": "oa_qr", "name": "=Formula", "group": "ads"}).json_body
    now = time.time()
    a = oa_account.account_id
    for i, openid in enumerate(("o-a", "o-b", "o-c")):
        events.apply({"account_id": a, "platform": "oa", "kind": "oa.subscribe", "dedupe_key": f"k{i}",
                      "event": {"FromUserName": openid, "CreateTime": int(now), "Event": "subscribe",
                                "EventKey": f"qrscene_{ch['scene']}"}})
    events.apply({"account_id": a, "platform": "oa", "kind": "oa.unsubscribe", "dedupe_key": "k9",
                  "event": {"FromUserName": "o-a", "CreateTime": int(now) + 5, "Event": "unsubscribe"}})
    body = api("GET", "/channel-stats").json_body
    [row] = [c for c in body["channels"] if c["channel_id"] == ch["channel_id"]]
    assert (row["new_follows"], row["unfollows"], row["net_growth"], row["lost_d1"]) == (3, 1, 2, 1)
    assert [g for g in body["groups"] if g["group"] == "ads"][0]["new_follows"] == 3
    csv = api("GET", "/channel-stats.csv")
    assert csv.status_code == 200 and csv.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert csv.body.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    lines = csv.body.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("day,channel_id,name,group,scans")
    assert any("'=Formula" in line for line in lines)  # no spreadsheet formula injection
    contact = api("GET", "/contacts?openid=o-b").json_body
    assert contact["first_touch"]["channel"] == ch["channel_id"]
    assert api("GET", "/contacts?openid=o-zzz").status_code == 404


def test_temporary_code_can_be_renewed(api):
    temp = api("POST", "/channels", {"kind": "oa_qr", "name": "Week promo", "qr_type": "temporary",
                                      "expire_seconds": 3600}).json_body
    renewed = api("POST", f"/channels/{temp['channel_id']}/renew")
    assert renewed.status_code == 200
    assert renewed.json_body["ticket"] != temp["ticket"] and renewed.json_body["scene"] == temp["scene"]
    permanent = api("POST", "/channels", {"kind": "oa_qr", "name": "Shop door"}).json_body
    assert api("POST", f"/channels/{permanent['channel_id']}/renew").status_code == 409


def test_another_accounts_key_is_refused_in_the_data_layer(api, oa_account):
    from scrm.errors import Forbidden
    from scrm.services import attribution, channel_stats

    ch = api("POST", "/channels", {"kind": "oa_qr", "name": "Mine"}).json_body
    stranger = Scope(account_id="someone-else", key_id="k-stranger", role="admin")
    a = oa_account.account_id
    for call in (lambda: channels.get_channel(stranger, a, ch["channel_id"]),
                 lambda: channels.list_channels(stranger, a),
                 lambda: channel_stats.raw_counts(stranger, a, "2026-01-01", "2026-01-02"),
                 lambda: attribution.find_contact(stranger, a, openid="o-1")):
        with pytest.raises(Forbidden):
            call()


@pytest.mark.parametrize("answer", ["html", "empty"])
def test_wechat_answering_no_json_on_create_is_503_and_creates_nothing(api, sandbox, answer):
    from local.sandbox import SandboxClient

    SandboxClient(sandbox.url).fault("qrcode/create", platform="oa", answer=answer, times=1)
    r = api("POST", "/channels", {"kind": "oa_qr", "name": "Poster page"})
    assert r.status_code == 503 and r.json_body["error"]["code"] == "wechat_unavailable", r.body
    assert not [c for c in api("GET", "/channels").json_body["items"] if c["name"] == "Poster page"]
    assert api("POST", "/channels", {"kind": "oa_qr", "name": "Poster page"}).status_code == 201
