"""The console's OA insight page (公众号数据) in headless Chromium over the local stack, driven as a marketing analyst
would: followers follow yesterday through a code and by search and one leaves again (sandbox events sent to our
callback), an article's readers are set in the sandbox's datacube, the daily pull runs (fired as EventBridge would);
the page shows yesterday's figures in its table (by source, with WeChat's Chinese names) and its line, the top
article, and saves the CSV with a BOM. Then followers in the sandbox are synced with the page's button (an operator's)
and the breakdowns count them, with the note that WeChat no longer returns gender or region. A read-only key sees the
figures but no sync button; a WeCom corp has no such page; the page speaks English on request.

Each test has an Official Account of its own (stack.fresh_oa): WeChat's
figures of a day are pulled once and kept, and followers are counted per account, so nothing another test did (or
will do) to the demo account moves the numbers asserted here."""

from __future__ import annotations

import csv
import io
import secrets
from datetime import UTC, datetime, timedelta, timezone

import pytest
from playwright.sync_api import expect

from tests.browser.harness import signed_in
from tests.browser.test_console_wecom_pages import chart_drawn, clean
from tests.timing import wait_until

pytestmark = pytest.mark.browser
CHINA = timezone(timedelta(hours=8))


def yesterday_of(stack) -> tuple[str, int]:
    now = stack.sandbox.now()
    day = (datetime.fromtimestamp(now, UTC).astimezone(CHINA) - timedelta(days=1)).date().isoformat()
    return day, int(now) - 86400


def open_page(page, stack, key: str):
    signed_in(page, key)
    expect(page.locator("nav a[data-page=insight]")).to_have_text("公众号数据")
    page.goto("/console#/insight")
    expect(page.locator("main h1")).to_have_text("公众号数据")


def test_yesterdays_figures_show_in_the_table_and_line_and_download_as_csv(page, stack):
    tag = secrets.token_hex(3)
    oa = stack.fresh_oa(f"web-insight-{tag}", f"数据分析 {tag}")
    sb, appid = stack.sandbox, oa["appid"]
    yesterday, at = yesterday_of(stack)
    for n in range(3):  # through a code (扫描二维码, user_source 30)
        out = sb.oa_event(appid, "subscribe", openid=f"o_web_in_{tag}_{n}", scene=f"web-insight-{tag}",
                          create_time=at + n)
        assert out["status"] == 200, out
    out = sb.oa_event(appid, "subscribe", openid=f"o_web_in_{tag}_s", create_time=at + 5)  # by search (1)
    assert out["status"] == 200, out
    out = sb.oa_event(appid, "unsubscribe", openid=f"o_web_in_{tag}_2", create_time=at + 10)
    assert out["status"] == 200, out
    sb.oa_datacube(appid, "getarticleread", yesterday, [{"msgid": "2247490098_1", "detail": {"read_user": 9}},
                                                        {"msgid": "2247490099_1", "detail": {"read_user": 4}}])
    sb.oa_datacube(appid, "getarticleshare", yesterday, [{"msgid": "2247490098_1", "detail": {"share_user": 2}}])
    assert stack.drain()
    stack.fire("oa_insight")

    open_page(page, stack, oa["key"])
    expect(page.locator("#in-to")).to_have_value(yesterday)  # the default range ends yesterday
    row = page.locator("#in-days tbody tr").filter(has=page.locator(f"td[data-label=日期]:text-is('{yesterday}')"))
    expect(row).to_have_count(1)
    expect(row.locator("td[data-label=新关注]")).to_have_text("4")
    expect(row.locator("td[data-label=取消关注]")).to_have_text("1")
    expect(row.locator("td[data-label=净增关注]")).to_have_text("3")
    expect(row.locator("td[data-label=累计关注]")).to_have_text("3")
    expect(row.locator("td[data-label=阅读人数]")).to_have_text("13")
    expect(row.locator("td[data-label=分享人数]")).to_have_text("2")
    # by source, named as WeChat's getusersummary page names them
    qr = page.locator("#in-sources tbody tr", has_text="扫描二维码")
    expect(qr.locator("td[data-label=日期]")).to_have_text(yesterday)
    expect(qr.locator("td[data-label=新关注]")).to_have_text("3")
    expect(qr.locator("td[data-label=取消关注]")).to_have_text("1")
    expect(qr.locator("td[data-label=净增关注]")).to_have_text("2")
    expect(page.locator("#in-sources tbody tr", has_text="公众号搜索").locator("td[data-label=新关注]")).to_have_text(
        "1")
    # the most read article first
    top = page.locator("#in-articles tbody tr").first
    expect(top.locator("td[data-label='文章 msgid']")).to_have_text("2247490098_1")
    expect(top.locator("td[data-label=阅读人数]")).to_have_text("9")
    expect(top.locator("td[data-label=分享人数]")).to_have_text("2")
    # the line: drawn on a canvas, yesterday its last point
    chart_drawn(page, "insight-chart")
    expect(page.locator("#insight-chart canvas")).not_to_have_count(0)
    series = page.evaluate("""() => {
        const c = window.echarts.getInstanceByDom(document.getElementById('insight-chart'));
        const o = c.getOption();
        return {animation: o.animation, days: o.xAxis[0].data.length,
                last: Object.fromEntries(o.series.map((s) => [s.name, s.data[s.data.length - 1]]))}; }""")
    assert series["animation"] is False and series["days"] == 30
    assert series["last"] == {"新关注": 4, "取消关注": 1, "净增关注": 3, "累计关注": 3, "阅读人数": 13}

    with page.expect_download() as got:
        page.click("#in-csv")
    assert got.value.suggested_filename == f"insight-{oa['account_id']}.csv"
    data = open(got.value.path(), "rb").read()
    assert data.startswith(b"\xef\xbb\xbf") and not data.startswith(b"\xef\xbb\xbf\xef\xbb\xbf")
    rows = {r["day"]: r for r in csv.DictReader(io.StringIO(data.decode("utf-8-sig")))}
    assert len(rows) == 30
    assert (rows[yesterday]["new_user"], rows[yesterday]["cancel_user"], rows[yesterday]["read_user"]) == \
        ("4", "1", "13")

    # a range the API refuses: its error shown, the figures left as they were
    page.fill("#in-from", yesterday)
    page.fill("#in-to", (datetime.fromisoformat(yesterday) - timedelta(days=3)).date().isoformat())
    page.click("#in-apply")
    expect(page.locator("#in-status .notice.error")).to_contain_text("from")
    clean(page)


def test_an_operator_syncs_followers_from_the_page_and_sees_the_breakdown(page, stack):
    tag = secrets.token_hex(3)
    oa = stack.fresh_oa(f"web-insight-{tag}", f"数据分析 {tag}")
    sb, appid = stack.sandbox, oa["appid"]
    ids = [f"o-web-follow-{tag}-{n}" for n in range(3)]
    sb.oa_followers(appid, openids=ids, count=120, prefix=f"oWebFollow{tag}")
    sb.oa_followers(appid, profiles={o: {"language": "en", "subscribe_scene": "ADD_SCENE_PAID"} for o in ids})
    signed_in(page, stack.new_key(oa["account_id"], "operator"))
    page.goto("/console#/insight")
    note = page.locator("#fl-note")
    expect(note).to_contain_text("微信已不再返回性别和地区")
    expect(note).to_contain_text("头像")  # the API's own note
    expect(page.locator("#fl-sync [data-figure=phase] dd")).to_have_text("从未同步")
    expect(page.locator("#fl-totals [data-figure=total] dd")).to_have_text("0")

    page.click("#fl-sync-start")
    expect(page.locator("#fl-status .notice.ok")).to_have_text("已开始同步，完成后自动刷新。")
    admin, api = stack.admin(), f"{stack.api}/accounts/{oa['account_id']}"
    headers = {"Authorization": f"Bearer {oa['key']}"}

    def synced():
        assert stack.drain()
        return admin.get(f"{api}/followers/sync", headers=headers, timeout=30).json()["phase"] == "done"

    wait_until(synced, what="the follower sync to finish", poll=0)
    # the page asks again while the sync runs, and reads the breakdown once it is done
    expect(page.locator("#fl-sync [data-figure=phase] dd")).to_have_text("已完成")
    expect(page.locator("#fl-sync [data-figure=listed] dd")).to_have_text("123")
    expect(page.locator("#fl-totals [data-figure=total] dd")).to_have_text("123")
    language = page.locator("#fl-by-language tbody tr")
    expect(language.filter(has_text="简体中文").locator("td[data-label=人数]")).to_have_text("120")
    expect(language.filter(has_text="英文").locator("td[data-label=人数]")).to_have_text("3")
    expect(page.locator("#fl-by-scene tbody tr", has_text="支付后关注").locator("td[data-label=人数]")).to_have_text(
        "3")
    expect(page.locator("#fl-by-scene tbody tr", has_text="ADD_SCENE_OTHERS").locator("td[data-label=关注来源]")
           ).to_have_text("其他")
    chart_drawn(page, "fl-chart", 2)
    bars = page.evaluate("""() => {
        const o = window.echarts.getInstanceByDom(document.getElementById('fl-chart')).getOption();
        return Object.fromEntries(o.yAxis[0].data.map((name, i) => [name, o.series[0].data[i]])); }""")
    assert bars == {"其他": 120, "支付后关注": 3}
    month = datetime.fromtimestamp(sb.now(), UTC).astimezone(CHINA).strftime("%Y-%m")
    expect(page.locator("#fl-by-month tbody tr", has_text=month).locator("td[data-label=人数]")).to_have_text("123")

    with page.expect_download() as got:
        page.click("#fl-csv")
    data = open(got.value.path(), "rb").read()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert {"dimension": "language", "value": "en", "name": "", "count": "3"} in rows
    assert [r["dimension"] for r in rows][:1] == ["total"] and rows[0]["count"] == "123"

    first_run = page.get_attribute("#fl-sync", "data-run")
    assert first_run
    page.click("#fl-sync-start")  # a second sync, done again from the page
    expect(page.locator("#fl-sync")).not_to_have_attribute("data-run", first_run)
    wait_until(synced, what="the second follower sync to finish", poll=0)
    expect(page.locator("#fl-sync")).to_have_attribute("data-phase", "done")
    expect(page.locator("#fl-totals [data-figure=total] dd")).to_have_text("123")
    clean(page)


def test_a_viewer_reads_the_page_without_the_sync_button_and_it_speaks_english(page, stack):
    oa = stack.fresh_oa(f"web-insight-{secrets.token_hex(3)}", "数据分析")
    open_page(page, stack, stack.new_key(oa["account_id"], "read-only"))
    expect(page.locator("#in-days tbody tr")).to_have_count(30)  # nothing pulled yet: a row a day, figures '—'
    expect(page.locator("#fl-refresh")).to_be_visible()
    expect(page.locator("#fl-sync-start")).to_have_count(0)
    page.click("#lang-switch")
    expect(page.locator("main h1")).to_have_text("OA insight")
    expect(page.locator("nav a[data-page=insight]")).to_have_text("OA insight")
    expect(page.locator("#fl-note")).to_contain_text("WeChat no longer returns gender or region")
    expect(page.locator("#fl-note")).to_contain_text("headimgurl")
    expect(page.locator("#insight-followers h2")).to_have_text("Follower profiles")
    clean(page)


def test_a_wecom_corp_has_no_insight_page(page, stack):
    signed_in(page, stack.key("demo-wecom"))
    expect(page.locator("nav a[data-page=staff]")).to_have_count(1)
    expect(page.locator("nav a[data-page=insight]")).to_have_count(0)
    page.goto("/console#/insight")
    expect(page.locator("main .notice.error")).to_have_text("没有这个页面。")
    clean(page)
