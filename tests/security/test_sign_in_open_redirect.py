"""Attack: use our sign-in as an open redirect: ask for WeChat's authorize URL with a redirect_uri on another site, so
WeChat hands the user's fresh OAuth code (and with it a signed user token) to that site; or pass a state the page did
not make. Held: the authorize URL is built only for this account's own campaign pages under our public base URL
(400 foreign_url), and state must be a random value of 8-128 safe characters (400 bad_state)."""

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


@pytest.mark.parametrize("redirect_uri, state, code", [
    ("https://evil.example/c/test-oa/spring", "a1b2c3d4e5f6", "foreign_url"),  # an open redirect with a code
    (f"http://{HOST}/c/other-oa/spring", "a1b2c3d4e5f6", "foreign_url"),
    (PAGE, "short", "bad_state"),
    (PAGE, "has spaces in it", "bad_state"),
])
def test_the_authorize_url_is_refused_for_other_pages_and_bad_states(http, redirect_uri, state, code):
    r = get(http, "/u/test-oa/oauth/authorize-url?" + urllib.parse.urlencode({"redirect_uri": redirect_uri,
                                                                              "state": state}))
    assert r.status_code == 400 and json.loads(r.body)["error"]["code"] == code
