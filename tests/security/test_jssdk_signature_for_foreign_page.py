"""Attack: get a valid wx.config signature for another site's page (our account's JS-SDK permissions on a page we do
not control), or for another account's page. Held: jssdk-config signs only this account's own campaign pages under
our public base URL (400 foreign_url), refused before any jsapi_ticket is fetched."""

from __future__ import annotations

import json
import urllib.parse

import pytest

HOST = "shop.example"
PAGE = f"http://{HOST}/c/test-oa/spring"


@pytest.fixture
def http(oa_account):
    from chalice.test import Client

    from app import app

    with Client(app) as client:
        yield client.http


def get(http, path):
    return http.get(path, headers={"Host": HOST})


@pytest.mark.parametrize("url", ["https://evil.example/c/test-oa/spring", f"http://{HOST}/c/other-oa/spring",
                                 f"http://{HOST}/u/test-oa/campaigns/spring", "not a url"])
def test_jssdk_config_refuses_other_pages(http, oa_account, sandbox, url):
    r = get(http, "/u/test-oa/jssdk-config?" + urllib.parse.urlencode({"url": url}))
    assert r.status_code == 400 and json.loads(r.body)["error"]["code"] == "foreign_url"
    assert not sandbox.sandbox.oa.web.ticket_fetches  # refused before any ticket is fetched
