"""Official Account custom menus (自定义菜单), as WeChat serves them, and a follower tapping a menu entry.

Official pages (shapes and limits copied here):
- 创建自定义菜单 https://developers.weixin.qq.com/doc/service/api/custommenu/api_createcustommenu
  POST menu/create {"button": [...]}: 1-3 buttons, sub_button up to 5, name 不超过16个字节 (子菜单60), key 不超过128
  字节, url 不超过1024字节; `type` and `sub_button` exclusive.
- 查询自定义菜单信息 https://developers.weixin.qq.com/doc/service/api/custommenu/api_getcurrentselfmenuinfo
  GET get_current_selfmenu_info -> {"is_menu_open": 0|1, "selfmenu_info": {"button": [...]}}, a button with
  sub-buttons carries them as {"sub_button": {"list": [...]}}.
- 删除自定义菜单 https://developers.weixin.qq.com/doc/service/en/Custom_Menus/Deleting_Custom-Defined_Menu.html
  GET menu/delete: the default menu and every conditional menu.
- 个性化菜单 https://developers.weixin.qq.com/doc/service/api/custommenu/api_addconditionalmenu (addconditional ->
  {"menuid"}; a default menu first, 65303; matchrule empty 65304; sex, region, language refused with 65320; at most 3
  link domains over all conditional menus, 65316), api_deleteconditionalmenu (delconditional {"menuid"}; unknown
  65301), api_trymatchmenu (trymatch {"user_id"} -> {"button": [...]}, newest conditional menu first, else the
  default; unknown user 65302).

Error codes for refused buttons are WeChat's global return codes (全局返回码): 40016 invalid button size, 40017
invalid button type, 40018 invalid button name size, 40019 invalid button key size, 40020 invalid button url
size, 40023 invalid sub button size, 40024 invalid sub button type, 40025 invalid sub button name size, 40026
invalid sub button key size, 40027 invalid sub button url size, 65308 a button without a type, 65317 invalid url.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from .core import ApiError

MENU_ROUTES: dict[str, tuple[str, str, bool]] = {}


def api(method: str, endpoint: str) -> Callable:
    def register(fn: Callable) -> Callable:
        MENU_ROUTES[endpoint] = (method, fn.__name__, True)
        return fn
    return register


KEY_TYPES = {"click", "scancode_push", "scancode_waitmsg", "pic_sysphoto", "pic_photo_or_album", "pic_weixin",
             "location_select"}
TYPES = KEY_TYPES | {"view", "miniprogram", "media_id", "article_id", "article_view_limited"}
PRIVATE_RULES = ("sex", "country", "province", "city", "language")
FIRST_MENUID = 400000001
OK = {"errcode": 0, "errmsg": "ok"}


def _size(value) -> int:
    return len(value.encode("utf-8")) if isinstance(value, str) else 0


def _check_button(b, sub: bool) -> None:
    codes = {"type": 40024 if sub else 40017, "name": 40025 if sub else 40018, "key": 40026 if sub else 40019,
             "url": 40027 if sub else 40020}
    where = "sub button" if sub else "button"
    if not isinstance(b, dict):
        raise ApiError(40016, "invalid button size")
    if not 1 <= _size(b.get("name")) <= (60 if sub else 16):
        raise ApiError(codes["name"], f"invalid {where} name size")
    kind = b.get("type")
    if kind is None:
        raise ApiError(65308, "exist empty button act")
    if kind not in TYPES:
        raise ApiError(codes["type"], f"invalid {where} type")
    if kind in KEY_TYPES and not 1 <= _size(b.get("key")) <= 128:
        raise ApiError(codes["key"], f"invalid {where} key size")
    if kind in ("view", "miniprogram"):
        if not 1 <= _size(b.get("url")) <= 1024:
            raise ApiError(codes["url"], f"invalid {where} url size")
        if urlsplit(b["url"]).scheme not in ("http", "https"):
            raise ApiError(65317, "invalid url")
    needs = {"miniprogram": ("appid", "pagepath"), "media_id": ("media_id",), "article_id": ("article_id",),
             "article_view_limited": ("article_id",)}.get(kind, ())
    for field in needs:
        if not b.get(field):
            raise ApiError(47001, f"data format error: {field} missing")


def check_menu(body: dict) -> list[dict]:
    """The `button` array as WeChat checks it, or the ApiError WeChat answers."""
    buttons = body.get("button")
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= 3:
        raise ApiError(40016, "invalid button size")
    for b in buttons:
        subs = b.get("sub_button") if isinstance(b, dict) else None
        if subs:
            if not isinstance(subs, list) or len(subs) > 5:
                raise ApiError(40023, "invalid sub button size")
            if not 1 <= _size(b.get("name")) <= 16:
                raise ApiError(40018, "invalid button name size")
            for s in subs:
                if isinstance(s, dict) and s.get("sub_button"):
                    raise ApiError(40022, "invalid sub button level")
                _check_button(s, sub=True)
        else:
            _check_button(b, sub=False)
    return buttons


def _hosts(buttons: list[dict]) -> set[str]:
    out = set()
    for b in buttons:
        for one in b.get("sub_button") or [b]:
            if one.get("url"):
                out.add(urlsplit(one["url"]).hostname or "")
    return out


def _selfmenu(buttons: list[dict]) -> list[dict]:
    out = []
    for b in buttons:
        if b.get("sub_button"):
            out.append({"name": b["name"], "sub_button": {"list": [dict(s) for s in b["sub_button"]]}})
        else:
            out.append(dict(b))
    return out


class OAMenus:
    """The menu endpoints of OAPlatform (mixed in; state per app under the Sandbox lock)."""

    def _menu(self, app) -> dict:
        state = self.__dict__.setdefault("menu_state", {})
        return state.setdefault(app.appid, {"default": None, "conditionals": [], "next_menuid": FIRST_MENUID,
                                            "creates": 0})

    @api("POST", "menu/create")
    def menu_create(self, app, q, body):
        buttons = check_menu(body)
        menu = self._menu(app)
        menu["default"] = [dict(b) for b in buttons]
        menu["creates"] += 1
        return dict(OK)

    @api("GET", "get_current_selfmenu_info")
    def menu_current(self, app, q, body):
        default = self._menu(app)["default"]
        return {"is_menu_open": 1 if default else 0, "selfmenu_info": {"button": _selfmenu(default or [])}}

    @api("GET", "menu/delete")
    def menu_delete(self, app, q, body):
        menu = self._menu(app)
        menu["default"], menu["conditionals"] = None, []
        return dict(OK)

    @api("POST", "menu/addconditional")
    def menu_add_conditional(self, app, q, body):
        menu = self._menu(app)
        rule = body.get("matchrule")
        if not isinstance(rule, dict) or not any(rule.get(k) not in (None, "") for k in rule):
            raise ApiError(65304, "match rule empty")
        if any(rule.get(k) not in (None, "") for k in PRIVATE_RULES):
            raise ApiError(65320, "matchrule contains private information (sex, region, language)")
        buttons = check_menu(body)
        if not menu["default"]:
            raise ApiError(65303, "there is no selfmenu, please create selfmenu first")
        hosts = _hosts(buttons).union(*(_hosts(c["button"]) for c in menu["conditionals"]))
        if len(hosts) > 3:
            raise ApiError(65316, "too many domains in the menus' links (at most 3)")
        menuid = str(menu["next_menuid"])
        menu["next_menuid"] += 1
        menu["conditionals"].append({"menuid": menuid, "button": [dict(b) for b in buttons],
                                     "matchrule": {k: str(v) for k, v in rule.items() if v not in (None, "")}})
        return {"menuid": menuid}

    @api("POST", "menu/delconditional")
    def menu_del_conditional(self, app, q, body):
        menu = self._menu(app)
        menuid = str(body.get("menuid") or "")
        kept = [c for c in menu["conditionals"] if c["menuid"] != menuid]
        if len(kept) == len(menu["conditionals"]):
            raise ApiError(65301, "this menu is not conditionalmenu")
        menu["conditionals"] = kept
        return dict(OK)

    def seen_menu(self, app, openid: str) -> list[dict]:
        """The menu this follower sees: the newest conditional menu whose rule matches, else the default."""
        menu = self._menu(app)
        rec = app.followers.get(openid)
        if rec is None:
            raise ApiError(65302, "no such user")
        tags = rec.get("tagid_list") or []
        platform = str(rec.get("client_platform_type") or "3")
        for cond in reversed(menu["conditionals"]):
            rule = cond["matchrule"]
            if rule.get("tag_id") and (not tags or str(tags[-1]) != rule["tag_id"]):  # the last tag given matches
                continue
            if rule.get("client_platform_type") and rule["client_platform_type"] != platform:
                continue
            return cond["button"]
        if not menu["default"]:
            raise ApiError(46003, "menu no exist")
        return menu["default"]

    @api("POST", "menu/trymatch")
    def menu_try_match(self, app, q, body):
        return {"button": [dict(b) for b in self.seen_menu(app, str(body.get("user_id") or ""))]}

    # ------------------------------------------------------------------ a follower taps an entry (control)
    def menu_click(self, appid: str, spec: dict):
        """The CLICK / VIEW event of a follower tapping the entry named `name` (`会员/签到` for a sub-button) of the
        menu they see; (app, xml, openid) to push, like user_event."""
        app = self.app(appid)
        openid = spec.get("openid") or ""
        if not openid or not app.followers.is_subscribed(openid):
            raise ApiError(47001, "menu/click needs the openid of a follower")
        path = str(spec.get("name") or "").split("/")
        found = None
        for b in self.seen_menu(app, openid):
            if b.get("name") == path[0]:
                found = b if len(path) == 1 else next((s for s in b.get("sub_button") or []
                                                       if s.get("name") == path[1]), None)
        if found is None:
            raise ApiError(47001, f"the follower's menu has no entry {spec.get('name')!r}")
        if found.get("type") == "click":
            event = {"type": "click", "key": found["key"]}
        elif found.get("type") == "view":
            event = {"type": "view", "url": found["url"], "menu_id": spec.get("menu_id", 1)}
        else:
            raise ApiError(47001, f"entry {spec.get('name')!r} is a {found.get('type')} button: only click and "
                                  "view buttons send an event here")
        return self.user_event(appid, {**spec, **event})
