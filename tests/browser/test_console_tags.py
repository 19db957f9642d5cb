"""The console's corp tags page in headless Chromium over the local stack: listed for a WeCom account (not in an
Official Account's nav), a group with its tags created with the form and shown with the group's name, synced."""

from __future__ import annotations

import secrets

import pytest
from playwright.sync_api import expect

from tests.browser.harness import signed_in

pytestmark = pytest.mark.browser


def test_the_tags_page_creates_a_group_and_lists_its_tags(page, stack):
    signed_in(page, stack.key("demo-wecom"))
    expect(page.locator("nav a[data-page=tags]")).to_have_count(1)
    group = f"浏览器标签组 {secrets.token_hex(2)}"
    page.goto("/console#/tags")
    page.fill("#tags-group", group)
    page.fill("#tags-names", "金卡，银卡")
    page.click("#tags-create button[type=submit]")
    expect(page.locator("tr", has_text=group)).to_have_count(2)
    expect(page.locator("tr", has_text="金卡").filter(has_text=group)).to_be_visible()
    page.click("#tags-sync")
    expect(page.locator("#tags-status .notice")).to_contain_text("已同步")
    assert page.csp_violations() == [] and page.errors == [] and page.dialogs == []


def test_an_official_account_has_no_tags_page(page, stack):
    signed_in(page, stack.key("demo-oa"))
    expect(page.locator("nav a[data-page=channels]")).to_have_count(1)
    expect(page.locator("nav a[data-page=tags]")).to_have_count(0)
