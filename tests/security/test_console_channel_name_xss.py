"""Attack: stored XSS through a channel's name. A channel named `<img src=x onerror=alert(1)>` is shown by the
console's channel list, its poster and the statistics: everywhere it must be text, no element is made from it
and no handler fires (the pages set text through textContent only; the CSP would block an inline handler too,
and the test checks that nothing even tried)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.harness import signed_in

pytestmark = pytest.mark.browser
PAYLOAD = "<img src=x onerror=alert(1)>"


def test_channel_named_like_an_img_tag_renders_as_text_and_runs_nothing(page, stack):
    admin, api = stack.admin("demo-oa"), f"{stack.api}/accounts/demo-oa"
    res = admin.post(f"{api}/channels", json={"kind": "oa_qr", "name": PAYLOAD, "group": "xss"}, timeout=30)
    assert res.status_code == 201, res.text
    channel = res.json()
    appid = stack.info["demo OA appid"]
    assert stack.sandbox.oa_event(appid, "subscribe", openid="o-xss-1", scene=channel["scene"])["status"] == 200
    assert stack.drain()  # the name then also shows in the statistics (table and chart axis)
    signed_in(page, stack.key("demo-oa"))
    planted = "() => document.querySelectorAll('img[src=\"x\"], img:not([src]):not(#poster-qr)').length"

    page.goto("/console#/channels?group=xss")
    cell = page.locator("td", has_text=PAYLOAD).first
    expect(cell).to_be_visible()
    assert cell.text_content() == PAYLOAD
    assert page.evaluate(planted) == 0

    page.goto(f"/console#/poster?channel={channel['channel_id']}")
    expect(page.locator("#poster-name")).to_have_text(PAYLOAD)
    assert page.evaluate(planted) == 0

    page.goto("/console#/stats?group=xss")
    expect(page.locator("#st-totals td", has_text=PAYLOAD)).to_be_visible()
    page.wait_for_function("() => Number(document.getElementById('chart-conversion').dataset.chartReady || 0) > 0")
    page.locator("#chart-conversion").hover()  # the tooltip is the one place ECharts writes HTML: escaped
    assert page.evaluate(planted) == 0

    assert page.dialogs == []
    assert page.errors == []
    assert page.csp_violations() == []
