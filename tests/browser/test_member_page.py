"""A members-only group code's verification page (issue 16) in headless Chromium on a 360x740 viewport over the
local stack: WeChat web sign-in through the sandbox's authorize page (on the code's Official Account), a wrong
phone refused with a clear message, then the right one revealing the group's QR code; no CSP violation, no page
error, no horizontal scrolling. Screenshots under build/screenshots/."""

from __future__ import annotations

import secrets

import pytest
from playwright.sync_api import expect

from tests.browser.harness import HANG, RECORDER, SCREENSHOTS

pytestmark = pytest.mark.browser

DEMO_APPID = "wx0000000000demo01"
CORPID = "ww0000000000demo01"


@pytest.fixture
def phone(browser, stack, request):
    context = browser.new_context(base_url=stack.api, locale="zh-CN", timezone_id="Asia/Shanghai",
                                  viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True)
    context.set_default_timeout(HANG)
    context.set_default_navigation_timeout(HANG)
    context.add_init_script(RECORDER)
    pg = context.new_page()
    pg.errors = []
    pg.on("pageerror", lambda exc: pg.errors.append(str(exc)))

    def shot(name):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        pg.screenshot(path=str(SCREENSHOTS / f"member_page_{name}.png"), full_page=True)

    pg.shot = shot
    yield pg
    try:
        shot("end_" + request.node.name)
    finally:
        context.close()


def members_only_code(stack) -> str:
    admin, api = stack.admin("demo-wecom"), f"{stack.api}/accounts/demo-wecom"
    chats = stack.sandbox.wecom_groupchats(CORPID, "h5-owner-" + secrets.token_hex(3), count=2)["chat_ids"]
    r = admin.post(f"{api}/channels", timeout=60, json={
        "kind": "wecom_group", "name": "VIP 会员群", "group": "vip", "chat_ids": chats, "members_only": True,
        "sign_in_account": "demo-oa"})
    assert r.status_code == 201, r.text
    channel_id = r.json()["channel_id"]
    r = admin.post(f"{api}/members/import", timeout=60, json={
        "csv": "\ufeffmember_id,phone,name,level\r\nVIP-H5-01,13800138000,张三,金卡\r\n"})
    assert r.status_code == 200 and r.json()["unchanged"] + r.json()["created"] + r.json()["updated"] == 1, r.text
    return channel_id


def test_a_member_fails_then_verifies_and_sees_the_group_code(phone, stack):
    cid = members_only_code(stack)
    openid = "o-h5-member-" + secrets.token_hex(3)
    phone.goto(f"/m/demo-wecom/{cid}")
    phone.wait_for_url(f"{stack.sandbox_url}/open/connect/oauth2/authorize?**")
    assert f"appid={DEMO_APPID}" in phone.url and "scope=snsapi_base" in phone.url
    phone.fill("#openid", openid)
    phone.click("#continue")
    phone.wait_for_url(f"{stack.api}/m/demo-wecom/{cid}")  # code and state gone from the address bar
    expect(phone.locator("#app")).to_have_attribute("data-state", "ready")
    expect(phone.locator("#title")).to_have_text("VIP 会员群")
    phone.shot("1_ready_360")

    # the privacy notice names who collects the data: the company's WeCom account
    expect(phone.locator("#privacy")).to_contain_text("Demo WeCom corp（企业微信）收集你填写的会员号和手机号")
    phone.fill("#member-id", "VIP-H5-01")
    phone.fill("#phone", "13900139000")
    phone.click("#submit")
    expect(phone.locator("#notice")).to_have_attribute("data-code", "consent_required")
    phone.check("#consent")
    phone.click("#submit")
    expect(phone.locator("#notice")).to_have_attribute("data-code", "member_mismatch")
    expect(phone.locator("#notice-text")).to_have_text("会员号与手机号不匹配，请核对后重试。")
    assert phone.locator("#joined").is_hidden()
    phone.shot("2_refused_360")

    phone.fill("#phone", "138 0013 8000")
    phone.click("#submit")
    expect(phone.locator("#app")).to_have_attribute("data-state", "verified")
    qr = phone.locator("#qr")
    expect(qr).to_be_visible()
    phone.wait_for_function("document.getElementById('qr').naturalWidth > 0")
    box = qr.bounding_box()
    assert box["width"] >= 150 and box["x"] >= 0 and box["x"] + box["width"] <= 360  # scannable, inside 360 px
    assert phone.locator("#notice").is_hidden()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    phone.shot("3_verified_qr_360")
    assert phone.evaluate("window.__csp || []") == [] and phone.errors == []

    r = stack.admin("demo-wecom").get(f"{stack.api}/accounts/demo-wecom/channels/{cid}/member-figures", timeout=60)
    assert r.status_code == 200 and (r.json()["verified"], r.json()["refused"]) == (1, 1), r.text
