"""The admin console in headless Chromium over the local stack: sign-in, channels and their poster, statistics
that change as the sandbox plays follows, Swagger UI at /docs, the English switch; no CSP violation anywhere."""

from __future__ import annotations

import re
import secrets

import pytest
from playwright.sync_api import expect

from tests.browser.harness import signed_in

pytestmark = pytest.mark.browser


def clean(page):
    """Nothing the CSP blocked, no uncaught error, no dialog."""
    assert page.csp_violations() == []
    assert page.errors == []
    assert page.dialogs == []


def test_sign_in_with_the_demo_key_shows_what_the_role_allows_and_keeps_no_key(page, stack):
    key = stack.key("demo-oa")
    page.goto("/console")
    expect(page.locator("#signin-form")).to_be_visible()
    expect(page.locator("h1")).to_have_text("登录管理后台")  # Simplified Chinese first
    signed_in(page, key)
    expect(page.locator("#account-picker")).to_have_value("demo-oa")
    expect(page.locator("#role-badge")).to_have_text("管理员")
    expect(page.locator("nav a[data-page]")).to_have_count(15)  # the sandbox page too: a local stack
    assert {"insight", "menus", "segments", "journeys", "oa-tags", "sandbox"} <= set(
        page.locator("nav a[data-page]").evaluate_all("(links) => links.map((a) => a.dataset.page)"))
    storage = page.evaluate("JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage)])")
    assert key not in storage and key not in page.content()
    [cookie] = [c for c in page.context.cookies() if c["name"] == "scrm_session"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and key not in cookie["value"]
    page.reload()  # the session is re-read from the cookie; the CSRF token from GET /console/session
    expect(page.locator("#account-picker")).to_be_visible()
    page.click("#sign-out")
    expect(page.locator("#signin-form")).to_be_visible()
    assert not [c for c in page.context.cookies() if c["name"] == "scrm_session" and c["value"]]
    clean(page)


def test_a_read_only_key_sees_no_create_form_and_no_set_up(page, stack):
    admin = stack.admin("demo-oa")
    res = admin.post(f"{stack.api}/accounts/demo-oa/keys", json={"role": "read-only", "name": "browser viewer"},
                     timeout=30)
    assert res.status_code == 201, res.text
    signed_in(page, res.json()["key"])
    expect(page.locator("#role-badge")).to_have_text("只读")
    page.goto("/console#/channels")
    expect(page.locator(".pager table")).to_be_visible()
    expect(page.locator("#channel-form")).to_have_count(0)
    page.goto("/console#/accounts")
    expect(page.locator(".pager table")).to_be_visible()
    expect(page.locator("button[data-setup]")).to_have_count(0)
    clean(page)


def test_create_a_channel_and_see_its_poster(page, stack):
    name = f"门店海报 {secrets.token_hex(3)}"
    signed_in(page, stack.key("demo-oa"))
    page.goto("/console#/channels")
    page.fill("#ch-name", name)
    page.fill("#ch-group", "posters")
    page.fill("#ch-welcome", "欢迎光临")
    page.click("#ch-create")
    expect(page.locator(".notice.ok")).to_contain_text(name)
    row = page.locator("tr", has_text=name)
    expect(row).to_be_visible()
    row.locator("a[data-poster]").click()
    expect(page.locator("#poster-name")).to_have_text(name)
    expect(page.locator("#poster-caption")).to_have_text("微信扫一扫，关注我们")
    page.wait_for_function("() => { const i = document.getElementById('poster-qr'); "
                           "return i && i.complete && i.naturalWidth > 100; }")
    assert page.evaluate("document.getElementById('poster-qr').src").startswith("blob:")
    page.emulate_media(media="print")
    expect(page.locator("header.topbar")).to_be_hidden()
    expect(page.locator("#poster")).to_be_visible()
    clean(page)


def _chart_total(page, element_id: str, series: int) -> int:
    return page.evaluate(
        "([id, s]) => { const c = window.echarts && echarts.getInstanceByDom(document.getElementById(id));"
        " if (!c) return -1; return c.getOption().series[s].data.reduce((a, b) => a + (b || 0), 0); }",
        [element_id, series])


def test_follows_played_by_the_sandbox_change_the_stats_chart(page, stack):
    admin, api = stack.admin("demo-oa"), f"{stack.api}/accounts/demo-oa"
    name = f"统计海报 {secrets.token_hex(3)}"
    res = admin.post(f"{api}/channels", json={"kind": "oa_qr", "name": name, "group": "browser"}, timeout=30)
    assert res.status_code == 201, res.text
    channel = res.json()
    signed_in(page, stack.key("demo-oa"))
    page.goto("/console#/stats")
    page.wait_for_function("() => Number(document.getElementById('chart-daily').dataset.chartReady || 0) > 0")
    before = _chart_total(page, "chart-daily", 0)
    assert before >= 0
    appid = stack.info["demo OA appid"]
    for i in range(3):
        out = stack.sandbox.oa_event(appid, "subscribe", openid=f"o-browser-{secrets.token_hex(4)}-{i}",
                                     scene=channel["scene"])
        assert out["status"] == 200, out
    assert stack.drain()
    page.click("#st-apply")
    page.wait_for_function(
        "([b]) => { const c = window.echarts && echarts.getInstanceByDom(document.getElementById('chart-daily'));"
        " return c && c.getOption().series[0].data.reduce((a, x) => a + (x || 0), 0) >= b + 3; }", arg=[before])
    row = page.locator("#st-totals tr", has_text=name)
    expect(row).to_be_visible()
    expect(row.locator("td").nth(3)).to_have_text("3")  # joined
    with page.expect_download() as download:
        page.click("#st-csv")
    path = download.value.path()
    data = open(path, "rb").read()
    assert data.startswith(b"\xef\xbb\xbf") and name.encode() in data
    clean(page)


def test_docs_renders_swagger_ui_listing_the_routes(page, stack):
    page.goto("/docs")
    expect(page.locator(".swagger-ui .info .title")).to_be_visible()
    # over a hundred routes: Swagger UI renders only the areas in view, and the filter box finds one by its tag
    for tag, path in (("channels", "/accounts/{account_id}/channels"), ("console", "/console/session"),
                      ("menu", "/accounts/{account_id}/menu/publish")):
        page.fill(".operation-filter-input", tag)
        expect(page.locator(f".opblock-summary-path[data-path='{path}']").first).to_be_visible()
    clean(page)


def test_the_english_switch_changes_the_labels_and_is_remembered(page, stack):
    signed_in(page, stack.key("demo-oa"))
    page.goto("/console#/channels")
    expect(page.locator("nav a[data-page='channels']")).to_have_text("渠道活码")
    page.click("#lang-switch")
    expect(page.locator("nav a[data-page='channels']")).to_have_text("Channels")
    expect(page.locator("#sign-out")).to_have_text("Sign out")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.reload()
    expect(page.locator("nav a[data-page='stats']")).to_have_text("Channel statistics")
    page.click("#lang-switch")
    expect(page.locator("nav a[data-page='stats']")).to_have_text("渠道统计")
    clean(page)


def test_accounts_show_the_wechat_set_up_with_copy_buttons_and_the_url_check_passes(page, stack):
    signed_in(page, stack.key("demo-oa"))
    page.goto("/console#/accounts")
    page.click("button[data-setup='demo-oa']")
    expect(page.locator("#setup-url")).to_have_text(stack.info["demo OA callback"])
    expect(page.locator("#setup-token")).to_have_text(re.compile(r"^[0-9a-f]{16}$"))
    expect(page.locator("#setup-aes-key")).to_have_text(re.compile(r"^[A-Za-z0-9]{43}$"))
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.click("button[data-copy='token']")
    expect(page.locator("button[data-copy='token']")).to_have_text("已复制")
    assert page.evaluate("navigator.clipboard.readText()") == page.locator("#setup-token").text_content()
    page.click("#callback-check")
    expect(page.locator("#check-result .notice.ok")).to_contain_text("检查通过")
    clean(page)


def test_wecom_staff_sign_in_with_the_qr_login_button(page, stack):
    page.goto("/console")
    expect(page.locator("#wecom-login")).to_have_text("企业微信扫码登录")
    page.fill("#wecom-account", "demo-wecom")
    page.click("#wecom-login")
    scan_as = page.locator("button[data-userid='zhangsan']")  # the sandbox plays WeCom's login page
    expect(scan_as).to_be_visible()
    assert page.url.startswith(stack.sandbox_url)
    scan_as.click()
    expect(page.locator("#account-picker")).to_have_value("demo-wecom")
    assert page.url.startswith(f"{stack.api}/console")
    expect(page.locator(".who")).to_contain_text("zhangsan")
    expect(page.locator("#role-badge")).to_have_text("管理员")
    assert page.csp_violations() == [] and page.errors == []
