"""Custom menus on the in-memory twin, with a fake gateway and a fixed clock: WeChat's limits refused by us first
with the field named (hypothesis over name and key sizes), the wire form and entries, publishing once, rollback
exactly, delete, conditional menus, and click counting exactly once with unique users. The same over moto and
the sandbox: tests/integration/test_menus.py."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scrm import accounts, bootstrap
from scrm.accounts import Account
from scrm.contracts import parse
from scrm.contracts.menus import ConditionalMenuBody, MenuBody
from scrm.domain import menus as rules
from scrm.errors import Conflict, NotFound, UnknownAccount, ValidationError, WeChatError
from scrm.services.menus import admin as menus
from scrm.services.menus import clicks, common, stats
from scrm.stores.menus import MemoryMenuStore
from scrm.tenancy import Scope
from tests.timing import Clock

START = 1_765_000_000.0  # 2025-12-06 13:46:40 +08:00
OA, CORP = "acct-oa", "acct-corp"
SCOPE = Scope.system(OA)


class FakeGateway:
    def __init__(self):
        self.calls: list[tuple] = []
        self.menu = None
        self.next_menuid = 500

    def create_menu(self, buttons):
        self.calls.append(("menu/create", buttons))
        self.menu = buttons
        return {"errcode": 0}

    def current_menu(self):
        self.calls.append(("get_current_selfmenu_info",))
        listed = [{"name": b["name"], "sub_button": {"list": b["sub_button"]}} if b.get("sub_button") else b
                  for b in self.menu or []]
        return {"is_menu_open": 1 if self.menu else 0, "selfmenu_info": {"button": listed}}

    def delete_menu(self):
        self.calls.append(("menu/delete",))
        self.menu = None
        return {"errcode": 0}

    def add_conditional_menu(self, buttons, matchrule):
        self.calls.append(("menu/addconditional", buttons, matchrule))
        self.next_menuid += 1
        return str(self.next_menuid)

    def delete_conditional_menu(self, menuid):
        self.calls.append(("menu/delconditional", menuid))
        if menuid == "404":
            raise WeChatError(65301, "this menu is not conditionalmenu", "menu/delconditional")
        return {"errcode": 0}

    def try_match_menu(self, user_id):
        if user_id == "nobody":
            raise WeChatError(65302, "no such user", "menu/trymatch")
        return {"button": self.menu or []}

    def count(self, endpoint):
        return sum(1 for c in self.calls if c[0] == endpoint)


class World:
    def __init__(self, monkeypatch):
        self.clock = Clock(START)
        self.store = MemoryMenuStore()
        self.gateway = FakeGateway()
        bootstrap.reset(clock=self.clock, monotonic=self.clock, menu_store=self.store)
        monkeypatch.setattr(accounts, "get", self.account)
        monkeypatch.setattr(common, "gateway_of", lambda account: self.gateway)

    def account(self, account_id, **_):
        kinds = {OA: "oa", CORP: "wecom"}
        if account_id not in kinds:
            raise UnknownAccount(account_id)
        return Account(account_id, kinds[account_id], "wx0000000000000001", account_id)


@pytest.fixture
def world(monkeypatch):
    return World(monkeypatch)


MENU = {"name": "冬季菜单", "button": [
    {"type": "click", "name": "今日优惠", "key": "DEAL"},
    {"name": "会员", "sub_button": [{"type": "click", "name": "签到", "key": "SIGN_IN"},
                                   {"type": "view", "name": "商城", "url": "https://shop.example.com/"},
                                   {"type": "miniprogram", "name": "小程序", "url": "https://example.com/m",
                                    "appid": "wx286b93c14bbf93aa", "pagepath": "pages/index"}]},
    {"type": "view", "name": "门店", "url": "https://stores.example.com/"}]}


def fields_refused(model, body) -> list[str]:
    with pytest.raises(ValidationError) as refused:
        parse(model, body)
    return [e["field"] for e in refused.value.details["errors"]]


# ---- validation: WeChat's limits, ours first, the field named


def test_a_menu_within_every_limit_is_accepted():
    assert parse(MenuBody, MENU).model_dump(exclude_none=True)["button"][1]["sub_button"][2]["pagepath"] == \
        "pages/index"


def test_too_many_buttons_and_sub_buttons_are_named():
    four = {"button": [{"type": "click", "name": f"b{i}", "key": f"k{i}"} for i in range(4)]}
    assert fields_refused(MenuBody, four) == ["button"]
    six = {"button": [{"name": "多", "sub_button": [{"type": "click", "name": f"s{i}", "key": f"k{i}"}
                                                    for i in range(6)]}]}
    assert fields_refused(MenuBody, six) == ["button[0].sub_button"]
    assert fields_refused(MenuBody, {"button": []}) == ["button"]


@given(st.text(alphabet="菜单会员abc", min_size=1, max_size=30))
def test_a_top_name_is_at_most_16_utf8_bytes(name):
    body = {"button": [{"type": "click", "name": name, "key": "K"}]}
    if len(name.encode("utf-8")) <= 16:
        parse(MenuBody, body)
    else:
        assert fields_refused(MenuBody, body) == ["button[0].name"]


@given(st.text(alphabet="菜单会员abc", min_size=1, max_size=30))
def test_a_sub_button_name_is_at_most_60_utf8_bytes(name):
    body = {"button": [{"name": "会员", "sub_button": [{"type": "click", "name": name, "key": "K"}]}]}
    if len(name.encode("utf-8")) <= 60:
        parse(MenuBody, body)
    else:
        assert fields_refused(MenuBody, body) == ["button[0].sub_button[0].name"]


@given(st.integers(min_value=1, max_value=200), st.integers(min_value=1, max_value=1100))
def test_key_and_url_byte_limits(key_len, url_len):
    url = "https://e.com/" + "x" * (url_len - len("https://e.com/")) if url_len > 14 else "https://e.com/"
    body = {"button": [{"type": "click", "name": "a", "key": "键" * key_len},
                       {"type": "view", "name": "b", "url": url}]}
    expected = (["button[0].key"] if key_len * 3 > 128 else []) + (["button[1].url"] if len(url) > 1024 else [])
    if expected:
        assert fields_refused(MenuBody, body) == expected
    else:
        parse(MenuBody, body)


@pytest.mark.parametrize(("button", "field"), [
    ({"type": "click", "name": "a"}, "key"),
    ({"type": "scancode_push", "name": "a"}, "key"),
    ({"type": "view", "name": "a"}, "url"),
    ({"type": "view", "name": "a", "url": "ftp://e.com/"}, "url"),
    ({"type": "view", "name": "a", "url": "javascript:alert(1)"}, "url"),
    ({"type": "miniprogram", "name": "a", "url": "https://e.com", "pagepath": "p"}, "appid"),
    ({"type": "miniprogram", "name": "a", "url": "https://e.com", "appid": "wx1"}, "pagepath"),
    ({"type": "media_id", "name": "a"}, "media_id"),
    ({"type": "article_id", "name": "a"}, "article_id"),
    ({"type": "article_view_limited", "name": "a"}, "article_id"),
    ({"type": "view_limited", "name": "a", "media_id": "m"}, "type"),
    ({"type": "click", "name": " ", "key": "k"}, "name"),
    ({"name": "a"}, "type"),
    ({"name": "a", "type": "click", "key": "k", "sub_button": [{"type": "click", "name": "s", "key": "k"}]},
     "type"),
])
def test_each_type_needs_its_fields(button, field):
    assert fields_refused(MenuBody, {"button": [button]}) == [f"button[0].{field}"]


def test_a_sub_button_cannot_nest_and_unknown_fields_are_refused():
    nested = {"button": [{"name": "a", "sub_button": [{"type": "click", "name": "s", "key": "k",
                                                       "sub_button": []}]}]}
    assert fields_refused(MenuBody, nested) == ["button[0].sub_button[0].sub_button"]
    assert fields_refused(MenuBody, {"button": [{"type": "click", "name": "a", "key": "k", "colour": "red"}]}) == \
        ["button[0].colour"]


def test_matchrule_by_tag_or_platform_and_never_by_private_data():
    buttons = [{"type": "click", "name": "a", "key": "k"}]
    parse(ConditionalMenuBody, {"button": buttons, "matchrule": {"tag_id": "101"}})
    parse(ConditionalMenuBody, {"button": buttons, "matchrule": {"client_platform_type": "2"}})
    assert fields_refused(ConditionalMenuBody, {"button": buttons, "matchrule": {}}) == ["matchrule"]
    assert fields_refused(ConditionalMenuBody, {"button": buttons, "matchrule": {"tag_id": "x1"}}) == \
        ["matchrule.tag_id"]
    assert fields_refused(ConditionalMenuBody, {"button": buttons, "matchrule": {"client_platform_type": "4"}}) == \
        ["matchrule.client_platform_type"]
    for private in ("sex", "country", "province", "city", "language"):
        with pytest.raises(ValidationError) as refused:
            parse(ConditionalMenuBody, {"button": buttons, "matchrule": {"tag_id": "1", private: "zh_CN"}})
        assert refused.value.field == f"matchrule.{private}" and "65320" in str(refused.value)


# ---- the wire form and entries


def test_wire_form_keeps_only_each_types_fields_and_entries_carry_names():
    validated = parse(MenuBody, MENU).model_dump(exclude_none=True)["button"]
    wire = rules.wire(validated)
    assert wire[0] == {"type": "click", "name": "今日优惠", "key": "DEAL"}
    assert rules.wire(wire) == wire and rules.digest(wire) == rules.digest(validated)
    names = [(e["kind"], e["name"]) for e in rules.entries(wire)]
    assert names == [("click", "今日优惠"), ("click", "会员/签到"), ("view", "会员/商城"), ("view", "门店")]
    assert rules.entry_of("oa.view", "https://shop.example.com/") == rules.entries(wire)[2]["entry_id"]
    assert rules.entry_of("oa.click", "") is None


# ---- publishing, versions, rollback, delete


def test_publishing_a_draft_twice_calls_menu_create_once(world):
    draft = menus.create_draft(SCOPE, OA, MENU)
    first = menus.publish(SCOPE, OA, draft["draft_id"])
    again = menus.publish(SCOPE, OA, draft["draft_id"])
    assert (first["version"], first["unchanged"]) == (1, False)
    assert (again["version"], again["unchanged"]) == (1, True)
    assert world.gateway.count("menu/create") == 1
    assert world.gateway.menu == rules.wire(draft["button"])
    assert menus.current_menu(SCOPE, OA)["matches_published"] is True


def test_rollback_republishes_an_earlier_version_exactly(world):
    first = menus.create_draft(SCOPE, OA, MENU)
    menus.publish(SCOPE, OA, first["draft_id"])
    v1 = menus.get_version(SCOPE, OA, 1)["button"]
    second = menus.create_draft(SCOPE, OA, {"button": [{"type": "click", "name": "新", "key": "NEW"}]})
    assert menus.publish(SCOPE, OA, second["draft_id"])["version"] == 2
    back = menus.rollback(SCOPE, OA, 1)
    assert (back["version"], back["unchanged"]) == (3, False)
    assert world.gateway.menu == v1 == menus.get_version(SCOPE, OA, 3)["button"]
    assert menus.get_version(SCOPE, OA, 3)["rollback_of"] == 1
    assert menus.rollback(SCOPE, OA, 1)["unchanged"] is True  # already current
    assert world.gateway.count("menu/create") == 3
    items, nxt = menus.page_versions(SCOPE, OA, 2, None)
    assert [v["version"] for v in items] == [3, 2] and nxt == {"before": 2}
    assert [v["version"] for v in menus.page_versions(SCOPE, OA, 2, nxt)[0]] == [1]
    with pytest.raises(NotFound):
        menus.rollback(SCOPE, OA, 9)


def test_delete_then_publishing_the_same_menu_sends_it_again(world):
    draft = menus.create_draft(SCOPE, OA, MENU)
    menus.publish(SCOPE, OA, draft["draft_id"])
    menus.add_conditional(SCOPE, OA, {"button": MENU["button"][:1], "matchrule": {"tag_id": "101"}})
    assert menus.delete_menu(SCOPE, OA) == {"deleted": "menu"}
    assert menus.list_conditionals(SCOPE, OA)["items"] == []
    assert menus.publish(SCOPE, OA, draft["draft_id"])["unchanged"] is False
    assert world.gateway.count("menu/create") == 2


def test_a_draft_is_replaced_listed_and_deleted_and_a_wecom_account_has_no_menu(world):
    draft = menus.create_draft(SCOPE, OA, MENU)
    changed = menus.replace_draft(SCOPE, OA, draft["draft_id"], {"button": MENU["button"][:1]})
    assert changed["version"] == 2 and changed["updated_at"].endswith("+08:00")
    assert [d["draft_id"] for d in menus.list_drafts(SCOPE, OA)["items"]] == [draft["draft_id"]]
    assert menus.delete_draft(SCOPE, OA, draft["draft_id"]) == {"deleted": draft["draft_id"]}
    with pytest.raises(NotFound):
        menus.publish(SCOPE, OA, draft["draft_id"])
    with pytest.raises(ValidationError):
        menus.create_draft(Scope.system(CORP), CORP, MENU)


def test_a_conditional_menu_needs_a_default_menu_and_at_most_three_domains(world):
    conditional = {"button": [{"type": "view", "name": "a", "url": "https://a.example.com/"}],
                   "matchrule": {"client_platform_type": "1"}}
    with pytest.raises(Conflict):
        menus.add_conditional(SCOPE, OA, conditional)
    assert world.gateway.count("menu/addconditional") == 0
    menus.publish(SCOPE, OA, menus.create_draft(SCOPE, OA, MENU)["draft_id"])
    made = menus.add_conditional(SCOPE, OA, conditional)
    assert made["menuid"] == "501" and made["matchrule"] == {"client_platform_type": "1"}
    for host in ("b", "c"):
        menus.add_conditional(SCOPE, OA, {**conditional, "button": [
            {"type": "view", "name": host, "url": f"https://{host}.example.com/"}]})
    with pytest.raises(ValidationError) as refused:
        menus.add_conditional(SCOPE, OA, {**conditional, "button": [
            {"type": "view", "name": "d", "url": "https://d.example.com/"}]})
    assert refused.value.field == "button" and world.gateway.count("menu/addconditional") == 3
    assert menus.delete_conditional(SCOPE, OA, "501") == {"deleted": "501"}
    with pytest.raises(NotFound):
        menus.delete_conditional(SCOPE, OA, "404")
    with pytest.raises(NotFound):
        menus.try_match(SCOPE, OA, "nobody")
    assert menus.try_match(SCOPE, OA, "o1")["button"] == world.gateway.menu


# ---- analytics


def click(openid: str, key: str, at: int, kind: str = "oa.click") -> dict:
    event = {"FromUserName": openid, "CreateTime": str(at), "EventKey": key,
             "Event": "CLICK" if kind == "oa.click" else "VIEW"}
    return {"account_id": OA, "platform": "oa", "kind": kind, "event": event,
            "dedupe_key": f"evt:{openid}|{at}|{event['Event']}|{key}"}


def test_each_event_counts_once_with_unique_users_per_day(world):
    at = int(START)
    for payload in (click("o1", "DEAL", at), click("o1", "DEAL", at + 5), click("o2", "DEAL", at + 6)):
        clicks.count_event(payload)
        assert clicks.count_event(payload) == {"counted": "duplicate"}  # redelivered: nothing more
    clicks.count_event(click("o1", "DEAL", at + 86400))  # the next day: o1 is a new user of that day
    clicks.count_event(click("o3", "https://stores.example.com/", at, kind="oa.view"))
    counts, reads = world.store.read_counts(SCOPE, OA, "2025-12-01", "2025-12-31")
    assert counts[("click:DEAL", "2025-12-06")] == {"clicks": 3, "users": 2, "label": "DEAL"}
    assert counts[("click:DEAL", "2025-12-07")]["clicks"] == 1
    assert reads >= len(counts)


def test_the_report_joins_the_menu_and_lists_entries_nobody_used(world):
    menus.publish(SCOPE, OA, menus.create_draft(SCOPE, OA, MENU)["draft_id"])
    at = int(START)
    clicks.count_event(click("o1", "SIGN_IN", at))
    clicks.count_event(click("o2", "SIGN_IN", at + 1))
    clicks.count_event(click("o1", "OLD_KEY", at))  # a button of an older menu
    answer = stats.report(SCOPE, OA, {"from": "2025-12-06", "to": "2025-12-06"}, START)
    first = answer["entries"][0]
    assert (first["name"], first["clicks"], first["user_days"], first["in_current_menu"]) == ("会员/签到", 2, 2, True)
    assert first["days"] == [{"day": "2025-12-06", "clicks": 2, "unique_users": 2}]
    old = answer["entries"][1]
    assert (old["name"], old["key"], old["in_current_menu"]) == (None, "OLD_KEY", False)
    assert [u["name"] for u in answer["unused"]] == ["今日优惠", "会员/商城", "门店"]
    assert answer["shards"] == 16
    with pytest.raises(ValidationError):
        stats.report(SCOPE, OA, {"from": "2025-01-01", "to": "2025-12-06"}, START)
    with pytest.raises(ValidationError):
        stats.report(SCOPE, OA, {"from": "06/12/2025"}, START)


def test_the_counter_writes_spread_over_the_shards(world):
    import random

    rng = random.Random(7)
    for i in range(1600):
        world.store.count_click(SCOPE, OA, "click:DEAL", "2025-12-06", f"e{i}", f"u{i % 10}", 0, "DEAL", rng=rng)
    writes = world.store.writes_per_item.values()
    assert sum(writes) == 1600 and len(writes) == 16 and max(writes) < 1600 / 16 * 1.5
