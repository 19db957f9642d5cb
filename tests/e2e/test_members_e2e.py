"""End to end over HTTP: a members-only group code (wecom_group with members_only) created through the admin API,
the member list imported as CSV, a customer signing in on the sandbox's authorize page (the demo OA), refused with
a wrong phone, shown the code with the right one, scanning it through the sandbox; verified, refused and joined in
the code's figures (JSON and CSV)."""

import secrets
import urllib.parse

import pytest
import requests

pytestmark = pytest.mark.e2e


def test_member_verified_group_code(stack):
    admin, api = stack.admin("demo-wecom"), f"{stack.api}/accounts/demo-wecom"
    corpid = stack.info["demo WeCom corpid"]
    chats = stack.sandbox.wecom_groupchats(corpid, "e2e-vip-owner", count=2)["chat_ids"]
    res = admin.post(f"{api}/channels", json={"kind": "wecom_group", "name": "E2E 会员群", "group": "vip",
                                              "chat_ids": chats, "members_only": True, "sign_in_account": "demo-oa"},
                     timeout=30)
    assert res.status_code == 201, res.text
    ch = res.json()
    assert ch["members_only"] and ch["sign_in_account"] == "demo-oa"
    member_id = "E2E-" + secrets.token_hex(3)
    res = admin.post(f"{api}/members/import", timeout=30, json={
        "csv": f"member_id,phone\n{member_id},13800138000\nbad id,13800138000\n"})
    assert res.status_code == 200 and res.json()["rejected"][0]["line"] == 3, res.text

    user = f"{stack.api}/u/demo-wecom/member-codes/{ch['channel_id']}"
    page = f"{stack.api}/m/demo-wecom/{ch['channel_id']}"
    assert requests.get(page, timeout=30).headers["Content-Security-Policy"].startswith("default-src 'self'")
    url = requests.get(f"{user}/authorize-url", params={"redirect_uri": page, "state": "e2e-state-01"},
                       timeout=30).json()["url"].split("#")[0]
    back = requests.get(url.replace("/authorize?", "/authorize/confirm?") + "&openid=o-e2e-vip", timeout=30,
                        allow_redirects=False)
    code = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(back.headers["Location"]).query))["code"]
    token = requests.post(f"{user}/oauth", json={"code": code}, timeout=30).json()["token"]
    bearer = {"Authorization": f"Bearer {token}"}
    res = requests.post(f"{user}/verify", json={"consent": True, "member_id": member_id, "phone": "13900139000"},
                        headers=bearer, timeout=30)
    assert res.status_code == 403 and res.json()["error"]["code"] == "member_mismatch"
    res = requests.post(f"{user}/verify", json={"consent": True, "member_id": member_id, "phone": "13800138000"},
                        headers=bearer, timeout=30)
    assert res.status_code == 200 and res.json()["qr_image"].startswith("data:image/svg+xml;base64,"), res.text

    out = stack.sandbox.wecom_group_action(corpid, "scan", config_id=ch["config_id"], external_userid="wm-e2e-vip")
    assert out["status"] == 200, out
    assert stack.drain()
    figures = admin.get(f"{api}/channels/{ch['channel_id']}/member-figures", timeout=30).json()
    assert (figures["verified"], figures["refused"], figures["joined"]) == (1, 1, 1)
    text = admin.get(f"{api}/channels/{ch['channel_id']}/member-figures.csv", timeout=30).content.decode("utf-8-sig")
    assert text.splitlines()[1].endswith(",1,1,1,0")
