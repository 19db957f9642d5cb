"""The console's WeCom pages in headless Chromium over the local stack, each over data seeded through the sandbox and
the admin API: customer groups (a group whose name looks like HTML shows as text; its members, its size per day as a
line, the group codes over it), moments (scheduled with the form, its tags by name and a deleted one flagged, one
published through the sandbox with its figures), staff figures (table, chart, CSV) and loss alerts (settings saved
with the form, the alert counted); a read-only key sees the pages but no create button or settings form; the titles
speak English on request."""

from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser.harness import signed_in
from tests.timing import wait_until

pytestmark = pytest.mark.browser
CHINA = timezone(timedelta(hours=8))
XSS = "<img src=x onerror=alert(1)>"


def clean(page):
    """Nothing the CSP blocked, no uncaught error, no dialog (an alert(1) that ran would be one)."""
    assert page.csp_violations() == []
    assert page.errors == []
    assert page.dialogs == []


def chart_drawn(page, element_id: str, at_least: int = 1):
    page.wait_for_function(f"() => Number(document.getElementById('{element_id}')?.dataset.chartReady) >= {at_least}")


def on_some_page(page, scope: str, row):
    """The row, walking the pager's pages (上一页/下一页) until it shows."""
    where = page.locator(f"{scope} .pager-where")
    expect(where).to_have_text("第 1 页")
    for _ in range(100):
        if row.count():
            return row
        following = page.locator(f"{scope} .pager-nav button").last
        assert following.is_enabled(), "not on any page"
        shown = where.inner_text()
        following.click()
        expect(where).not_to_have_text(shown)
    raise AssertionError("not on the first 100 pages")


def read_only_key(stack, name: str, role: str = "read-only") -> str:
    made = stack.admin("demo-wecom").post(f"{stack.api}/accounts/demo-wecom/keys",
                                          json={"role": role, "name": name}, timeout=30)
    assert made.status_code == 201, made.text
    return made.json()["key"]


def test_the_groups_page_lists_a_group_as_text_with_its_members_sizes_and_group_code(page, stack):
    sb, corpid = stack.sandbox, stack.info["demo WeCom corpid"]
    tag = secrets.token_hex(3)
    owner, name = f"web-gowner-{tag}", f"{XSS}{tag}"
    [chat_id] = sb.wecom_groupchats(corpid, owner, count=1, name=name,
                                    external_userids=[f"wm-web-{tag}-a"])["chat_ids"]
    assert sb.wecom_event(corpid, "change_external_chat", chat_id=chat_id, change_type="create")["status"] == 200
    assert stack.drain()
    admin, api = stack.admin("demo-wecom"), f"{stack.api}/accounts/demo-wecom"
    code_name = f"浏览器群活码 {tag}"
    made = admin.post(f"{api}/channels", json={"kind": "wecom_group", "name": code_name, "group": "groups",
                                               "chat_ids": [chat_id], "group_cap": 50}, timeout=30)
    assert made.status_code == 201, made.text
    scan = sb.wecom_group_action(corpid, "scan", config_id=made.json()["config_id"], external_userid=f"wm-web-{tag}-b")
    assert scan["status"] == 200, scan
    assert stack.drain()
    assert admin.get(f"{api}/groups/{chat_id}", timeout=30).json()["size"] == 3

    signed_in(page, stack.key("demo-wecom"))
    expect(page.locator("nav a[data-page=groups]")).to_have_text("客户群")
    page.goto(f"/console#/groups?group={chat_id}")
    detail = page.locator("#group-detail")
    expect(detail.locator(".gr-title")).to_have_text(name)  # the name as text, never parsed as HTML
    members = detail.locator("#group-members tbody tr")
    expect(members).to_have_count(3)
    expect(detail.locator("tr", has_text=f"wm-web-{tag}-b").locator("td[data-label=入群方式]")).to_have_text(
        "扫描群二维码")
    expect(detail.locator("tr", has_text=f"wm-web-{tag}-b").locator("td[data-label=来源群活码]")).to_have_text(
        made.json()["channel_id"])
    chart_drawn(page, "group-size-chart")
    last = page.evaluate("""() => {
        const c = window.echarts.getInstanceByDom(document.getElementById('group-size-chart'));
        const data = c.getOption().series[0].data;
        return data[data.length - 1]; }""")
    assert last == 3  # today's size, the line's last point
    code = page.locator("#group-codes tr", has_text=code_name)
    expect(code.locator("td[data-label='群池（个）']")).to_have_text("1")
    expect(code.locator("td[data-label=每群人数上限]")).to_have_text("50")
    expect(code.locator("td[data-label=当前展示的群]")).to_have_text(chat_id)
    # and in the list (paged; the stack is shared, so other tests' groups may come first), with the name as text
    row = on_some_page(page, "#group-list", page.locator(f"#group-list tbody tr:has(button[data-group='{chat_id}'])"))
    expect(row.locator("td[data-label=群名称]")).to_have_text(name)
    expect(row.locator("td[data-label=人数]")).to_have_text("3")
    expect(row.locator("td[data-label=群主]")).to_have_text(owner)
    assert page.locator("main img").count() == 0
    clean(page)


def test_the_moments_page_schedules_one_and_shows_a_published_ones_figures(page, stack):
    sb, corpid = stack.sandbox, stack.info["demo WeCom corpid"]
    staff = f"webmom{secrets.token_hex(3)}"
    customers = sb.wecom_customers(corpid, staff, count=3)["external_userids"]
    admin, base = stack.admin("demo-wecom"), f"{stack.api}/accounts/demo-wecom/moments"
    # Due now on the API's clock (the machine's), not the sandbox's: other tests move the sandbox clock forward
    # (the moments e2e test by 10 minutes), and a moment timed by it would not be due for as long.
    send_at = datetime.fromtimestamp(int(time.time()) - 5, ZoneInfo("Asia/Shanghai")).isoformat()
    made = admin.post(base, json={"name": f"已发布 {staff}", "text": "年终大促", "senders": [staff],
                                  "send_at": send_at}, timeout=30)
    assert made.status_code == 201, made.text
    mid = made.json()["moment_id"]

    def on_wecom():
        """A tick of the schedule (the WeCom task, then its job), the sandbox clock moved past the job's second."""
        stack.fire("content_push")
        sb.advance(2)
        return admin.get(f"{base}/{mid}", timeout=30).json().get("wecom_moment_id")

    wid = wait_until(on_wecom, what="the moment on WeCom", poll=0)
    sb.wecom_publish_moment(corpid, wid, staff)
    sb.wecom_moment_interaction(corpid, wid, staff, "like", customers[0])
    stack.fire("content_push")
    made = admin.post(f"{stack.api}/accounts/demo-wecom/tags", timeout=30,
                      json={"group_name": f"朋友圈 {staff}", "tags": [{"name": "会员"}]})
    assert made.status_code == 201, made.text
    [corp_tag] = made.json()["tags"]

    signed_in(page, stack.key("demo-wecom"))
    page.goto(f"/console#/moments?moment={mid}")
    detail = page.locator("#moment-detail")
    expect(detail.locator(".mo-title")).to_have_text(f"已发布 {staff}")
    expect(detail.locator("#moment-figures [data-figure=published] dd")).to_have_text("1")
    expect(detail.locator("#moment-figures [data-figure=likes] dd")).to_have_text("1")
    expect(detail.locator("#moment-figures tr", has_text=staff).locator("td[data-label=点赞]")).to_have_text("1")

    # scheduled with the form: text, the staff member, China time tomorrow
    later = (datetime.fromtimestamp(time.time(), UTC).astimezone(CHINA) + timedelta(days=1)).strftime("%Y-%m-%dT10:00")
    page.fill("#mo-name", f"排期 {staff}")
    page.fill("#mo-text", f"{XSS} 新品预告")
    page.fill("#mo-senders", staff)
    page.fill("#mo-send-at", later)
    page.select_option("#mo-tags", corp_tag["tag_id"])  # the visible range: customers with this corp tag
    expect(page.locator("#mo-tags option:checked")).to_have_text(f"朋友圈 {staff} / 会员")
    page.click("#mo-create")
    # the page opens the new moment
    expect(detail).to_have_attribute("data-status", "scheduled")
    expect(detail.locator(".mo-title")).to_have_text(f"排期 {staff}")
    expect(detail.locator(".mo-text")).to_have_text(f"{XSS} 新品预告")
    expect(detail.locator(".mo-tags")).to_have_text(f"朋友圈 {staff} / 会员")  # by name, not its id
    row = page.locator("#moment-list tr", has_text=f"排期 {staff}")
    expect(row.locator("td[data-label=状态]")).to_have_text("待发布")
    expect(row.locator("td[data-label=发布时间]")).to_contain_text(later[11:16])  # shown in China time
    listed = [m for m in admin.get(base, params={"limit": 100}, timeout=30).json()["items"]
              if m.get("name") == f"排期 {staff}"]
    assert len(listed) == 1 and listed[0]["status"] == "scheduled", listed
    assert (listed[0]["senders"], listed[0]["tag_ids"]) == ([staff], [corp_tag["tag_id"]])
    expect(detail).not_to_contain_text("null")
    page.click("#mo-preview")  # none of the staff member's 3 customers carries the tag yet
    expect(page.locator("#moment-preview [data-figure=visible] dd")).to_have_text("0")
    # the tag deleted since the moment was scheduled: still named by its id, flagged
    gone = admin.delete(f"{stack.api}/accounts/demo-wecom/tags/{corp_tag['tag_id']}", params={"force": "true"},
                        timeout=30)
    assert gone.status_code == 200, gone.text
    page.reload()
    expect(detail.locator(f".mo-tag.deleted[data-tag-id='{corp_tag['tag_id']}']")).to_have_text(
        f"{corp_tag['tag_id']}（标签已删除）")
    assert page.locator("main img").count() == 0
    clean(page)


def test_the_staff_page_shows_a_members_figures_chart_and_csv(page, stack):
    sb, corpid = stack.sandbox, stack.info["demo WeCom corpid"]
    userid = f"web_fig_{secrets.token_hex(3)}"
    yesterday = (datetime.fromtimestamp(sb.now(), UTC).astimezone(CHINA) - timedelta(days=1)).date().isoformat()
    sb.wecom_stats(corpid, userid, yesterday,
                   behavior={"new_contact_cnt": 7, "chat_cnt": 3, "message_cnt": 41, "reply_percentage": 80.5,
                             "avg_reply_time": 6, "negative_feedback_cnt": 1, "new_apply_cnt": 2},
                   groupchat={"new_chat_cnt": 1, "chat_total": 4, "member_total": 60, "msg_total": 25})
    stack.fire("staff_figures")
    signed_in(page, stack.key("demo-wecom"))
    expect(page.locator("nav a[data-page=staff]")).to_have_text("员工数据")
    page.goto(f"/console#/staff?userid={userid}")
    rows = page.locator("#staff-table tbody tr")
    expect(rows.first.locator("td[data-label=员工]")).to_have_text(userid)  # the filter: this member only
    row = rows.filter(has=page.locator(f"td[data-label=日期]:text-is('{yesterday}')"))
    expect(row).to_have_count(1)
    expect(row.locator("td[data-label=新增客户]")).to_have_text("7")
    expect(row.locator("td[data-label=发送消息数]")).to_have_text("41")
    expect(row.locator("td[data-label=已回复聊天占比]")).to_have_text("80.5%")
    chart_drawn(page, "staff-chart")
    series = page.evaluate("""() => window.echarts.getInstanceByDom(document.getElementById('staff-chart'))
        .getOption().series.map((s) => [s.name, s.data.reduce((a, b) => a + b, 0)])""")
    assert dict(series) == {"新增客户": 7, "聊天数": 3, "发送消息数": 41, "删除/拉黑员工的客户": 1}
    expect(page.locator("#sf-csv")).to_have_attribute("href", f"/accounts/demo-wecom/staff/figures.csv?from="
                                                              f"{page.input_value('#sf-from')}&to="
                                                              f"{page.input_value('#sf-to')}&userid={userid}")
    with page.expect_download() as got:
        page.click("#sf-csv")
    data = open(got.value.path(), "rb").read()
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("day,userid,new_contact_cnt") and any(userid in x and ",7," in x for x in lines[1:])
    clean(page)


def test_the_loss_alerts_page_saves_settings_and_counts_an_alert(page, stack):
    sb, corpid = stack.sandbox, stack.info["demo WeCom corpid"]
    admin, base = stack.admin("demo-wecom"), f"{stack.api}/accounts/demo-wecom"
    tag = secrets.token_hex(3)
    member, supervisor = f"web_alert_{tag}", f"web_boss_{tag}"
    sb.wecom_staff(corpid, member)
    sb.wecom_staff(corpid, supervisor)
    counts = admin.get(f"{base}/loss-alerts/counts", timeout=30).json()
    before = counts["sent"]
    signed_in(page, stack.key("demo-wecom"))
    expect(page.locator("nav a[data-page=alerts]")).to_have_text("流失提醒")
    page.goto("/console#/alerts")
    expect(page.locator("#la-counts [data-figure=sent] dd")).to_have_text(str(before))
    # alerts for an app without its Secret are counted apart (nothing went to WeCom)
    expect(page.locator("#la-counts [data-figure=unsent] dt")).to_have_text("未发送（应用未配置 Secret）")
    expect(page.locator("#la-counts [data-figure=unsent] dd")).to_have_text(str(counts["unsent"]))
    try:
        page.check("#la-enabled")
        page.fill("#la-agentid", "1000002")
        page.select_option("#la-recipient", "supervisor")
        page.fill("#la-supervisor", supervisor)
        page.click("#la-save")
        expect(page.locator("#la-status .notice.ok")).to_have_text("已保存")
        expect(page.locator("#la-settings")).to_have_attribute("data-enabled", "true")
        saved = admin.get(f"{base}/loss-alerts/settings", timeout=30).json()
        assert (saved["enabled"], saved["agentid"], saved["recipient"], saved["supervisor"]) == \
            (True, 1000002, "supervisor", supervisor)
        added = sb.wecom_event(corpid, "add_external_contact", userid=member, welcome=False)
        stack.drain()
        assert sb.wecom_event(corpid, "del_follow_user", userid=member,
                              external_userid=added["external_userid"])["status"] == 200

        def alerted():
            stack.drain()
            return [m for m in sb.wecom_app_messages(corpid)["messages"] if m["touser"] == [supervisor]]

        wait_until(alerted, what="the loss alert to reach the supervisor")
        page.click("#la-apply")
        expect(page.locator("#la-counts [data-figure=sent] dd")).to_have_text(str(before + 1))
        chart_drawn(page, "la-chart", 2)
    finally:  # the stack is shared: later tests' deletions must not alert
        admin.put(f"{base}/loss-alerts/settings", json={"enabled": False}, timeout=30)
    clean(page)


def test_a_read_only_key_sees_the_wecom_pages_without_create_buttons_or_settings_form(page, stack):
    signed_in(page, read_only_key(stack, f"wecom viewer {secrets.token_hex(2)}"))
    for page_id in ("groups", "moments", "staff", "alerts"):
        expect(page.locator(f"nav a[data-page={page_id}]")).to_have_count(1)
    page.goto("/console#/moments")
    expect(page.locator("#moment-list .pager table")).to_be_visible()
    expect(page.locator("#moment-form, #mo-create")).to_have_count(0)
    page.goto("/console#/alerts")
    expect(page.locator("#la-settings-view")).to_be_visible()
    expect(page.locator("#la-form, #la-save")).to_have_count(0)
    page.goto("/console#/groups")
    expect(page.locator("#group-list .pager table")).to_be_visible()
    page.goto("/console#/staff")
    expect(page.locator("#staff-table .pager table")).to_be_visible()
    clean(page)


def test_an_operator_schedules_moments_but_only_reads_the_loss_alert_settings(page, stack):
    signed_in(page, read_only_key(stack, f"wecom operator {secrets.token_hex(2)}", role="operator"))
    page.goto("/console#/moments")
    expect(page.locator("#moment-form #mo-create")).to_be_visible()
    page.goto("/console#/alerts")  # PUT /loss-alerts/settings is the admin's
    expect(page.locator("#la-settings-view [data-figure=enabled] dd")).to_have_text("未启用")
    expect(page.locator("#la-form")).to_have_count(0)
    clean(page)


def test_an_official_account_has_no_wecom_pages(page, stack):
    signed_in(page, stack.key("demo-oa"))
    expect(page.locator("nav a[data-page=channels]")).to_have_count(1)
    for page_id in ("groups", "moments", "staff", "alerts"):
        expect(page.locator(f"nav a[data-page={page_id}]")).to_have_count(0)
    clean(page)


def test_the_wecom_pages_speak_english_on_request(page, stack):
    signed_in(page, stack.key("demo-wecom"))
    page.click("#lang-switch")
    for page_id, title in (("groups", "Customer groups"), ("moments", "Moments"), ("staff", "Staff figures"),
                           ("alerts", "Loss alerts")):
        page.goto(f"/console#/{page_id}")
        expect(page.locator("main h1")).to_have_text(title)
        expect(page.locator(f"nav a[data-page={page_id}]")).to_have_text(title)
    clean(page)


def test_a_groups_size_line_fills_the_days_without_a_change(page):
    """The sizes API lists the days with a change: before the first one the size is that day's less its joins plus
    its quits; a day without a change keeps the size of the day before."""
    page.goto("/console")
    got = page.evaluate("""async () => {
        const m = await import('/console/assets/page_groups.js');
        return m.sizeSeries({from: '2026-11-29', to: '2026-12-03', size: 4, days: [
            {day: '2026-11-30', joins: 3, quits: 1, size: 5}, {day: '2026-12-02', joins: 0, quits: 1, size: 4}]});
    }""")
    assert [(d["day"], d["size"], d["joins"], d["quits"]) for d in got] == [
        ("2026-11-29", 3, 0, 0), ("2026-11-30", 5, 3, 1), ("2026-12-01", 5, 0, 0), ("2026-12-02", 4, 0, 1),
        ("2026-12-03", 4, 0, 0)]
    none = page.evaluate("""async () => (await import('/console/assets/page_groups.js')).sizeSeries(
        {from: '2026-12-01', to: '2026-12-02', size: 7, days: []}).map((d) => d.size)""")
    assert none == [7, 7]


def test_charts_are_drawn_without_animation(page):
    """A screenshot (or a reader) never catches a line mid-way: lib.chart turns ECharts' animation off."""
    page.goto("/console")
    animation = page.evaluate("""async () => {
        const lib = await import('/console/assets/lib.js');
        const el = lib.h('div', {class: 'chart'});
        document.body.appendChild(el);
        const c = await lib.chart(el, {xAxis: {type: 'category', data: ['a']}, yAxis: {type: 'value'},
                                        series: [{type: 'line', data: [1]}]});
        return c.getOption().animation; }""")
    assert animation is False
    assert page.csp_violations() == [] and page.errors == []
