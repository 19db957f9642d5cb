"""End to end over HTTP: a menu drafted and published through the admin API (WeChat, the sandbox, shows it), a
follower tapping its entries through the sandbox (signed CLICK and VIEW callbacks, one delivered three times),
the workers counting them, and the menu report naming the entries and the one nobody used."""

import pytest

pytestmark = pytest.mark.e2e


def test_publish_a_menu_tap_it_and_see_the_counts(stack):
    admin, api = stack.admin("demo-oa"), f"{stack.api}/accounts/demo-oa"
    appid = stack.info["demo OA appid"]
    menu = {"name": "E2E 菜单", "button": [
        {"type": "click", "name": "签到", "key": "E2E_SIGN_IN"},
        {"name": "会员", "sub_button": [{"type": "view", "name": "商城", "url": "https://shop.example.com/e2e"},
                                       {"type": "click", "name": "积分", "key": "E2E_POINTS"}]}]}
    res = admin.post(f"{api}/menu-drafts", json=menu, timeout=10)
    assert res.status_code == 201, res.text
    published = admin.post(f"{api}/menu/publish", json={"draft_id": res.json()["draft_id"]}, timeout=10)
    assert published.status_code == 200 and published.json()["unchanged"] is False, published.text
    current = admin.get(f"{api}/menu/current", timeout=10).json()
    assert current["matches_published"] is True
    stack.sandbox.oa_followers(appid, openids=["o-e2e-menu-1", "o-e2e-menu-2"])
    tapped = stack.sandbox.oa_menu_click(appid, "o-e2e-menu-1", "签到", deliveries=3)  # WeChat retried twice
    assert tapped["status"] == 200, tapped
    assert stack.sandbox.oa_menu_click(appid, "o-e2e-menu-2", "签到")["status"] == 200
    assert stack.sandbox.oa_menu_click(appid, "o-e2e-menu-1", "会员/商城")["status"] == 200
    assert stack.drain()
    report = admin.get(f"{api}/menu-stats", timeout=10).json()
    by_name = {e["name"]: e for e in report["entries"]}
    assert (by_name["签到"]["clicks"], by_name["签到"]["user_days"]) == (2, 2)
    assert (by_name["会员/商城"]["clicks"], by_name["会员/商城"]["user_days"]) == (1, 1)
    assert [u["name"] for u in report["unused"]] == ["会员/积分"]
