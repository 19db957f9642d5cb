"""The console's user tags page (用户标签) of an Official Account in headless Chromium over the local stack, driven as
an operator would: the reserved 星标组 (the sandbox's, as WeChat's) is listed as a system tag with nothing to change;
a 31-byte name is refused in the page with nothing sent; 金卡会员 is created, listed, refused a second time at the
field (the name is taken), renamed in its row; a rule segment naming it makes its delete show the reference (分群,
the segment's name, the field) instead, and 仍然删除 behind a second confirm deletes it. A read-only key sees the
table only; a WeCom corp has no such page; the page speaks English on request.

Each test has an Official Account of its own (stack.fresh_oa), so no other test's tags are in its table."""

from __future__ import annotations

import secrets

import pytest
import requests
from playwright.sync_api import expect

from tests.browser.harness import signed_in
from tests.browser.test_console_wecom_pages import clean

pytestmark = pytest.mark.browser


def open_page(page, key: str):
    signed_in(page, key)
    expect(page.locator("nav a[data-page=oa-tags]")).to_have_text("用户标签")
    page.goto("/console#/oa-tags")
    expect(page.locator("main h1")).to_have_text("用户标签")
    expect(page.locator("#oa-tags-table tr[data-tag='2']")).to_be_visible()


def test_an_operator_creates_renames_and_force_deletes_a_tag_a_segment_refers_to(page, stack):
    tag = secrets.token_hex(3)
    oa = stack.fresh_oa(f"web-oatags-{tag}", f"用户标签 {tag}")
    api, admin = f"{stack.api}/accounts/{oa['account_id']}", {"Authorization": f"Bearer {oa['key']}"}
    open_page(page, stack.new_key(oa["account_id"], "operator"))
    star = page.locator("#oa-tags-table tr[data-tag='2']")
    expect(star.locator("td[data-label=标签名]")).to_have_text("星标组")
    expect(star.locator("td[data-label=系统标签]")).to_have_text("是")
    expect(star).to_have_attribute("data-system", "true")
    expect(star.locator("button")).to_have_count(0)  # WeChat's reserved tags: no rename, no delete
    expect(star.locator("td[data-label=操作]")).to_have_text("不可修改")

    page.click("#oa-tags-sync")
    expect(page.locator("#oa-tags-status .notice.ok")).to_have_text("已从微信同步：1 个标签，移除 0 个。")

    sent = []
    page.on("request", lambda r: sent.append(f"{r.method} {r.url}") if "/oa-tags" in r.url and r.method != "GET"
            else None)
    page.fill("#oa-tags-name", "金卡会员金卡会员金卡x")  # 10 Chinese characters (30 bytes) and one more byte
    expect(page.locator("#oa-tags-bytes")).to_have_text("31 / 30 字节")
    page.click("#oa-tags-submit")
    expect(page.locator("#oa-tags-create .field-error[data-error-for=name]")).to_have_text(
        "标签名为 31 字节，超过 30 字节（一个汉字 3 字节）。")
    expect(page.locator("#oa-tags-name")).to_have_attribute("aria-invalid", "true")
    assert sent == []  # refused in the page: nothing sent

    page.fill("#oa-tags-name", "金卡会员")
    page.click("#oa-tags-submit")
    expect(page.locator("#oa-tags-create-status .notice.ok")).to_contain_text("已创建标签「金卡会员」")
    expect(page.locator("#oa-tags-create .field-error")).to_have_count(0)
    row = page.locator("#oa-tags-table tbody tr", has_text="金卡会员")
    expect(row).to_have_count(1)
    tag_id = row.get_attribute("data-tag")
    assert tag_id and tag_id.isdigit() and int(tag_id) > 2, tag_id
    expect(row.locator("td[data-label='标签 ID']")).to_have_text(tag_id)
    expect(row.locator("td[data-label=系统标签]")).to_have_text("否")
    assert len(sent) == 1 and sent[0].startswith("POST "), sent

    # the same name again: WeChat's refusal (409, the name is taken) at the field
    page.fill("#oa-tags-name", "金卡会员")
    page.click("#oa-tags-submit")
    expect(page.locator("#oa-tags-create .field-error[data-error-for=name]")).to_contain_text("标签名已存在")
    expect(page.locator("#oa-tags-table tbody tr", has_text="金卡会员")).to_have_count(1)

    # renamed in its row
    page.click(f"#oa-tag-rename-{tag_id}")
    page.fill(f"#oa-tag-rename-input-{tag_id}", "黑金会员")
    page.click(f"#oa-tag-rename-save-{tag_id}")
    expect(page.locator("#oa-tags-status .notice.ok")).to_have_text("已重命名为「黑金会员」。")
    row = page.locator(f"#oa-tags-table tr[data-tag='{tag_id}']")
    expect(row.locator("td[data-label=标签名]")).to_have_text("黑金会员")

    # a segment refers to it: the delete is refused with the reference shown
    segment = f"黑金会员分群 {tag}"
    made = requests.post(f"{api}/segments/rules", headers=admin, timeout=30,
                         json={"name": segment, "rule": {"field": "tag", "op": "has", "value": tag_id}})
    assert made.status_code == 201, made.text
    page.click(f"#oa-tag-delete-{tag_id}")
    page.click(f"#oa-tag-delete-{tag_id}-yes")
    refs = page.locator("#oa-tags-refs")
    expect(refs.locator(".notice.error")).to_contain_text("标签「黑金会员」仍被以下 1 处引用")
    ref = refs.locator("tbody tr")
    expect(ref).to_have_count(1)
    expect(ref.locator("td[data-label=类型]")).to_contain_text("分群")
    expect(ref.locator("td[data-label=名称]")).to_have_text(segment)
    expect(ref.locator("td[data-label=字段]")).to_have_text("rule.value")
    expect(ref.locator("td[data-label=ID]")).to_have_text(made.json()["segment_id"])
    expect(row).to_have_count(1)  # still there
    assert tag_id in [t["tag_id"] for t in requests.get(f"{api}/oa-tags", headers=admin, timeout=30).json()["items"]]

    # 仍然删除, behind a second confirm
    page.click("#oa-tag-force")
    expect(page.locator("#oa-tag-force-yes")).to_be_visible()
    page.click("#oa-tag-force-yes")
    expect(page.locator("#oa-tags-status .notice.ok")).to_have_text("已删除标签「黑金会员」。")
    expect(row).to_have_count(0)
    expect(refs.locator("*")).to_have_count(0)
    listed = requests.get(f"{api}/oa-tags", headers=admin, timeout=30).json()["items"]
    assert [t["tag_id"] for t in listed] == ["2"], listed
    clean(page)


def test_a_viewer_sees_the_table_only_and_the_page_speaks_english(page, stack):
    tag = secrets.token_hex(3)
    oa = stack.fresh_oa(f"web-oatags-{tag}", f"用户标签 {tag}")
    made = requests.post(f"{stack.api}/accounts/{oa['account_id']}/oa-tags", timeout=30, json={"name": "银卡会员"},
                         headers={"Authorization": f"Bearer {oa['key']}"})
    assert made.status_code == 201, made.text
    open_page(page, stack.new_key(oa["account_id"], "read-only"))
    row = page.locator(f"#oa-tags-table tr[data-tag='{made.json()['tag_id']}']")
    expect(row.locator("td[data-label=标签名]")).to_have_text("银卡会员")
    expect(page.locator("#oa-tags-table th")).to_have_text(["标签 ID", "标签名", "系统标签"])  # no actions column
    for gone in ("#oa-tags-create", "#oa-tags-sync", "[data-rename-tag]", "[data-delete-tag]", "main td button"):
        expect(page.locator(gone)).to_have_count(0)

    page.click("#lang-switch")
    expect(page.locator("main h1")).to_have_text("User tags")
    expect(page.locator("nav a[data-page=oa-tags]")).to_have_text("User tags")
    expect(page.locator("#oa-tags-table th")).to_have_text(["Tag id", "Name", "System tag"])
    expect(page.locator("#oa-tags-table tr[data-tag='2'] td[data-label='System tag']")).to_have_text("Yes")
    expect(row.locator("td[data-label='System tag']")).to_have_text("No")
    clean(page)


def test_a_wecom_corp_has_no_user_tags_page(page, stack):
    signed_in(page, stack.key("demo-wecom"))
    expect(page.locator("nav a[data-page=tags]")).to_have_count(1)  # its corp tags instead
    expect(page.locator("nav a[data-page=oa-tags]")).to_have_count(0)
    page.goto("/console#/oa-tags")
    expect(page.locator("main .notice.error")).to_have_text("没有这个页面。")
    clean(page)
