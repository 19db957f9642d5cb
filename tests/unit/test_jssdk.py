"""The JS-SDK signature (附录1) and which page URLs we sign."""

import pytest

from scrm.domain import jssdk

TICKET = "sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg"


@pytest.mark.parametrize("url, expected", [
    # the example of 附录1-JS-SDK使用权限签名算法, https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/JS-SDK.html
    ("http://mp.weixin.qq.com?params=value", "0f9de62fce790f9a083d5c99e95740ceb90c27ed"),
    # the same page's earlier edition (url without the query)
    ("http://mp.weixin.qq.com", "f4d90daf4b3bca3078ab155816175ba34c443a7b"),
])
def test_signature_matches_the_documented_example(url, expected):
    assert jssdk.signature(TICKET, "Wm3WZYTPz0wzccnW", 1414587457, url) == expected
    assert jssdk.signature(TICKET, "Wm3WZYTPz0wzccnW", "1414587457", url) == expected


def test_the_fragment_is_not_signed():
    assert jssdk.signed_url("https://a.example/c/x/y?share=1#t=abc") == "https://a.example/c/x/y?share=1"


BASE = "https://scrm.example.com/api"


@pytest.mark.parametrize("url", [
    f"{BASE}/c/shop-oa/spring",
    f"{BASE}/c/shop-oa/spring?share=abc&lang=en",
    f"{BASE}/c/shop-oa/spring/",
    "https://SCRM.example.com/api/c/shop-oa/spring",
])
def test_own_pages_are_signed(url):
    assert jssdk.own_page(url + "#t=secret", BASE, "shop-oa") == url


@pytest.mark.parametrize("url", [
    "https://evil.example/api/c/shop-oa/spring",  # another site
    "https://scrm.example.com.evil.example/api/c/shop-oa/spring",
    "https://scrm.example.com@evil.example/api/c/shop-oa/spring",  # userinfo trick
    "https://evil@scrm.example.com/api/c/shop-oa/spring",
    "http://scrm.example.com/api/c/shop-oa/spring",  # another scheme
    "https://scrm.example.com:8443/api/c/shop-oa/spring",  # another port
    "https://scrm.example.com/c/shop-oa/spring",  # outside our path prefix
    "https://scrm.example.com/api/c/other-oa/spring",  # another account's page
    "https://scrm.example.com/api/u/shop-oa/campaigns/spring",  # not a page
    "https://scrm.example.com/api/c/shop-oa/spring/extra",
    "https://scrm.example.com/api/c/shop-oa/../x/spring",
    "javascript:alert(1)//scrm.example.com/api/c/shop-oa/spring",
    "",
    None,
    "https://scrm.example.com/api/c/shop-oa/" + "x" * 3000,
])
def test_other_urls_are_refused(url):
    assert jssdk.own_page(url, BASE, "shop-oa") is None
