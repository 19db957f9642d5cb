"""A vote campaign's page (issue 17) in headless Chromium at 360x740 over the local stack: WeChat web sign-in
through the sandbox, the options with their images, a title that is markup shown as text, one vote per tap even
when tapped twice, votes left today, the live results after voting, the limit-reached message, no horizontal
scrolling and nothing blocked by the CSP. Screenshots under build/screenshots/."""

from __future__ import annotations

import secrets
import struct
import time
import zlib

import pytest
from playwright.sync_api import expect

from tests.browser.test_campaign_page import DEMO_APPID, phone  # noqa: F401 (the 360 px phone fixture)

pytestmark = pytest.mark.browser

XSS = "<img src=x onerror=alert(1)>"


def png(rgb: tuple[int, int, int], w: int = 32, h: int = 18) -> bytes:
    """A small solid PNG (the options' pictures, served for their https URLs by the test)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + bytes(rgb) * w for _ in range(h))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def seed_vote(stack) -> str:
    cid = "vote-" + secrets.token_hex(4)
    now = int(time.time())
    r = stack.admin("demo-oa").post(f"{stack.api}/accounts/demo-oa/campaigns", timeout=60, json={
        "campaign_id": cid, "name": "最受欢迎的新品", "starts_at": now - 60, "ends_at": now + 86400,
        "status": "active", "kind": "vote", "eligibility": {"must_follow": True}, "voting": {"votes_per_day": 2},
        "options": [
            {"option_id": "tea", "title": "桂花乌龙", "description": "清香回甘", "image": "https://img.example.com/tea.png"},
            {"option_id": "cake", "title": "抹茶蛋糕", "image": "https://img.example.com/cake.png"},
            {"option_id": "xss", "title": XSS, "description": "<script>alert(2)</script>"}]})
    assert r.status_code == 201, r.text
    return cid


def test_a_follower_votes_and_sees_the_live_results(phone, stack):  # noqa: F811
    phone.route("https://img.example.com/tea.png", lambda route: route.fulfill(
        status=200, content_type="image/png", body=png((200, 140, 60))))
    phone.route("https://img.example.com/cake.png", lambda route: route.fulfill(
        status=200, content_type="image/png", body=png((120, 170, 90))))
    cid = seed_vote(stack)
    openid = "o-vote-" + secrets.token_hex(6)
    stack.sandbox.oa_event(DEMO_APPID, "subscribe", openid=openid)
    phone.goto(f"/c/demo-oa/{cid}")
    phone.wait_for_url(f"{stack.sandbox_url}/open/connect/oauth2/authorize?**")
    assert "scope=snsapi_base" in phone.url
    phone.click(f"button[name=openid][value='{openid}']")
    phone.wait_for_url(f"{stack.api}/c/demo-oa/{cid}")
    expect(phone.locator("#app")).to_have_attribute("data-state", "ready")
    expect(phone.locator("#title")).to_have_text("最受欢迎的新品")
    expect(phone.locator("#wheel-box")).to_be_hidden()
    expect(phone.locator("#options .option")).to_have_count(3)
    expect(phone.locator("#votes-left")).to_have_text("今日剩余票数：2")
    # the markup in a title is text: no element made of it, no script run
    expect(phone.locator("#options .option[data-option=xss] h3")).to_have_text(XSS)
    assert phone.locator("#options img[src=x]").count() == 0
    expect(phone.locator("#options .option[data-option=tea] img")).to_have_attribute("alt", "桂花乌龙")
    phone.wait_for_function("document.querySelector('.option[data-option=tea] img').naturalWidth > 0")
    phone.shot("vote_1_ready_360")

    phone.locator(".option[data-option=tea] button.vote").dblclick()  # a double tap votes once
    expect(phone.locator("#votes-left")).to_have_text("今日剩余票数：1")
    expect(phone.locator("#results")).to_be_visible()
    expect(phone.locator("#results-total")).to_have_text("共 1 票，1 人参与")
    expect(phone.locator(".option[data-option=tea] .count")).to_have_text("1 票")
    phone.shot("vote_2_voted_results_360")

    phone.locator(".option[data-option=xss] button.vote").click()
    expect(phone.locator("#votes-left")).to_have_text("今日剩余票数：0")
    expect(phone.locator("#results-total")).to_have_text("共 2 票，1 人参与")
    expect(phone.locator(".option button.vote:enabled")).to_have_count(0)  # nothing left to offer today
    # a stale page (say another tab voted) still asks: the answer is the limit's own message
    phone.evaluate("() => { document.querySelectorAll('button.vote').forEach(b => b.disabled = false); }")
    phone.locator(".option[data-option=cake] button.vote").click()
    expect(phone.locator("#notice")).to_have_attribute("data-code", "daily_vote_limit")
    expect(phone.locator("#notice-text")).to_have_text("今天的票已经投完了，明天再来吧。")
    phone.shot("vote_3_limit_360")

    results = stack.admin("demo-oa").get(f"{stack.api}/accounts/demo-oa/campaigns/{cid}/votes", timeout=60).json()
    assert [(o["option_id"], o["votes"]) for o in results["options"]] == [("tea", 1), ("cake", 0), ("xss", 1)]
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    assert phone.evaluate("window.__csp") == []
    assert phone.errors == []


def test_a_user_who_does_not_follow_is_told_to_follow_first(phone, stack):  # noqa: F811
    cid = seed_vote(stack)
    phone.goto(f"/c/demo-oa/{cid}")
    phone.wait_for_url(f"{stack.sandbox_url}/open/connect/oauth2/authorize?**")
    phone.fill("#openid", "o-stranger-" + secrets.token_hex(4))
    phone.click("#continue")
    expect(phone.locator("#app")).to_have_attribute("data-state", "ready")
    phone.locator(".option[data-option=cake] button.vote").click()
    expect(phone.locator("#notice")).to_have_attribute("data-code", "not_following")
    expect(phone.locator("#notice-text")).to_have_text("请先关注公众号，再来参加投票。")
    phone.shot("vote_4_not_following_360")
    assert phone.errors == []
