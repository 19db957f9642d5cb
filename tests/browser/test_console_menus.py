"""The custom menu page (自定义菜单) in headless Chromium over the local stack, driven like a marketing operator: a
draft made with the structured editor (the API's refusals shown at their fields), published and shown as WeChat's
current menu, tapped by followers through the sandbox and counted in the analytics table and bar chart, another
published and the first rolled back to; the menu deleted and restored; a read-only key sees the menu, its drafts
and versions but no editor and no action; a WeCom corp has no such page. Every test makes its own menu (unique
names and keys), and reads the version numbers it made from the page."""

from __future__ import annotations

import re
import secrets

import pytest
from playwright.sync_api import expect

from tests.browser.harness import signed_in
from tests.browser.test_console_wecom_pages import clean

pytestmark = pytest.mark.browser
TOO_LONG = "这是一个非常长的菜单名称"  # 12 Chinese characters: 36 UTF-8 bytes, WeChat allows 16


def published_via_api(stack, name: str, buttons: list[dict]) -> int:
    """A draft made and published through the admin API; its version number."""
    admin, api = stack.admin("demo-oa"), f"{stack.api}/accounts/demo-oa"
    made = admin.post(f"{api}/menu-drafts", json={"name": name, "button": buttons}, timeout=30)
    assert made.status_code == 201, made.text
    done = admin.post(f"{api}/menu/publish", json={"draft_id": made.json()["draft_id"]}, timeout=30)
    assert done.status_code == 200 and done.json()["unchanged"] is False, done.text
    return done.json()["version"]


def publish_row(page, draft_name: str) -> int:
    """Publish the draft named `draft_name` from the drafts table (with the in-page second step); its version, once
    the page shows it (the notice comes after the current menu and the versions are read again)."""
    row = page.locator("#menu-drafts tbody tr", has_text=draft_name)
    row.locator("button[data-publish]").click()
    row.locator(".confirm-step button.primary").click()
    done = page.locator("#mn-drafts-status .notice.ok")
    expect(done).to_contain_text("已发布为版本")
    return int(re.search(r"版本 (\d+)", done.inner_text()).group(1))


def test_an_operator_drafts_publishes_sees_the_taps_counted_and_rolls_back(page, stack):
    appid = stack.info["demo OA appid"]
    tag = secrets.token_hex(3)
    first, second, key = f"签到{tag}", f"福利{tag}", f"WEB_SIGN_{tag.upper()}"
    draft = f"浏览器菜单 {tag}"
    signed_in(page, stack.key("demo-oa"))
    expect(page.locator("nav a[data-page=menus]")).to_have_text("自定义菜单")
    page.goto("/console#/menus")
    expect(page.locator("#menu-editor")).to_be_visible()

    # a draft with a click button and a button of sub-buttons, refused: each problem shown at its field
    page.fill("#mn-draft-name", draft)
    page.fill("#mn-b0-name", TOO_LONG)
    page.fill("#mn-b0-key", key)
    page.click("#mn-add-button")
    page.select_option("#mn-b1-type", "sub")
    page.fill("#mn-b1-name", "会员")
    page.fill("#mn-b1-s0-name", "商城")
    page.select_option("#mn-b1-s0-type", "view")
    page.fill("#mn-b1-s0-url", "ftp://shop.example.com/menu")
    page.click("#mn-save")
    expect(page.locator("#mn-editor-status .notice.error").last).to_contain_text("validation_error")
    expect(page.locator("#menu-editor [data-error-for='button[0].name']")).to_contain_text("at most 16 bytes")
    expect(page.locator("#mn-b0-name")).to_have_class(re.compile(r"\binvalid\b"))
    expect(page.locator("#menu-editor [data-error-for='button[1].sub_button[0].url']")).to_contain_text("http(s)")
    expect(page.locator("#menu-drafts tbody tr", has_text=draft)).to_have_count(0)

    # corrected and saved, then published: WeChat (the sandbox) shows it
    page.fill("#mn-b0-name", first)
    page.fill("#mn-b1-s0-url", f"https://shop.example.com/{tag}")
    page.click("#mn-save")
    expect(page.locator("#mn-editor-status .notice.ok")).to_contain_text(draft)
    expect(page.locator("#menu-editor .field-error")).to_have_count(0)
    version_a = publish_row(page, draft)
    current = page.locator("#menu-current")
    expect(current.locator(f"#menu-current-tree li[data-entry='{first}']")).to_contain_text(key)
    expect(current.locator("#menu-current-tree li[data-entry='会员/商城']")).to_be_visible()
    expect(current.locator("[data-figure=version] dd")).to_have_text(str(version_a))
    expect(current.locator("[data-figure=matches] dd")).to_have_text("是")
    expect(page.locator(f"#menu-versions tr[data-version='{version_a}'][data-current=true]")).to_be_visible()

    # two followers tap it (one callback delivered twice: WeChat retried), the workers count them
    followers = [f"o-web-menu-{tag}-1", f"o-web-menu-{tag}-2"]
    stack.sandbox.oa_followers(appid, openids=followers)
    assert stack.sandbox.oa_menu_click(appid, followers[0], first, deliveries=2)["status"] == 200
    assert stack.sandbox.oa_menu_click(appid, followers[1], first)["status"] == 200
    assert stack.drain()
    page.click("#mn-stats-apply")
    row = page.locator("#menu-stats-table tbody tr", has_text=first)
    expect(row.locator("td[data-label=点击次数]")).to_have_text("2")
    expect(row.locator("td[data-label=点击人数]")).to_have_text("2")
    expect(row.locator("td[data-label=在当前菜单中]")).to_have_text("是")
    day = page.locator("#menu-stats-days tbody tr", has_text=first)
    expect(day.locator("td[data-label=点击次数]")).to_have_text("2")
    expect(page.locator("#menu-unused tbody tr", has_text="会员/商城")).to_be_visible()
    page.wait_for_function(
        """([name]) => { const el = document.getElementById('menu-stats-chart');
            const c = window.echarts && echarts.getInstanceByDom(el); if (!c) return false;
            const o = c.getOption(); const i = o.xAxis[0].data.indexOf(name);
            return i >= 0 && o.series[0].type === 'bar' && o.series[0].data[i] === 2 && o.series[1].data[i] === 2
              && o.animation === false; }""", arg=[first])

    # another menu published, then the first rolled back to (a new version, the same buttons)
    page.fill("#mn-draft-name", f"{draft} 第二版")
    page.fill("#mn-b0-name", second)
    page.fill("#mn-b0-key", f"{key}_2")
    page.click("#mn-save")
    expect(page.locator("#mn-editor-status .notice.ok")).to_contain_text(f"{draft} 第二版")
    version_b = publish_row(page, f"{draft} 第二版")
    assert version_b > version_a
    expect(current.locator(f"#menu-current-tree li[data-entry='{second}']")).to_be_visible()
    expect(current.locator(f"#menu-current-tree li[data-entry='{first}']")).to_have_count(0)
    expect(page.locator(f"#menu-versions tr[data-version='{version_b}'][data-current=true]")).to_be_visible()
    page.click(f"#menu-versions tr[data-version='{version_a}'] button[data-rollback]")
    page.click(f"#mn-rollback-{version_a}-yes")
    expect(page.locator("#mn-versions-status .notice.ok")).to_contain_text(f"版本 {version_a} 的菜单重新发布为版本")
    expect(current.locator(f"#menu-current-tree li[data-entry='{first}']")).to_be_visible()
    expect(current.locator("[data-figure=matches] dd")).to_have_text("是")
    newest = page.locator("#menu-versions tr[data-current=true]")
    expect(newest).to_contain_text(f"回滚自版本 {version_a}")
    assert int(newest.get_attribute("data-version")) > version_b
    clean(page)


def test_an_operator_deletes_the_menu_and_restores_it_with_a_rollback(page, stack):
    tag = secrets.token_hex(3)
    name = f"删除{tag}"
    version = published_via_api(stack, f"删除测试 {tag}", [{"type": "click", "name": name, "key": f"WEB_DEL_{tag}"}])
    signed_in(page, stack.key("demo-oa"))
    page.goto("/console#/menus")
    current = page.locator("#menu-current")
    expect(current.locator(f"#menu-current-tree li[data-entry='{name}']")).to_be_visible()
    page.click("#menu-delete")
    page.click("#menu-delete-yes")
    expect(page.locator("#mn-current-status .notice.ok")).to_have_text("菜单已删除。")
    expect(current.locator("[data-figure=version] dd")).to_have_text("–")
    expect(current.locator("[data-figure=menu_open] dd")).to_have_text("无菜单")
    expect(current.locator("#menu-current-tree")).to_have_count(0)
    expect(page.locator("#menu-delete")).to_have_count(0)
    page.click(f"#menu-versions tr[data-version='{version}'] button[data-rollback]")  # the versions stay
    page.click(f"#mn-rollback-{version}-yes")
    expect(current.locator(f"#menu-current-tree li[data-entry='{name}']")).to_be_visible()
    expect(current.locator("[data-figure=menu_open] dd")).to_have_text("已开启")
    expect(current.locator("[data-figure=matches] dd")).to_have_text("是")
    clean(page)


def test_a_read_only_key_sees_the_menu_but_no_editor_or_action(page, stack):
    tag = secrets.token_hex(3)
    name, draft = f"只读{tag}", f"只读测试 {tag}"
    published_via_api(stack, draft, [{"type": "view", "name": name, "url": f"https://shop.example.com/ro/{tag}"}])
    made = stack.admin("demo-oa").post(f"{stack.api}/accounts/demo-oa/keys",
                                       json={"role": "read-only", "name": f"menus viewer {tag}"}, timeout=30)
    assert made.status_code == 201, made.text
    signed_in(page, made.json()["key"])
    expect(page.locator("#role-badge")).to_have_text("只读")
    page.click("nav a[data-page=menus]")
    expect(page.locator(f"#menu-current-tree li[data-entry='{name}']")).to_contain_text("跳转网页")
    expect(page.locator("#menu-drafts tbody tr", has_text=draft)).to_be_visible()
    expect(page.locator("#menu-versions tr[data-current=true]")).to_be_visible()
    expect(page.locator("#menu-stats-table table")).to_be_visible()
    for action in ("#menu-editor", "#menu-delete", "button[data-publish]", "button[data-edit]",
                   "button[data-delete-draft]", "button[data-rollback]"):
        expect(page.locator(action)).to_have_count(0)
    page.click("#lang-switch")
    expect(page.locator("nav a[data-page=menus]")).to_have_text("Custom menus")
    expect(page.locator("main h1")).to_have_text("Custom menus")
    expect(page.locator("#menu-current h2")).to_have_text("Current menu")
    clean(page)


def test_a_wecom_corp_has_no_custom_menu_page(page, stack):
    signed_in(page, stack.key("demo-wecom"))
    expect(page.locator("nav a[data-page=groups]")).to_be_visible()  # the nav of a WeCom corp is drawn
    expect(page.locator("nav a[data-page=menus]")).to_have_count(0)
    page.goto("/console#/menus")
    expect(page.locator("#page .notice.error")).to_have_text("没有这个页面。")
    clean(page)
