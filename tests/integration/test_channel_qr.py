"""The QR image for print through the admin API, for both kinds of channel: an OA code rendered with segno,
a WeCom contact way's own image downloaded from its qr_code URL (the sandbox serves a real PNG there)."""

from __future__ import annotations

import base64
import json
import re

import pytest

from scrm.domain import images
from scrm.services import channels
from scrm.tenancy import Scope

PNG = b"\x89PNG\r\n\x1a\n"


def _client_for(account):
    from chalice.test import Client

    from app import app
    from scrm.services import admin_keys

    channels.forget_cache()
    _, key = admin_keys.issue(Scope.system(account.account_id), account.account_id, role="operator",
                              name="qr test")
    client = Client(app)

    def call(method, path, body=None):
        # chalice (like API Gateway) serves a binary body only to a request that accepts its type
        h = {"Authorization": f"Bearer {key}", "Content-Type": "application/json", "Accept": "image/png"}
        return getattr(client.http, method.lower())(f"/accounts/{account.account_id}{path}", headers=h,
                                                     body=None if body is None else json.dumps(body))
    return client, call


@pytest.fixture
def wecom_api(wecom_account, sandbox):
    from local.sandbox import SandboxClient

    SandboxClient(sandbox.url).wecom_staff(wecom_account.app_id, "alice")
    client, call = _client_for(wecom_account)
    with client:
        yield call


@pytest.fixture
def way(wecom_api):
    r = wecom_api("POST", "/channels", {"kind": "wecom_contact_way", "name": "Store 7", "staff": ["alice"]})
    assert r.status_code == 201, r.body
    return r.json_body


def test_contact_way_png_is_wecoms_image(wecom_api, way, sandbox):
    import requests

    png = wecom_api("GET", f"/channels/{way['channel_id']}/qrcode?format=png")
    assert png.status_code == 200 and png.headers["Content-Type"] == "image/png"
    assert png.body.startswith(PNG)
    assert png.body == requests.get(way["qr_code"], timeout=5).content  # WeCom's bytes, untouched


def test_contact_way_svg_embeds_the_image_sized_to_it(wecom_api, way):
    svg = wecom_api("GET", f"/channels/{way['channel_id']}/qrcode?format=svg")
    assert svg.status_code == 200 and svg.headers["Content-Type"] == "image/svg+xml"
    text = svg.body.decode() if isinstance(svg.body, bytes) else svg.body
    assert "<svg" in text and "<image" in text
    m = re.search(r'href="data:image/png;base64,([A-Za-z0-9+/=]+)"', text)
    assert m, text[:300]
    embedded = base64.b64decode(m.group(1))
    w, h = images.size(embedded)
    assert embedded.startswith(PNG) and f'viewBox="0 0 {w} {h}"' in text


def test_unreachable_wecom_image_is_a_clear_json_error(wecom_api, way, sandbox):
    from local.sandbox import SandboxClient

    SandboxClient(sandbox.url).fault("qr", errcode=-1, platform="wecom", times=1)
    r = wecom_api("GET", f"/channels/{way['channel_id']}/qrcode?format=png")
    assert r.status_code == 503 and r.headers["Content-Type"] == "application/json; charset=utf-8"
    err = r.json_body["error"]
    assert err["code"] == "wechat_unavailable" and "HTTP 503" in err["message"]
    assert wecom_api("GET", f"/channels/{way['channel_id']}/qrcode?format=png").status_code == 200  # it recovers


def test_stored_url_nobody_answers_is_a_clear_json_error(wecom_api, way, wecom_account):
    from scrm.data.channels import ChannelItem

    item = ChannelItem.get(wecom_account.account_id, f"ch#{way['channel_id']}")
    item.update(actions=[ChannelItem.qr_code.set("http://127.0.0.1:9/gone.png")])
    r = wecom_api("GET", f"/channels/{way['channel_id']}/qrcode?format=svg")
    assert r.status_code == 503
    # not WeCom's image host: refused before any request (tests/security/test_qr_download_hosts.py)
    assert r.json_body["error"]["code"] == "wechat_unavailable" and "refused" in r.json_body["error"]["message"]
    item.update(actions=[ChannelItem.qr_code.set("file:///etc/passwd")])
    r = wecom_api("GET", f"/channels/{way['channel_id']}/qrcode?format=png")
    assert r.status_code == 503 and "refused" in r.json_body["error"]["message"]


def test_jpeg_from_wecom_is_not_passed_off_as_png(wecom_api, way, monkeypatch):
    from scrm.gateway.wecom import WeComGateway

    jpeg = bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffc0000b080030004001011100ffd9")
    monkeypatch.setattr(WeComGateway, "download", lambda self, url, max_bytes=0: (jpeg, "image/jpeg"))
    r = wecom_api("GET", f"/channels/{way['channel_id']}/qrcode?format=png")
    assert r.status_code == 409 and "format=svg" in r.json_body["error"]["message"]
    svg = wecom_api("GET", f"/channels/{way['channel_id']}/qrcode?format=svg")
    text = svg.body.decode() if isinstance(svg.body, bytes) else svg.body
    assert svg.status_code == 200 and "data:image/jpeg;base64," in text and 'viewBox="0 0 64 48"' in text


def test_oa_code_still_rendered(oa_account):
    client, call = _client_for(oa_account)
    with client:
        ch = call("POST", "/channels", {"kind": "oa_qr", "name": "Poster"}).json_body
        png = call("GET", f"/channels/{ch['channel_id']}/qrcode?format=png&scale=3")
        assert png.status_code == 200 and png.body.startswith(PNG)
        svg = call("GET", f"/channels/{ch['channel_id']}/qrcode?format=svg")
        assert svg.status_code == 200 and b"<svg" in svg.body and b"<image" not in svg.body
