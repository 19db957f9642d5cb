"""The journeys page (自动化旅程) in headless Chromium over the local stack, driven as an operator: a journey built with
the form (triggered by following through a channel made over the admin API, a customer-service message step and a tag
step), a refused step shown at its field (steps[0].text), the draft changed (PUT) and activated; a follow through the
channel in the sandbox, the journeys schedule fired -> the figures per step (entered 1, sent 1) as a table and a
chart, the follower among the entrants; then paused and ended (with the in-page confirmation). A WeCom corp's
builder offers its own triggers and steps (a wait in hours, a WeCom message; steps added, moved and removed), and a
read-only key reads a journey's figures without the builder or the status buttons."""

from __future__ import annotations

import secrets

import pytest
from playwright.sync_api import expect

from tests.browser.harness import signed_in
from tests.browser.test_console_wecom_pages import chart_drawn, clean, on_some_page, read_only_key

pytestmark = pytest.mark.browser


def step_field(page, i: int, name: str):
    """A step's input by the API's path of its value (the builder marks every input with it)."""
    return page.locator(f'#jo-steps [data-path="steps[{i}].{name}"]')


def figure_cell(page, step: int, label: str):
    return page.locator("#journey-figures tbody tr").nth(step).locator(f"td[data-label={label}]")


def test_an_operator_builds_a_journey_a_follow_through_its_channel_runs(page, stack):
    appid, api = stack.info["demo OA appid"], stack.api
    admin = stack.admin("demo-oa")
    own = secrets.token_hex(4)
    made = admin.post(f"{api}/accounts/demo-oa/channels", timeout=30, json={
        "kind": "oa_qr", "name": f"旅程渠道 {own}", "group": "journeys", "qr_type": "permanent"})
    assert made.status_code == 201, made.text
    channel = made.json()
    name, openid = f"关注欢迎旅程 {own}", f"oJourneyPage{own}"

    signed_in(page, stack.key("demo-oa"))
    page.goto("/console#/journeys")
    expect(page.locator("#jo-trigger-kind option")).to_have_count(3)  # an OA's: followed, won_prize, tag_added
    expect(page.locator("#jo-trigger-scene option", has_text=channel["name"])).to_have_count(1)  # by its name
    page.fill("#jo-name", name)
    page.select_option("#jo-trigger-kind", "followed")
    page.select_option("#jo-trigger-scene", label=channel["name"])
    expect(step_field(page, 0, "type")).to_have_value("custom")  # the first step: a customer-service text
    page.click("#jo-add-step")
    step_field(page, 1, "type").select_option("tag")
    step_field(page, 1, "tag_id").fill("100")
    page.click("#jo-save")  # the message's text left empty: the API refuses the step, at its field
    error = page.locator('#journey-form .field-error[data-error-for="steps[0].text"]')
    expect(error).to_be_visible()
    expect(error).to_contain_text("required")
    expect(step_field(page, 0, "text")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#jo-form-status .notice.error")).to_contain_text("steps[0].text")
    step_field(page, 0, "text").fill(f"欢迎关注 {own}")
    page.click("#jo-save")
    expect(page.locator("#jo-form-status .notice.ok")).to_contain_text(name)
    detail = page.locator("#journey-detail")
    expect(detail).to_have_attribute("data-status", "draft")
    expect(detail.locator("[data-figure=trigger] dd")).to_contain_text(channel["name"])
    jid = detail.get_attribute("data-journey")
    expect(page.locator("#jo-steps [data-path='steps[0].text']")).to_have_value("")  # the form is new again

    page.click("#jo-edit")  # a draft is changed in the same form (PUT)
    expect(page.locator("#jo-name")).to_have_value(name)
    expect(step_field(page, 1, "tag_id")).to_have_value("100")
    step_field(page, 0, "text").fill(f"欢迎关注！{own}")
    page.click("#jo-save")
    expect(page.locator("#jo-form-status .notice.ok")).to_contain_text(name)
    saved = admin.get(f"{api}/accounts/demo-oa/journeys/{jid}", timeout=30).json()
    assert saved["trigger"] == {"kind": "followed", "scene": channel["scene"]}, saved
    assert saved["steps"] == [{"type": "custom", "text": f"欢迎关注！{own}"}, {"type": "tag", "tag_id": "100"}], saved

    page.click("#jo-activate")
    expect(detail).to_have_attribute("data-status", "active")
    try:
        out = stack.sandbox.oa_event(appid, "subscribe", openid=openid, scene=channel["scene"])
        assert out["status"] == 200, out
        assert stack.drain()
        stack.fire("content_push")  # the minute schedule runs each person's due step (journeys too)
        stack.fire("content_push")
        page.click("#jo-refresh")
        expect(figure_cell(page, 0, "进入")).to_have_text("1")
        expect(figure_cell(page, 0, "已发送")).to_have_text("1")
        expect(figure_cell(page, 1, "进入")).to_have_text("1")
        expect(detail.locator("[data-figure=entrants] dd")).to_have_text("1")
        expect(detail.locator("[data-figure=completed] dd")).to_have_text("1")
        chart_drawn(page, "journey-chart")
        person = page.locator("#journey-entrants tr", has_text=openid)
        expect(person.locator("td[data-label=状态]")).to_have_text("已走完")
        expect(person.locator("td[data-label=每步结果]")).to_contain_text("1. 客服消息: 已发送")
        sent = [c for c in stack.sandbox.calls(path_contains="message/custom/send", app=appid)
                if c["errcode"] == 0 and c["body"]["touser"] == openid]
        assert [c["body"]["text"]["content"] for c in sent] == [f"欢迎关注！{own}"]

        page.click("#jo-pause")
        expect(detail).to_have_attribute("data-status", "paused")
        expect(page.locator("#jo-activate")).to_have_text("恢复")
        page.click("#jo-end")  # a second, in-page step before it ends for good
        expect(page.locator("#jo-end-yes")).to_be_visible()
        expect(detail).to_have_attribute("data-status", "paused")
        page.click("#jo-end-yes")
        expect(detail).to_have_attribute("data-status", "ended")
        expect(page.locator("#journey-actions")).to_have_count(0)
        row = on_some_page(page, "#journey-list", page.locator("#journey-list tr", has_text=name))
        expect(row.locator("td[data-label=状态]")).to_have_text("已结束")
    finally:
        admin.post(f"{api}/accounts/demo-oa/journeys/{jid}/end", timeout=30)
    clean(page)


def test_a_wecom_builder_has_its_own_steps_and_a_viewer_only_reads_the_figures(page, stack):
    api, own = f"{stack.api}/accounts/demo-wecom", secrets.token_hex(4)
    name = f"添加客户旅程 {own}"
    signed_in(page, stack.key("demo-wecom"))
    page.goto("/console#/journeys")
    kinds = page.locator("#jo-trigger-kind option")
    expect(kinds).to_have_count(3)
    assert [kinds.nth(i).get_attribute("value") for i in range(3)] == ["customer_added", "joined_group", "tag_added"]
    expect(page.locator("#jo-goal-prize")).to_have_count(0)  # prizes are won by OA followers
    page.fill("#jo-name", name)
    types = step_field(page, 0, "type").locator("option")
    assert [types.nth(i).get_attribute("value") for i in range(types.count())] == ["wait", "wecom", "tag"]
    step_field(page, 0, "text").fill(f"你好 {own}")  # a WeCom message first
    page.click("#jo-add-step")
    step_field(page, 1, "type").select_option("tag")
    step_field(page, 1, "tag_id").fill(f"et{own}")
    page.click("#jo-add-step")
    step_field(page, 2, "type").select_option("wait")
    step_field(page, 2, "seconds").fill("2")
    step_field(page, 2, "unit").select_option("3600")
    page.locator("#jo-steps > li").nth(2).locator(".jo-step-up").click()  # the wait moves before the tag
    page.locator("#jo-steps > li").nth(0).locator(".jo-step-down").click()  # and the message after the wait
    page.locator("#jo-steps > li").nth(2).locator(".jo-step-remove").click()  # the tag step goes
    expect(page.locator("#jo-steps > li")).to_have_count(2)
    page.fill("#jo-goal-tag", f"etgoal{own}")
    page.click("#jo-save")
    expect(page.locator("#jo-form-status .notice.ok")).to_contain_text(name)
    detail = page.locator("#journey-detail")
    expect(detail).to_have_attribute("data-status", "draft")
    jid = detail.get_attribute("data-journey")
    saved = stack.admin("demo-wecom").get(f"{api}/journeys/{jid}", timeout=30).json()
    assert saved["trigger"] == {"kind": "customer_added"}
    assert saved["steps"] == [{"type": "wait", "seconds": 7200}, {"type": "wecom", "text": f"你好 {own}"}], saved
    assert saved["goal_tag_id"] == f"etgoal{own}"
    key = read_only_key(stack, f"journeys viewer {own}")
    try:
        page.click("#sign-out")
        # signed out once the form is back: leaving sooner can cut the DELETE short and keep the admin's session
        expect(page.locator("#signin-form")).to_be_visible()
        signed_in(page, key)
        expect(page.locator("#role-badge")).to_have_text("只读")
        expect(page.locator("nav a[data-page=journeys]")).to_have_text("自动化旅程 (SOP)")
        page.goto(f"/console#/journeys?journey={jid}")
        expect(page.locator("#journey-detail")).to_have_attribute("data-status", "draft")
        expect(page.locator("#journey-figures tbody tr")).to_have_count(2)
        expect(page.locator("#journey-figures tbody tr").nth(0).locator("td[data-label=步骤]")).to_have_text("1. 等待")
        chart_drawn(page, "journey-chart")
        expect(page.locator("#journey-entrants td.empty")).to_be_visible()
        expect(page.locator("#journey-form, #jo-activate, #jo-end, #jo-edit")).to_have_count(0)
    finally:
        stack.admin("demo-wecom").post(f"{api}/journeys/{jid}/end", timeout=30)
    clean(page)


def test_the_journeys_page_speaks_english_on_request(page, stack):
    signed_in(page, stack.key("demo-oa"))
    page.click("#lang-switch")
    page.goto("/console#/journeys")
    expect(page.locator("main h1")).to_have_text("Journeys")
    expect(page.locator("nav a[data-page=journeys]")).to_have_text("Journeys")
    expect(page.locator("#jo-save")).to_have_text("Save draft")
    expect(page.locator("#jo-trigger-kind option[value=followed]")).to_have_text("Followed the account")
    clean(page)
