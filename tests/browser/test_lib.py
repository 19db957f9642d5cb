"""lib.js, the toolkit every page uses, run in Chromium as the pages run it (an ES module of our origin): the DOM
builder never parses text as HTML and never links to javascript:, CSV cells cannot become spreadsheet formulas
and the file starts with a BOM, the pager walks the API's cursors, API errors carry the API's code and details."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def run(page, body: str, arg=None):
    """Evaluate `body` (an async function body with `lib` in scope) on the console's origin."""
    page.goto("/console")
    return page.evaluate(f"async (arg) => {{ const lib = await import('/console/assets/lib.js'); {body} }}", arg)


def test_h_sets_text_never_html_and_refuses_javascript_urls(page):
    out = run(page, """
        const el = lib.h('div', {title: '<b>', onclick: () => {}}, '<img src=x onerror=alert(1)>', ['<i>a</i>', null],
                         lib.h('a', {href: 'javascript:alert(1)'}, 'x'), lib.h('a', {href: '#/channels'}, 'y'));
        return {html: el.innerHTML, imgs: el.querySelectorAll('img, i').length,
                hrefs: [...el.querySelectorAll('a')].map((a) => a.getAttribute('href')), title: el.title};
    """)
    assert out["imgs"] == 0
    assert out["html"].startswith("&lt;img src=x onerror=alert(1)&gt;&lt;i&gt;a&lt;/i&gt;")
    assert out["hrefs"] == ["#", "#/channels"]
    assert out["title"] == "<b>"
    assert page.dialogs == []


def test_csv_download_has_a_bom_and_keeps_formulas_as_text(page):
    with page.expect_download() as download:
        run(page, "lib.downloadCsv('x.csv', [['name', 'n'], ['=HYPERLINK(\"http://e.vil\")', 1], "
                  "['门店, \"A\"', -2]]);")
    data = open(download.value.path(), "rb").read()
    assert data.startswith(b"\xef\xbb\xbf")
    text = data[3:].decode()
    assert text.splitlines() == ["name,n", "\"'=HYPERLINK(\"\"http://e.vil\"\")\",1", "\"门店, \"\"A\"\"\",-2"]
    assert download.value.suggested_filename == "x.csv"


def test_pager_walks_the_cursors_forward_and_back(page):
    out = run(page, """
        const pages = {'': {items: [1, 2], next_cursor: 'c2'}, c2: {items: [3], next_cursor: 'c3'},
                       c3: {items: [4], next_cursor: null}};
        const asked = [];
        const seen = [];
        const p = lib.pager(async (cursor) => { asked.push(cursor); return pages[cursor || '']; },
                            (items) => seen.push(items.join(',')));
        document.body.appendChild(p);
        await p.ready;
        const [prev, next] = p.querySelectorAll('button');
        const wait = () => new Promise((r) => setTimeout(r, 0));
        next.click(); await wait(); await wait();
        next.click(); await wait(); await wait();
        const lastDisabled = next.disabled;
        prev.click(); await wait(); await wait();
        return {asked, seen, lastDisabled, prevDisabled: prev.disabled};
    """)
    assert out["asked"] == [None, "c2", "c3", "c2"]
    assert out["seen"] == ["1,2", "3", "4", "3"]
    assert out["lastDisabled"] is True and out["prevDisabled"] is False


def test_api_errors_carry_the_api_s_code_message_and_details(page):
    out = run(page, """
        try { await lib.api('/accounts/demo-oa/channels', {method: 'POST', body: {kind: 'oa_qr'}}); }
        catch (e) { return {name: e.constructor.name, status: e.status, code: e.code, message: e.message}; }
    """)
    assert out["name"] == "ApiError"
    assert out["status"] == 401 and out["code"] == "unauthorized" and out["message"]
