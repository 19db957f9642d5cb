"""The console's work pages in headless Chromium over the local stack: a push from draft to delivery figures, a
campaign's report and lottery commitment, a campaign made with the form (its follow code picked by channel name), a
key shown once, the audit log, the reply test preview, a reassignment from preview to the plan among all plans, and
the sandbox control (the local stack only)."""

from __future__ import annotations

import re
import secrets
import time
from datetime import datetime, timedelta, timezone

import pytest
import requests
from playwright.sync_api import expect

from tests.browser.harness import signed_in

pytestmark = pytest.mark.browser

CHINA = timezone(timedelta(hours=8))


def clean(page):
    """Nothing the CSP blocked, no uncaught error, no dialog."""
    assert page.csp_violations() == []
    assert page.errors == []
    assert page.dialogs == []


def figure(page, scope: str, name: str) -> str:
    return page.locator(f"{scope} [data-figure={name}] dd").inner_text()


def test_a_push_from_draft_to_delivery_figures(page, stack):
    appid = stack.info["demo OA appid"]
    stack.sandbox.oa_followers(appid, count=12, prefix="oBrowserPush")
    name = f"浏览器推送 {secrets.token_hex(3)}"
    signed_in(page, stack.key("demo-oa"))
    page.goto("/console#/pushes")
    page.fill("#push-name", name)
    page.fill("#push-text", "新品上市，欢迎选购")
    page.click("#push-create")
    expect(page.locator("#push-detail")).to_have_attribute("data-status", "draft")
    page.click("#push-preview-run")
    expect(page.locator("#push-preview [data-figure=audience] dd")).not_to_have_text("–")
    eligible = int(figure(page, "#push-preview", "eligible"))
    assert eligible >= 12 and int(figure(page, "#push-preview", "batches")) >= 1
    page.click("#push-confirm")
    page.click("#push-confirm-yes")  # the in-page second step
    expect(page.locator("#push-detail")).to_have_attribute("data-status", "scheduled")
    stack.fire("content_push")
    [job] = [c for c in stack.sandbox.calls(path_contains="message/mass/send", app=appid)
             if c["errcode"] == 0 and "新品上市，欢迎选购" in str(c.get("body"))]
    assert stack.sandbox.oa_mass_finish(appid, job["response"]["msg_id"])["status"] == 200
    assert stack.drain()
    page.click("#push-refresh")
    expect(page.locator("#push-detail")).to_have_attribute("data-status", "completed")
    row = page.locator("#push-runs tbody tr").first
    expect(row.locator("td[data-label=送达]")).to_have_text(str(eligible))
    expect(row.locator("td[data-label=已提交]")).to_have_text(str(eligible))
    page.wait_for_function("() => document.getElementById('push-chart').dataset.chartReady === '1'")
    expect(page.locator("tr", has_text=name)).to_be_visible()
    clean(page)


def test_a_campaign_page_shows_its_report_and_lottery_commitment(page, stack, tmp_path):
    admin, api = stack.admin("demo-oa"), stack.api
    cid = "web" + secrets.token_hex(4)
    now = int(time.time())
    r = admin.post(f"{api}/accounts/demo-oa/campaigns", timeout=30, json={
        "campaign_id": cid, "name": "新春大转盘", "starts_at": now - 60, "ends_at": now + 3600, "status": "active",
        "eligibility": {"must_follow": False}, "limits": {"draws_total": 5},
        "prizes": [{"prize_id": "c", "name": "10元券", "kind": "coupon", "probability": 1.0}],
        "lottery": {"prize_id": "c", "winners": 1}})
    assert r.status_code == 201, r.text
    commitment = admin.get(f"{api}/accounts/demo-oa/campaigns/{cid}/lottery", timeout=30).json()["commitment"]
    signed_in(page, stack.key("demo-oa"))
    page.goto(f"/console#/campaigns?campaign={cid}")
    expect(page.locator("#campaign-detail")).to_be_visible()
    expect(page.locator("#lottery-commitment")).to_have_text(commitment)
    expect(page.locator("#lottery")).to_contain_text("开奖后公布")  # the seed stays secret before the draw
    codes = tmp_path / "codes.csv"
    codes.write_text("\ufeff券码,备注\nWEB-1,a\nWEB-2\nWEB-2\n", encoding="utf-8")  # Excel's CSV, a header line
    page.set_input_files("input[data-codes-file=c]", str(codes))
    expect(page.locator(".codes-upload .notice.ok")).to_contain_text("新增 2")
    # the upload refreshes the report: the new stock shows, and so does still what the file did (the refresh used
    # to rebuild the upload box without it, so the result flashed and was gone)
    expect(page.locator("#campaign-detail tr", has_text="10元券").locator("td[data-label=库存]")).to_have_text("2")
    expect(page.locator(".codes-upload .notice.ok")).to_contain_text("新增 2")
    link = admin.post(f"{api}/accounts/demo-oa/campaigns/{cid}/links", json={"openid": "o-web-1"}, timeout=30).json()
    draw = requests.post(f"{api}/u/demo-oa/campaigns/{cid}/draws", json={"request_id": "web-draw-0001"},
                         headers={"Authorization": f"Bearer {link['token']}"}, timeout=30)
    assert draw.status_code == 200 and draw.json()["outcome"] == "win", draw.text
    page.click("#campaign-refresh")
    expect(page.locator("#campaign-detail [data-figure=participants] dd")).to_have_text("1")
    expect(page.locator("#campaign-detail [data-figure=wins] dd")).to_have_text("1")
    prize = page.locator("#campaign-detail tr", has_text="10元券")
    expect(prize.locator("td[data-label=中奖]")).to_have_text("1")
    expect(prize.locator("td[data-label=剩余库存]")).to_have_text("1")
    page.wait_for_function("() => Number(document.getElementById('campaign-prize-chart').dataset.chartReady) >= 1 "
                           "&& Number(document.getElementById('campaign-source-chart').dataset.chartReady) >= 1")
    clean(page)


def test_the_push_form_makes_image_and_template_pushes(page, stack):
    """Not text only: the form shows the fields of the type chosen and sends the content as the API documents it;
    a template data line it cannot read is named, and nothing is created."""
    signed_in(page, stack.key("demo-oa"))
    page.goto("/console#/pushes")
    expect(page.locator("#push-template-id")).to_be_hidden()
    name = f"图片推送 {secrets.token_hex(3)}"
    page.fill("#push-name", name)
    page.select_option("#push-type", "image")
    expect(page.locator("#push-text")).to_be_hidden()
    page.fill("#push-media-ids", "MEDIA_A, MEDIA_B")
    page.click("#push-create")
    expect(page.locator("#push-detail")).to_have_attribute("data-status", "draft")
    expect(page.locator("#push-detail [data-figure=audience_type] dd")).to_have_text("全部粉丝 / 客户")
    name2 = f"模板推送 {secrets.token_hex(3)}"
    page.fill("#push-name", name2)
    page.select_option("#push-type", "template")
    page.fill("#push-template-id", "TPL_ORDER")
    page.fill("#push-template-data", "first 您好")
    page.click("#push-create")
    expect(page.locator("#push-form .notice.error")).to_contain_text("第 1 行")
    page.fill("#push-template-data", "first=您好\nkeyword1=订单已发货")
    page.fill("#push-url", "https://example.com/order")
    page.click("#push-create")
    expect(page.locator("#push-form .notice.ok")).to_be_visible()
    pushes = stack.admin("demo-oa").get(f"{stack.api}/accounts/demo-oa/pushes", timeout=30).json()["items"]
    by_name = {p.get("name"): p for p in pushes}
    assert by_name[name]["content"] == {"type": "image", "media_ids": ["MEDIA_A", "MEDIA_B"]}
    template = by_name[name2]["content"]
    assert template["template_id"] == "TPL_ORDER" and template["url"] == "https://example.com/order"
    assert template["data"] == {"first": {"value": "您好"}, "keyword1": {"value": "订单已发货"}}
    assert sum(1 for p in pushes if p.get("name") == name2) == 1  # the refused line created nothing
    clean(page)


def test_a_live_campaigns_report_refreshes_itself(page, stack):
    """A draw made while the report is open shows without a click; the page's own clock is moved, not waited on."""
    admin, api = stack.admin("demo-oa"), stack.api
    cid = "live" + secrets.token_hex(4)
    now = int(time.time())
    r = admin.post(f"{api}/accounts/demo-oa/campaigns", timeout=30, json={
        "campaign_id": cid, "name": "实时大转盘", "starts_at": now - 60, "ends_at": now + 3600, "status": "active",
        "eligibility": {"must_follow": False}, "limits": {"draws_total": 5},
        "prizes": [{"prize_id": "p", "name": "积分", "kind": "points", "points": 5, "stock": 10, "probability": 1.0}]})
    assert r.status_code == 201, r.text
    signed_in(page, stack.key("demo-oa"))
    page.clock.install()
    page.goto(f"/console#/campaigns?campaign={cid}")
    expect(page.locator("#campaign-detail [data-figure=draws] dd")).to_have_text("0")
    expect(page.locator("#campaign-updated")).to_contain_text("每 15 秒自动刷新")
    link = admin.post(f"{api}/accounts/demo-oa/campaigns/{cid}/links", json={"openid": "o-live-1"}, timeout=30).json()
    draw = requests.post(f"{api}/u/demo-oa/campaigns/{cid}/draws", json={"request_id": "live-draw-0001"},
                         headers={"Authorization": f"Bearer {link['token']}"}, timeout=30)
    assert draw.status_code == 200, draw.text
    page.clock.fast_forward(16_000)
    expect(page.locator("#campaign-detail [data-figure=draws] dd")).to_have_text("1")
    expect(page.locator("#campaign-detail [data-figure=participants] dd")).to_have_text("1")
    page.goto("/console#/audit")  # leaving the page ends the refreshing: no request for the report after it
    expect(page.locator("h1, h2").first).to_be_visible()
    asked = []
    page.on("request", lambda req: asked.append(req.url) if "/report" in req.url else None)
    page.clock.fast_forward(46_000)
    page.wait_for_timeout(300)
    assert asked == []
    clean(page)


def test_a_vote_campaign_made_with_the_form_shows_its_options_pictures_and_live_results(page, stack):
    """Issue 17's votes in the console: the form makes a vote (options with a picture), the detail shows each option
    with its picture, votes and share, the distinct voters, and a vote cast meanwhile shows without a click."""
    from tests.browser.test_campaign_page import DEMO_APPID
    from tests.browser.test_campaign_votes_page import png

    page.route("https://img.example.com/console-tea.png", lambda route: route.fulfill(
        status=200, content_type="image/png", body=png((200, 140, 60))))
    admin, api = stack.admin("demo-oa"), stack.api
    cid = "cvote" + secrets.token_hex(4)
    signed_in(page, stack.key("demo-oa"))
    page.clock.install()
    page.goto("/console#/campaigns")
    page.fill("#ca-id", cid)
    page.fill("#ca-name", "<b>最受欢迎</b>的新品")
    page.select_option("#ca-kind", "vote")
    expect(page.locator("#ca-prize-box")).to_be_hidden()
    page.select_option("#ca-status", "active")
    page.fill("#ca-starts", datetime.fromtimestamp(time.time() - 3600, CHINA).strftime("%Y-%m-%dT%H:%M"))
    page.fill("#ca-ends", datetime.fromtimestamp(time.time() + 86400, CHINA).strftime("%Y-%m-%dT%H:%M"))
    rows = page.locator("#ca-vote-box .option-row")
    for i, (oid, title, image) in enumerate([("tea", "桂花乌龙", "https://img.example.com/console-tea.png"),
                                             ("cake", "抹茶蛋糕", "")]):
        rows.nth(i).locator("[data-option-field=option_id]").fill(oid)
        rows.nth(i).locator("[data-option-field=title]").fill(title)
        rows.nth(i).locator("[data-option-field=image]").fill(image)
    page.fill("#ca-votes-per-day", "2")
    page.click("#ca-create")
    detail = page.locator("#campaign-detail[data-kind=vote]")
    expect(detail.locator("h2")).to_have_text("投票结果: <b>最受欢迎</b>的新品")  # markup shown as text
    made = admin.get(f"{api}/accounts/demo-oa/campaigns/{cid}", timeout=30).json()
    assert (made["kind"], made["voting"]["votes_per_day"]) == ("vote", 2), made
    assert [o["option_id"] for o in made["options"]] == ["tea", "cake"]
    tea = detail.locator(".vote-option[data-option=tea]")
    expect(tea.locator("img")).to_have_attribute("alt", "桂花乌龙")
    page.wait_for_function("document.querySelector('.vote-option[data-option=tea] img').naturalWidth > 0")
    expect(detail.locator(".vote-option[data-option=cake] .option-image")).to_have_text("无图片")
    expect(detail.locator("[data-figure=votes] dd")).to_have_text("0")

    # a follower votes while the page is open: the results refresh themselves
    openid = "o-cvote-" + secrets.token_hex(6)
    stack.sandbox.oa_event(DEMO_APPID, "subscribe", openid=openid)
    link = admin.post(f"{api}/accounts/demo-oa/campaigns/{cid}/links", json={"openid": openid}, timeout=30).json()
    voted = requests.post(f"{api}/u/demo-oa/campaigns/{cid}/votes", timeout=30,
                          json={"option_id": "tea", "request_id": "cvote-req-0001"},
                          headers={"Authorization": f"Bearer {link['token']}"})
    assert voted.status_code == 200, voted.text
    page.clock.fast_forward(16_000)
    expect(tea.locator(".count")).to_have_text("1")
    expect(tea.locator(".share")).to_have_text("100.0%")
    expect(detail.locator("[data-figure=voters] dd")).to_have_text("1")
    expect(detail.locator("#vote-days tr", has_text="1")).not_to_have_count(0)
    page.wait_for_function("Number(document.getElementById('vote-option-chart').dataset.chartReady) >= 1")
    expect(detail).not_to_contain_text("null")
    clean(page)


def test_the_keys_page_creates_a_key_and_shows_it_once(page, stack):
    name = f"浏览器密钥 {secrets.token_hex(3)}"
    signed_in(page, stack.key("demo-oa"))
    page.goto("/console#/keys")
    page.select_option("#key-role", "operator")
    page.fill("#key-name", name)
    page.click("#key-create")
    secret = page.locator("#new-key-secret").inner_text()
    expect(page.locator("#new-key")).to_contain_text("只显示这一次")
    assert len(secret) > 20
    answer = requests.get(f"{stack.api}/accounts/demo-oa", headers={"Authorization": f"Bearer {secret}"}, timeout=30)
    assert answer.status_code == 200  # the key shown is the key made
    row = page.locator("tr", has_text=name)
    expect(row.locator("td[data-label=角色]")).to_have_text("运营")
    page.click("#new-key-close")
    expect(page.locator("#new-key")).to_have_count(0)
    page.reload()
    expect(page.locator("tr", has_text=name)).to_be_visible()
    assert secret not in page.content()  # never shown again
    key_id = row.locator("td[data-label='密钥 ID']").inner_text()
    page.click(f"button[data-revoke='{key_id}']")
    page.click("button.primary.small")  # the in-page second step
    expect(page.locator("tr", has_text=name).locator("td[data-label=状态]")).to_have_text("已吊销")
    gone = requests.get(f"{stack.api}/accounts/demo-oa", headers={"Authorization": f"Bearer {secret}"}, timeout=30)
    assert gone.status_code == 401
    clean(page)


def test_the_audit_page_lists_entries_and_filters_them(page, stack):
    admin = stack.admin("demo-oa")
    made = admin.post(f"{stack.api}/accounts/demo-oa/keys", json={"role": "read-only", "name": "audited"}, timeout=30)
    assert made.status_code == 201
    signed_in(page, stack.key("demo-oa"))
    page.goto("/console#/audit")
    expect(page.locator(".pager tbody tr").first).to_be_visible()
    assert page.locator(".pager tbody tr").count() >= 1
    page.fill("#audit-action", "key.create")
    page.click("#audit-filter button[type=submit]")
    page.wait_for_function("""() => {
        const cells = [...document.querySelectorAll('.pager tbody td[data-label="操作"]')];
        return cells.length > 0 && cells.every((c) => c.textContent === 'key.create'); }""")
    clean(page)


def test_the_reply_test_preview_shows_the_matching_rule(page, stack):
    word = "券" + secrets.token_hex(2)
    signed_in(page, stack.key("demo-oa"))
    page.goto("/console#/replies")
    page.fill("#rr-name", f"优惠券规则 {word}")
    page.select_option("#rr-match", "contains")
    page.fill("#rr-keywords", word)
    page.fill("#rr-reply", f"回复{word}")
    page.click("#rr-create")
    expect(page.locator("tr", has_text=f"优惠券规则 {word}")).to_be_visible()
    page.fill("#rr-test-text", f"请问有{word}吗")
    page.click("#rr-test-run")
    result = page.locator("#reply-test-result")
    expect(result.locator(".rr-answered-by")).to_have_attribute("data-answered-by", "rule")
    expect(result.locator(".rr-matched-rule")).to_contain_text(f"优惠券规则 {word}")
    expect(result.locator(".rr-reply")).to_have_text(f"回复{word}")
    page.fill("#rr-test-text", "完全无关的一句话 " + secrets.token_hex(4))
    page.click("#rr-test-run")
    expect(result.locator(".rr-answered-by")).not_to_have_attribute("data-answered-by", "rule")
    expect(result.locator(".rr-matched-rule")).to_have_count(0)
    clean(page)


def test_the_sandbox_page_plays_a_follow_and_drains(page, stack):
    openid = "o-web-" + secrets.token_hex(4)
    signed_in(page, stack.key("demo-oa"))
    expect(page.locator("nav a[data-page=sandbox]")).to_be_visible()  # the local stack says it is local
    page.goto("/console#/sandbox")
    page.select_option("#sb-action", "follow")
    page.fill("#sb-openid", openid)
    page.click("#sb-send")
    result = page.locator(".sb-result").first
    expect(result).to_contain_text(openid)
    expect(result.locator("tr", has_text="HTTP")).to_contain_text("200")
    page.click("#sb-drain")
    expect(page.locator("#sb-log .notice.ok").first).to_have_text("队列已处理完")
    contact = stack.admin("demo-oa").get(f"{stack.api}/accounts/demo-oa/contacts", params={"openid": openid},
                                         timeout=30)
    assert contact.status_code == 200 and re.search(openid, contact.text)
    page.click("#sb-hour")
    expect(page.locator("#sb-log .notice.ok").first).to_contain_text("已拨快")
    clean(page)


def test_the_lottery_check_in_the_browser_is_the_published_algorithm(page, stack):
    """The console's verify view recomputes with crypto.subtle what scrm/domain/lottery.py computes."""
    from scrm.domain import lottery

    seed = lottery.new_seed()
    people = ["o-b", "o-a", "o-中文", "o-a", "o-Z", "o-é", *[f"o-{i}" for i in range(40)]]
    signed_in(page, stack.key("demo-oa"))
    got = page.evaluate("""async ([seed, people]) => {
        const m = await import('/console/assets/page_campaigns.js');
        return {commitment: await m.sha256Hex(seed), ...(await m.recompute(seed, people, 5))};
    }""", [seed, people])
    assert got == {"commitment": lottery.commitment(seed), "digest": lottery.participants_digest(people),
                   "winners": lottery.select_winners(seed, people, 5)}
    clean(page)


def test_a_viewer_sees_the_pages_but_no_forms_keys_or_audit(page, stack):
    made = stack.admin("demo-oa").post(f"{stack.api}/accounts/demo-oa/keys",
                                       json={"role": "read-only", "name": "pages viewer"}, timeout=30)
    assert made.status_code == 201, made.text
    signed_in(page, made.json()["key"])
    nav = page.locator("nav a[data-page]")
    expect(nav.filter(has_text="群发推送")).to_have_count(1)
    for hidden in ("keys", "audit", "sandbox"):
        expect(page.locator(f"nav a[data-page={hidden}]")).to_have_count(0)
    page.goto("/console#/pushes")
    expect(page.locator(".pager table")).to_be_visible()
    expect(page.locator("#push-form")).to_have_count(0)
    page.goto("/console#/replies")
    expect(page.locator("#welcome-form")).to_be_visible()
    expect(page.locator("#rule-form, #reply-test, #rr-welcome-save")).to_have_count(0)
    page.goto("/console#/campaigns")
    expect(page.locator(".pager table")).to_be_visible()
    expect(page.locator("#campaign-form")).to_have_count(0)
    page.goto("/console#/keys")
    expect(page.locator("main .notice.error")).to_have_text("你的角色无权查看此页。")
    clean(page)


def test_the_pages_speak_english_on_request(page, stack):
    signed_in(page, stack.key("demo-oa"))
    page.click("#lang-switch")
    for page_id, title in (("pushes", "Pushes"), ("campaigns", "Campaigns"), ("replies", "Replies & welcome"),
                           ("reassignment", "Reassignment"), ("audit", "Audit log"), ("keys", "API keys"),
                           ("sandbox", "Sandbox")):
        page.goto(f"/console#/{page_id}")
        expect(page.locator("main h1")).to_have_text(title)
    clean(page)


def test_a_campaign_made_with_the_form_has_its_prizes_and_a_lottery_commitment(page, stack):
    cid = "form" + secrets.token_hex(4)
    follow_name = f"表单关注码 {secrets.token_hex(3)}"  # the follow code: one of the account's oa_qr channels
    made = stack.admin("demo-oa").post(f"{stack.api}/accounts/demo-oa/channels", timeout=30, json={
        "kind": "oa_qr", "name": follow_name, "group": "campaign", "qr_type": "permanent"})
    assert made.status_code == 201, made.text
    signed_in(page, stack.key("demo-oa"))
    page.goto("/console#/campaigns")
    expect(page.locator("#ca-follow-channel option", has_text=follow_name)).to_have_count(1)  # listed by name
    page.select_option("#ca-follow-channel", label=follow_name)
    page.fill("#ca-id", cid)
    page.fill("#ca-name", "表单活动")
    page.select_option("#ca-status", "active")
    page.fill("#ca-starts", "2026-01-01T09:00")
    page.fill("#ca-ends", "2036-01-01T09:00")
    first = page.locator(".prize-row[data-row='0']")
    first.locator("[data-prize=name]").fill("实物奖")
    first.locator("[data-prize=kind]").select_option("physical")
    first.locator("[data-prize=probability]").fill("0.1")
    first.locator("[data-prize=stock]").fill("5")
    page.fill("#ca-lottery-prize", "p1")
    page.fill("#ca-lottery-winners", "2")
    page.click("#ca-create")
    expect(page.locator("#campaign-detail")).to_contain_text("表单活动")
    prize = page.locator("#campaign-detail tr", has_text="实物奖")
    expect(prize.locator("td[data-label=库存]")).to_have_text("5")
    campaign = stack.admin("demo-oa").get(f"{stack.api}/accounts/demo-oa/campaigns/{cid}", timeout=30).json()
    assert campaign["eligibility"]["follow_channel"] == made.json()["channel_id"]
    starts = campaign["starts_at"]  # 09:00 in China time, whatever the browser's zone
    assert (starts if isinstance(starts, int | float) else datetime.fromisoformat(starts).timestamp()) == 1767229200
    commitment = stack.admin("demo-oa").get(f"{stack.api}/accounts/demo-oa/campaigns/{cid}/lottery", timeout=30)
    expect(page.locator("#lottery-commitment")).to_have_text(commitment.json()["commitment"])
    clean(page)


def test_a_reassignment_from_preview_to_the_plan_among_all_plans(page, stack):
    """A departed staff member's customers: previewed, started with the in-page second step, followed on the plan's
    page, and the plan listed among all the account's plans with its handover (a userid that looks like HTML shows
    as text)."""
    sb, corpid = stack.sandbox, stack.info["demo WeCom corpid"]
    tag = secrets.token_hex(3)
    handover, takeover = f"<img src=x onerror=alert(1)>{tag}", f"web-takeover-{tag}"
    sb.wecom_staff(corpid, takeover)
    ids = sb.wecom_customers(corpid, handover, count=3)["external_userids"]
    sb.wecom_staff(corpid, handover, status="resigned")
    signed_in(page, stack.key("demo-wecom"))
    page.goto("/console#/reassignment")
    expect(page.locator("#all-plans h2")).to_have_text("全部转接计划")
    page.fill("#ra-handover", handover)
    page.fill("#ra-takeovers", takeover)
    page.click("#ra-preview")
    expect(page.locator("#plan-preview")).to_be_visible()
    expect(page.locator("#plan-preview .figure").first.locator("dd")).to_have_text("3")  # 客户: three customers
    expect(page.locator("#plan-preview tr", has_text=takeover)).to_be_visible()
    page.click("#ra-start")
    page.click("#ra-start-yes")  # the in-page second step
    detail = page.locator("#plan-detail")
    expect(detail).to_have_attribute("data-status", "running")
    plan_id = detail.locator("h2").inner_text().split()[-1]
    plan = stack.admin("demo-wecom").get(f"{stack.api}/accounts/demo-wecom/reassignment/plans/{plan_id}",
                                         timeout=30).json()
    assert plan["handover_userid"] == handover and plan["counts"]["total"] == len(ids)

    # among all plans, newest first, with its handover column (text, never HTML)
    row = page.locator("#all-plans tbody tr", has=page.locator(f"td[data-label='计划 ID']:text-is('{plan_id}')"))
    expect(row).to_have_count(1)
    expect(row.locator("td[data-label=交接员工]")).to_have_text(handover)
    expect(page.locator("#all-plans tbody tr").first.locator("td[data-label='计划 ID']")).to_have_text(plan_id)
    assert page.locator("#all-plans img").count() == 0
    # the handover filter keeps this staff member's plans only
    page.fill("#all-plans-handover", handover)
    page.click("#all-plans-filter")
    expect(page.locator("#all-plans tbody tr")).to_have_count(1)
    expect(page.locator("#all-plans tbody tr td[data-label=交接员工]")).to_have_text(handover)
    # and it opens the plan
    row.locator("button[data-open]").click()
    expect(page.locator("#plan-detail h2")).to_have_text(f"转接计划 {plan_id}")
    clean(page)
