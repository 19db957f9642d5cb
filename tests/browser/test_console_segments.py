"""The console's segments page in headless Chromium over the local stack, driven like a marketer: people who followed
through a channel (some of them messaging afterwards) played by the sandbox; a rule built from conditions (its JSON
shown), previewed (the count and a sample with RFM scores), saved, seen in the list after the built-in VIP segment,
exported as CSV (a BOM, a row per person) and deleted after the in-page confirmation; a rule naming a channel
archived since flagged on its detail and in the list, one naming a channel that never was flagged in the preview;
the API's validation errors at their paths (the rule's conditions, the name, the RFM bands); a read-only WeCom key
previews and reads but cannot save, delete or change the bands."""

from __future__ import annotations

import json
import re
import secrets

import pytest
from playwright.sync_api import expect

from tests.browser.harness import signed_in
from tests.browser.test_console_wecom_pages import clean, on_some_page, read_only_key

pytestmark = pytest.mark.browser


def oa_channel(stack, name: str) -> dict:
    made = stack.admin("demo-oa").post(f"{stack.api}/accounts/demo-oa/channels",
                                       json={"kind": "oa_qr", "name": name, "group": "segments"}, timeout=30)
    assert made.status_code == 201, made.text
    return made.json()


def condition(page, index: int, field: str, op: str, value: str, scope: str = "#sg-conditions > .sg-cond"):
    row = page.locator(scope).nth(index)
    row.locator(".sg-field").select_option(field)
    row.locator(".sg-op").select_option(op)
    row.locator(".sg-value").fill(value)
    return row


def rule_sent(page) -> dict:
    return json.loads(page.locator("#sg-rule-json").inner_text())


def figure(page, scope: str, name: str):
    return page.locator(f"{scope} [data-figure={name}] dd")


def list_row(page, segment_id: str):
    return on_some_page(page, "#sg-list", page.locator(f"#sg-list tbody tr:has(button[data-open='{segment_id}'])"))


def test_a_marketer_previews_saves_exports_and_deletes_a_segment(page, stack):
    tag = secrets.token_hex(3)
    channel = oa_channel(stack, f"分群海报 {tag}")
    appid = stack.info["demo OA appid"]
    openids = [f"o-seg-{tag}-{i}" for i in range(3)]
    for openid in openids:
        assert stack.sandbox.oa_event(appid, "subscribe", openid=openid, scene=channel["scene"])["status"] == 200
    for openid in openids[:2]:  # two of them write afterwards
        assert stack.sandbox.oa_event(appid, "text", openid=openid, content="请问有优惠吗")["status"] == 200
    assert stack.drain()

    signed_in(page, stack.key("demo-oa"))
    expect(page.locator("nav a[data-page=segments]")).to_have_text("客户分群")
    page.goto("/console#/segments")
    expect(page.locator("h1")).to_have_text("客户分群")
    # the built-in VIP segment comes first in the list
    expect(page.locator("#sg-list tbody tr").first.locator("td[data-label=类型]")).to_have_text("内置")
    expect(page.locator("#sg-list tbody tr").first.locator("td[data-label=分群名称]")).to_contain_text("VIP")

    condition(page, 0, "channel", "has", channel["channel_id"])
    page.click("#sg-add")
    condition(page, 1, "messages", "gte", "1")
    expect(page.locator("#sg-combine")).to_have_value("all")
    assert rule_sent(page) == {"all": [{"field": "channel", "op": "has", "value": channel["channel_id"]},
                                       {"field": "messages", "op": "gte", "value": 1}]}

    page.click("#sg-preview")
    expect(figure(page, "#sg-preview-result", "count")).to_have_text("2")
    expect(figure(page, "#sg-preview-result", "items_read")).to_have_text(re.compile(r"^[1-9]\d*$"))
    sample = page.locator("#sg-sample tbody tr")
    expect(sample).to_have_count(2)
    for openid in openids[:2]:
        person = page.locator("#sg-sample tr", has_text=openid)
        expect(person).to_have_count(1)
        for score in ("R（最近）", "F（频次）", "M（价值）"):
            expect(person.locator(f"td[data-label='{score}']")).to_have_text(re.compile(r"^[1-5]$"))
    expect(page.locator("#sg-sample tr", has_text=openids[2])).to_have_count(0)
    expect(page.locator("#sg-preview-flags")).to_have_count(0)

    name = f"渠道来客且发过消息 {tag}"
    page.fill("#sg-name", name)
    page.click("#sg-save")
    expect(page.locator("#sg-status .notice.ok")).to_contain_text(name)
    detail = page.locator("#sg-detail")
    expect(detail.locator("h2")).to_contain_text(name)
    expect(figure(page, "#sg-detail", "size")).to_have_text("2")
    segment_id = detail.get_attribute("data-segment")
    assert re.fullmatch(r"r[0-9a-f]{12}", segment_id)
    expect(page.locator("#sg-detail-flags")).to_have_count(0)
    expect(page.locator("#sg-detail-rule-text")).to_have_text(f"渠道 包含 {channel['channel_id']} 且 消息数 ≥ 1")

    row = list_row(page, segment_id)
    expect(row.locator("td[data-label=分群名称]")).to_have_text(name)
    expect(row.locator("td[data-label=类型]")).to_have_text("规则")
    expect(row.locator("td[data-label=问题]")).to_have_text("")

    with page.expect_download() as got:
        page.click("#sg-export")
    assert got.value.suggested_filename == f"segment-{segment_id}.csv"
    data = open(got.value.path(), "rb").read()
    assert data.startswith(b"\xef\xbb\xbf") and not data.startswith(b"\xef\xbb\xbf\xef\xbb\xbf")
    lines = data[3:].decode("utf-8").splitlines()
    assert lines[0].startswith("key,identities,tags,channels,")
    assert len(lines) == 3 and all(any(o in line for line in lines[1:]) for o in openids[:2])
    assert channel["channel_id"] in lines[1]

    page.click("#sg-delete")
    expect(page.locator("#sg-delete-yes")).to_be_visible()  # the in-page second step: nothing deleted yet
    assert stack.admin("demo-oa").get(f"{stack.api}/accounts/demo-oa/segments/rules/{segment_id}",
                                      timeout=30).status_code == 200
    page.click("#sg-delete-yes")
    expect(page.locator("#sg-detail-box .notice.ok")).to_contain_text(name)
    expect(page.locator("#sg-list .pager-where")).to_have_text("第 1 页")
    expect(page.locator(f"#sg-list button[data-open='{segment_id}']")).to_have_count(0)
    assert stack.admin("demo-oa").get(f"{stack.api}/accounts/demo-oa/segments/rules/{segment_id}",
                                      timeout=30).status_code == 404
    clean(page)


def test_a_rule_naming_a_channel_archived_since_is_flagged_on_the_detail_and_in_the_list(page, stack):
    tag = secrets.token_hex(3)
    channel = oa_channel(stack, f"将归档的渠道 {tag}")
    signed_in(page, stack.key("demo-oa"))
    page.goto("/console#/segments")
    # a channel that never was: the preview says so before anything is saved
    condition(page, 0, "channel", "has", f"gone-{tag}")
    page.click("#sg-preview")
    expect(figure(page, "#sg-preview-result", "count")).to_have_text("0")
    gone = page.locator("#sg-preview-flags li[data-flag=channel_deleted]")
    expect(gone).to_have_text(f"rule.all[0]：渠道已删除（gone-{tag}）")

    condition(page, 0, "channel", "lacks", channel["channel_id"])
    name = f"未经归档渠道 {tag}"
    page.fill("#sg-name", name)
    page.click("#sg-save")
    expect(page.locator("#sg-status .notice.ok")).to_contain_text(name)
    expect(page.locator("#sg-detail")).to_have_attribute("data-segment", re.compile(r"^r[0-9a-f]{12}$"))
    segment_id = page.locator("#sg-detail").get_attribute("data-segment")
    expect(page.locator("#sg-detail-flags")).to_have_count(0)

    archived = stack.admin("demo-oa").delete(f"{stack.api}/accounts/demo-oa/channels/{channel['channel_id']}",
                                             timeout=30)
    assert archived.status_code == 200 and archived.json()["status"] == "archived", archived.text
    page.goto(f"/console#/segments?segment={segment_id}")
    flag = page.locator("#sg-detail-flags li[data-flag=channel_archived]")
    expect(flag).to_have_text(f"rule.all[0]：渠道已归档（{channel['channel_id']}）")
    expect(flag).to_have_attribute("data-path", "rule.all[0]")
    expect(page.locator("#sg-detail-flags")).to_contain_text("不再命中任何人")
    row = list_row(page, segment_id)
    expect(row.locator("td[data-label=问题] .sg-flag")).to_have_text(
        f"rule.all[0]：渠道已归档（{channel['channel_id']}）")
    assert stack.admin("demo-oa").delete(f"{stack.api}/accounts/demo-oa/segments/rules/{segment_id}",
                                         timeout=30).status_code == 200
    clean(page)


def test_validation_errors_show_at_their_paths_in_the_rule_and_the_rfm_bands(page, stack):
    signed_in(page, stack.key("demo-oa"))
    page.goto("/console#/segments")
    condition(page, 0, "messages", "gte", "-1")
    page.click("#sg-add-group")
    group = page.locator("#sg-conditions > .sg-group")
    group.locator(".sg-group-combine").select_option("any")
    condition(page, 0, "rfm.r", "gte", "9", scope="#sg-conditions > .sg-group .sg-cond")
    assert rule_sent(page) == {"all": [{"field": "messages", "op": "gte", "value": -1},
                                       {"any": [{"field": "rfm.r", "op": "gte", "value": 9}]}]}
    page.click("#sg-preview")
    box = page.locator("#sg-status .notice.error")
    expect(box).to_contain_text("rule.all[0].value")
    expect(box).to_contain_text("rule.all[1].any[0].value")
    first = page.locator("#sg-conditions > .sg-cond[data-path='rule.all[0]']")
    expect(first.locator(".sg-value")).to_have_attribute("aria-invalid", "true")
    expect(first.locator(".sg-error")).to_contain_text("rule.all[0].value")
    nested = group.locator(".sg-cond[data-path='rule.all[1].any[0]']")
    expect(nested.locator(".sg-value")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#sg-preview-result")).to_have_count(0)

    # put right, the marks go; a blank name is refused at `name`
    condition(page, 0, "messages", "gte", "1")
    condition(page, 0, "rfm.r", "gte", "5", scope="#sg-conditions > .sg-group .sg-cond")
    page.fill("#sg-name", "   ")
    page.click("#sg-save")
    expect(page.locator("#sg-status .notice.error")).to_contain_text("name")
    expect(page.locator("#sg-name")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#sg-conditions .invalid")).to_have_count(0)

    # the RFM bands: thresholds out of order are refused at their field; the bands as they were save again
    frequency = page.locator("#rfm-frequency")
    expect(frequency).to_have_value(re.compile(r"^\d+(, \d+){3}$"))
    kept = frequency.input_value()
    frequency.fill(", ".join(reversed(kept.split(", "))))
    page.click("#rfm-save")
    expect(page.locator("#rfm-status .notice.error")).to_contain_text("frequency")
    expect(frequency).to_have_attribute("aria-invalid", "true")
    frequency.fill(kept)
    page.click("#rfm-save")
    expect(page.locator("#rfm-status .notice.ok")).to_have_text("RFM 分档已保存")
    expect(frequency).not_to_have_attribute("aria-invalid", "true")
    clean(page)


def test_a_read_only_wecom_key_previews_and_reads_but_cannot_change_segments(page, stack):
    signed_in(page, read_only_key(stack, f"segments viewer {secrets.token_hex(2)}"))
    expect(page.locator("#role-badge")).to_have_text("只读")
    expect(page.locator("nav a[data-page=segments]")).to_have_text("客户分群")
    page.goto("/console#/segments")
    expect(page.locator("#sg-builder h2")).to_have_text("试算分群规则")
    expect(page.locator("#sg-save")).to_have_count(0)
    expect(page.locator("#sg-name")).to_have_count(0)
    expect(page.locator("#rfm-save")).to_have_count(0)
    expect(page.locator("#rfm-recency")).to_be_disabled()
    condition(page, 0, "wins", "gte", "1000000")
    page.click("#sg-preview")
    expect(figure(page, "#sg-preview-result", "count")).to_have_text("0")
    page.click("#sg-list button[data-open=vip]")
    expect(page.locator("#sg-detail")).to_have_attribute("data-segment", "vip")
    expect(figure(page, "#sg-detail", "size")).to_have_text(re.compile(r"^\d+$"))
    expect(page.locator("#sg-detail-rule-text")).to_have_text(
        "R 分（最近） ≥ 4 且 F 分（频次） ≥ 4 且 M 分（价值） ≥ 4")
    expect(page.locator("#sg-export")).to_be_visible()
    expect(page.locator("#sg-delete")).to_have_count(0)
    page.click("#lang-switch")
    expect(page.locator("nav a[data-page=segments]")).to_have_text("Segments")
    expect(page.locator("h1")).to_have_text("Segments")
    expect(page.locator("#sg-preview")).to_have_text("Preview the size")
    clean(page)
