"""Official Account (公众号) gateway."""

from __future__ import annotations

import urllib.parse

from ..errors import WeChatError, WeChatUnavailable
from ..observability import wechat_call
from .base import Gateway, _install_policy, classify

# 网页授权 (https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/Wechat_webpage_authorization.html): codes
# that are invalid or expired (40029), already used (40163) or missing (41008): the user signs in again.
OAUTH_CODE_ERRORS = frozenset({40029, 40163, 41008})
FOLLOWER_PAGE = 10000  # user/get: "一次拉取调用最多拉取10000个关注者的OpenID"
FOLLOWER_INFO_BATCH = 100  # user/info/batchget: "最多支持一次拉取100条"


class OAuthCodeRefused(WeChatError):
    """WeChat refused a web-authorization code (invalid, expired, used): the browser must sign in again."""


class OfficialAccountGateway(Gateway):
    platform = "oa"

    def default_base_url(self, cfg) -> str:
        return cfg.oa_base_url

    def token_key(self) -> str:
        return f"oa:{self.account.app_id}"

    def fetch_token(self) -> tuple[str, int]:
        # stable_token (normal mode) never rotates a live token, so concurrent refreshers cannot
        # invalidate each other even across deployments that do not share our lock.
        data = self._token_request("post", "stable_token", json={
            "grant_type": "client_credential", "appid": self.account.app_id,
            "secret": self.account.app_secret, "force_refresh": False})
        return data["access_token"], int(data.get("expires_in", 7200))

    def make_client(self):
        from wechatpy import WeChatClient

        return _install_policy(WeChatClient)(self, self.account.app_id, self.account.app_secret)

    # --- web authorization (网页授权) and the JS-SDK
    def authorize_url(self, oauth_base_url: str, redirect_uri: str, state: str) -> str:
        """Where a browser signs in (snsapi_base: no consent page, WeChat redirects to redirect_uri?code=&state=).
        The parameters in the documented order (WeChat matches the link strictly) and `#wechat_redirect`."""
        query = urllib.parse.urlencode([("appid", self.account.app_id), ("redirect_uri", redirect_uri),
                                        ("response_type", "code"), ("scope", "snsapi_base"), ("state", state)])
        return f"{oauth_base_url.rstrip('/')}/connect/oauth2/authorize?{query}#wechat_redirect"

    def oauth_openid(self, code: str) -> str:
        """sns/oauth2/access_token (the web-authorization token, not the API token): appid + secret + code ->
        openid. OAuthCodeRefused when WeChat refuses the code; the code works once, so this is never retried."""
        import requests

        url = f"{self.base_url}/sns/oauth2/access_token"
        try:
            with wechat_call("sns/oauth2/access_token", self.platform):
                res = requests.get(url, timeout=self.timeout, params={
                    "appid": self.account.app_id, "secret": self.account.app_secret, "code": code,
                    "grant_type": "authorization_code"})
            data = res.json()
        except (requests.RequestException, ValueError):
            raise WeChatUnavailable("WeChat OAuth endpoint sns/oauth2/access_token unreachable or not JSON") from None
        if not isinstance(data, dict):
            raise WeChatUnavailable("WeChat OAuth endpoint sns/oauth2/access_token answered no JSON object")
        if data.get("errcode"):
            errcode = int(data["errcode"])
            if errcode in OAUTH_CODE_ERRORS:
                raise OAuthCodeRefused(errcode, data.get("errmsg", ""), "sns/oauth2/access_token")
            raise classify(errcode, data.get("errmsg", ""), "sns/oauth2/access_token")
        if not data.get("openid"):
            raise WeChatUnavailable("WeChat OAuth answered without an openid")
        return data["openid"]

    def jsapi_ticket(self) -> str:
        """The JS-SDK ticket (wx.config's signature), cached like the access token: shared through DynamoDB with
        the same refresh lock and early refresh (getticket's daily quota is small; 附录1 says cache it globally).
        https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/JS-SDK.html (获取jsapi_ticket)"""
        return self.tokens.get(f"oa-jsapi:{self.account.app_id}", self._fetch_jsapi_ticket)

    def _fetch_jsapi_ticket(self) -> tuple[str, int]:
        data = self.get("ticket/getticket", type="jsapi")  # {"errcode": 0, "errmsg": "ok", "ticket", "expires_in"}
        if not data.get("ticket"):
            raise WeChatUnavailable("WeChat ticket/getticket answered without a ticket")
        return data["ticket"], int(data.get("expires_in", 7200))

    # --- APIs wechatpy gets wrong or lacks
    def mass_send_to_tag(self, tag_id: int, message: dict, client_msg_id: str) -> dict:
        """sendall with `filter.tag_id` (wechatpy 1.8 sends the obsolete `group_id`)."""
        body = {"filter": {"is_to_all": False, "tag_id": tag_id}, **message, "clientmsgid": client_msg_id,
                "send_ignore_reprint": 0}
        return self.post("message/mass/sendall", body)

    def mass_send_to_all(self, message: dict, client_msg_id: str) -> dict:
        """sendall to every follower (subscription accounts: their 1-a-day quota is per account)."""
        return self.post("message/mass/sendall", {"filter": {"is_to_all": True}, **message,
                                                  "clientmsgid": client_msg_id, "send_ignore_reprint": 0})

    def mass_send_to_openids(self, openids: list[str], message: dict, client_msg_id: str) -> dict:
        return self.post("message/mass/send", {"touser": openids, **message, "clientmsgid": client_msg_id,
                                               "send_ignore_reprint": 0})

    def send_template(self, openid: str, template_id: str, data: dict, client_msg_id: str,
                      url: str | None = None) -> dict:
        body = {"touser": openid, "template_id": template_id, "data": data, "client_msg_id": client_msg_id}
        if url:
            body["url"] = url
        return self.post("message/template/send", body)

    # --- custom menus (自定义菜单): the shapes and limits are checked first by scrm.contracts.menus
    def create_menu(self, buttons: list[dict]) -> dict:
        """menu/create: the default menu, replaced whole (so repeating it is harmless).
        https://developers.weixin.qq.com/doc/service/api/custommenu/api_createcustommenu"""
        return self.post("menu/create", {"button": buttons})

    def current_menu(self) -> dict:
        """get_current_selfmenu_info: {is_menu_open, selfmenu_info: {button: [...]}}, sub-buttons under
        `sub_button.list`. https://developers.weixin.qq.com/doc/service/api/custommenu/api_getcurrentselfmenuinfo"""
        return self.get("get_current_selfmenu_info")

    def delete_menu(self) -> dict:
        """menu/delete: the default menu and every conditional menu with it.
        https://developers.weixin.qq.com/doc/service/en/Custom_Menus/Deleting_Custom-Defined_Menu.html"""
        return self.get("menu/delete")

    def add_conditional_menu(self, buttons: list[dict], matchrule: dict) -> str:
        """menu/addconditional -> menuid. A default menu must exist first (65303); a repeat adds a second menu, so
        it is never resent blindly (gateway.base.NOT_IDEMPOTENT).
        https://developers.weixin.qq.com/doc/service/api/custommenu/api_addconditionalmenu"""
        data = self.post("menu/addconditional", {"button": buttons, "matchrule": matchrule})
        if not data.get("menuid"):
            raise WeChatUnavailable("WeChat menu/addconditional answered without a menuid")
        return str(data["menuid"])

    def delete_conditional_menu(self, menuid: str) -> dict:
        """menu/delconditional (65301: no conditional menu with this menuid).
        https://developers.weixin.qq.com/doc/service/api/custommenu/api_deleteconditionalmenu"""
        return self.post("menu/delconditional", {"menuid": menuid})

    def try_match_menu(self, user_id: str) -> dict:
        """menu/trymatch: the menu this follower (openid or WeChat id) sees, {button: [...]}; 65302 no such user.
        https://developers.weixin.qq.com/doc/service/api/custommenu/api_trymatchmenu"""
        return self.post("menu/trymatch", {"user_id": user_id})

    # --- statistics (数据统计): POST api.weixin.qq.com/datacube/<api> {begin_date, end_date} -> {"list": [...]}; the
    # span allowed per call is scrm.domain.insight.MAX_SPAN (a longer one answers 61501 "date range error"), end_date
    # at most yesterday. Pages cited per API in scrm.domain.insight.
    def datacube(self, api: str, begin_date: str, end_date: str) -> list[dict]:
        """One datacube call: WeChat's rows of [begin_date, end_date] (each with its `ref_date`).
        getusersummary https://developers.weixin.qq.com/doc/subscription/api/wedata/user/api_getusersummary.md,
        getusercumulate https://developers.weixin.qq.com/doc/service/en/api/wedata/user/api_getusercumulate,
        getarticleread https://developers.weixin.qq.com/doc/service/api/wedata/news/api_getarticleread,
        getarticleshare https://developers.weixin.qq.com/doc/service/api/wedata/news/api_getarticleshare,
        getupstreammsg https://developers.weixin.qq.com/doc/service/en/Analytics/Message_analysis_data_interface.html,
        getinterfacesummary https://developers.weixin.qq.com/doc/service/en/api/wedata/api/api_getinterfacesummary.html
        """
        from ..domain.insight import MAX_SPAN

        if api not in MAX_SPAN:
            raise ValueError(f"not a datacube API we pull: {api}")
        # datacube lives beside /cgi-bin/ on the same host: a full URL (wechatpy sends it as is, under our policy)
        data = self.post(f"{self.base_url}/datacube/{api}", {"begin_date": begin_date, "end_date": end_date})
        return list(data.get("list") or [])
    # --- followers (用户管理)
    def followers_page(self, next_openid: str = "") -> dict:
        """user/get: up to 10,000 openids of followers after `next_openid` ("" from the start),
        {total, count, data: {openid: [...]}, next_openid}; the last page has an empty next_openid (or no data).
        https://developers.weixin.qq.com/doc/service/api/usermanage/userinfo/api_getfans"""
        params = {"next_openid": next_openid} if next_openid else {}
        return self.get("user/get", **params)

    def follower_infos(self, openids: list[str], lang: str = "zh_CN") -> list[dict]:
        """user/info/batchget: the basic information of at most 100 followers a call (user_info_list, in the
        order asked). One invalid openid fails the whole call (40003), as does a list of the wrong size (40032).
        Since 2021-12-27 nickname and headimgurl are no longer answered (nor sex, city, province, country).
        https://developers.weixin.qq.com/doc/service/api/usermanage/userinfo/api_batchuserinfo"""
        if not 1 <= len(openids) <= FOLLOWER_INFO_BATCH:
            raise ValueError(f"user/info/batchget takes 1..{FOLLOWER_INFO_BATCH} openids, not {len(openids)}")
        data = self.post("user/info/batchget", {"user_list": [{"openid": o, "lang": lang} for o in openids]})
        return list(data.get("user_info_list") or [])

    def follower_tags(self) -> list[dict]:
        """tags/get: the OA's user tags [{id, name, count}] (at most 100 per account), to name tag counters.
        https://developers.weixin.qq.com/doc/offiaccount/User_Management/User_Tag_Management.html"""
        return list(self.get("tags/get").get("tags") or [])

    # 用户标签管理 (https://developers.weixin.qq.com/doc/offiaccount/User_Management/User_Tag_Management.html):
    # tags/create answers {"tag": {"id", "name"}}; tags/update and tags/delete answer errcode 0. Errors: 45157 the
    # name is taken or invalid, 45158 longer than 30 bytes, 45056 over 100 tags, 45058 a system tag (0/1/2),
    # 45057 over 100,000 followers carry it (untag them first), 45159 no such tag.
    def create_follower_tag(self, name: str) -> dict:
        return dict(self.post("tags/create", {"tag": {"name": name}})["tag"])

    def rename_follower_tag(self, tag_id: int, name: str) -> None:
        self.post("tags/update", {"tag": {"id": tag_id, "name": name}})

    def delete_follower_tag(self, tag_id: int) -> None:
        self.post("tags/delete", {"tag": {"id": tag_id}})
