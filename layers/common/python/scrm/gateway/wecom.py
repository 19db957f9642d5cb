"""WeCom (企业微信) gateway: customer contact APIs, including those wechatpy lacks."""

from __future__ import annotations

import threading
import urllib.parse

from ..errors import ConfigError, NoAppSecret, WeChatError, WeChatUnavailable
from .base import Gateway, _install_policy
from .tokens import app_token_key


class WeComGateway(Gateway):
    platform = "wecom"

    def default_base_url(self, cfg) -> str:
        return cfg.wecom_base_url

    # Which of the corp's apps this gateway calls as, and with which Secret: the customer-contact Secret here,
    # a self-built app in WeComAppGateway. Each app has its own token (gettoken per Secret).
    app = "contact"

    def app_secret(self) -> str:
        return self.account.app_secret

    def token_key(self) -> str:
        return app_token_key("wecom", self.account.app_id, self.app, self.app_secret())

    def fetch_token(self) -> tuple[str, int]:
        # GET /cgi-bin/gettoken?corpid=ID&corpsecret=SECRET: "每个应用有独立的secret,获取到的access_token只能本应用使用"
        # https://developer.work.weixin.qq.com/document/path/91039
        data = self._token_request("get", "gettoken", params={
            "corpid": self.account.app_id, "corpsecret": self.app_secret()})
        return data["access_token"], int(data.get("expires_in", 7200))

    def make_client(self):
        from wechatpy.enterprise import WeChatClient

        return _install_policy(WeChatClient)(self, self.account.app_id, self.account.app_secret)

    def as_app(self, agentid: int) -> WeComAppGateway:
        """The same corp as its self-built app `agentid` (its own Secret and token), for that app's messages;
        NoAppSecret when the account has no Secret for it."""
        app = WeComAppGateway(self.account, agentid, base_url=self.base_url, token_cache=self.tokens)
        app.clock = self.clock
        return app

    # --- APIs wechatpy lacks (plain POSTs through the same policy)
    def transfer_customers(self, handover: str, takeover: str, external_userids: list[str], *,
                           resigned: bool, transfer_success_msg: str | None = None) -> dict:
        if len(external_userids) > 100:
            raise ValueError("at most 100 customers per transfer call")
        body = {"handover_userid": handover, "takeover_userid": takeover, "external_userid": external_userids}
        if not resigned and transfer_success_msg:
            body["transfer_success_msg"] = transfer_success_msg
        path = "externalcontact/resigned/transfer_customer" if resigned else "externalcontact/transfer_customer"
        return self.post(path, body)

    def transfer_result(self, handover: str, takeover: str, cursor: str = "", *, resigned: bool) -> dict:
        path = "externalcontact/resigned/transfer_result" if resigned else "externalcontact/transfer_result"
        return self.post(path, {"handover_userid": handover, "takeover_userid": takeover, "cursor": cursor})

    def transfer_group_chats(self, chat_ids: list[str], new_owner: str, *, resigned: bool) -> dict:
        if len(chat_ids) > 100:
            raise ValueError("at most 100 group chats per transfer call")
        path = "externalcontact/groupchat/transfer" if resigned else "externalcontact/groupchat/onjob_transfer"
        return self.post(path, {"chat_id_list": chat_ids, "new_owner": new_owner})

    def download(self, url: str, max_bytes: int = 2 * 1024 * 1024) -> tuple[bytes, str]:
        """Fetch an image WeCom hosts (a contact way's qr_code): (bytes, Content-Type).

        Only WeCom's image CDN (`*.qpic.cn`, over https: the documented answer's `http://p4.qpic.cn/wwpic/...`
        is fetched as https) or the configured WeCom API origin; no redirects; one deadline for the whole
        download (WECHAT_HTTP_TIMEOUT), not per read; at most `max_bytes`; no access token sent. Anything else
        raises WeChatUnavailable naming what failed (the host, never a query string).
        https://developer.work.weixin.qq.com/document/path/92572 (add_contact_way / get_contact_way: qr_code)
        """
        import requests

        url, where = self._image_url(url)
        clock = self.clock
        deadline = clock() + self.timeout
        try:
            with requests.get(url, timeout=self.timeout, stream=True, allow_redirects=False) as res:
                # a slow drip must not hold the function past the deadline: close the connection at it
                guard = threading.Timer(max(0.0, deadline - clock()), res.close)
                guard.daemon = True
                guard.start()
                try:
                    if 300 <= res.status_code < 400:
                        raise WeChatUnavailable(f"{where} redirected (HTTP {res.status_code}); redirects are refused")
                    if res.status_code != 200:
                        raise WeChatUnavailable(f"{where} answered HTTP {res.status_code}")
                    ctype = (res.headers.get("Content-Type") or "").split(";")[0].strip().lower()
                    if not ctype.startswith("image/"):
                        raise WeChatUnavailable(f"{where} answered {ctype or 'no content type'}, not an image")
                    if int(res.headers.get("Content-Length") or 0) > max_bytes:
                        raise WeChatUnavailable(f"{where} is larger than {max_bytes} bytes")
                    data = b""
                    for chunk in res.iter_content(16 * 1024):
                        data += chunk
                        if len(data) > max_bytes:
                            raise WeChatUnavailable(f"{where} is larger than {max_bytes} bytes")
                        if clock() > deadline:
                            raise requests.Timeout()
                    if clock() > deadline:
                        raise requests.Timeout()
                finally:
                    guard.cancel()
        except requests.Timeout:
            raise WeChatUnavailable(f"{where} took longer than {self.timeout:g} s") from None
        except (requests.RequestException, AttributeError, ValueError) as exc:  # closed at the deadline mid-read
            if clock() > deadline:
                raise WeChatUnavailable(f"{where} took longer than {self.timeout:g} s") from None
            raise WeChatUnavailable(f"{where} unreachable: {exc.__class__.__name__}") from None
        return data, ctype

    IMAGE_HOST_SUFFIX = ".qpic.cn"  # WeCom's image CDN (wework.qpic.cn, p.qpic.cn, pN.qpic.cn)

    def _image_url(self, url: str) -> tuple[str, str]:
        """(the URL to fetch, how to name it in errors); WeChatUnavailable for any host that is not WeCom's."""
        try:
            parts = urllib.parse.urlsplit(url or "")
            host, port = (parts.hostname or "").lower(), parts.port
        except ValueError:
            raise WeChatUnavailable("WeCom image URL refused: not a URL") from None
        api = urllib.parse.urlsplit(self.base_url)
        same_origin = (parts.scheme, parts.netloc.lower()) == (api.scheme, api.netloc.lower())
        cdn = (parts.scheme in ("http", "https") and host.endswith(self.IMAGE_HOST_SUFFIX) and not parts.username
               and port in (None, 443))
        if not (same_origin or cdn):
            raise WeChatUnavailable(f"WeCom image URL on host {host or '?'!r} refused: not a WeCom image host")
        if cdn:
            parts = parts._replace(scheme="https", netloc=host)
        return urllib.parse.urlunsplit(parts), f"WeCom image {parts.scheme}://{parts.netloc}{parts.path}"

    def user(self, userid: str) -> dict:
        return self.get("user/get", userid=userid)

    def customer_contact_staff(self) -> list[str]:
        return self.get("externalcontact/get_follow_user_list").get("follow_user", [])

    def customer_ids(self, userid: str) -> list[str]:
        """A member's customers; WeCom answers 84061 when there are none."""
        try:
            return self.get("externalcontact/list", userid=userid).get("external_userid", [])
        except WeChatError as exc:
            if exc.errcode == 84061:
                return []
            raise

    def group_chats_of(self, owner: str, cursor: str = "", limit: int = 1000) -> dict:
        return self.post("externalcontact/groupchat/list", {
            "status_filter": 0, "owner_filter": {"userid_list": [owner]}, "cursor": cursor, "limit": limit})

    def group_chat(self, chat_id: str) -> dict:
        return self.post("externalcontact/groupchat/get", {"chat_id": chat_id, "need_name": 0})

    def unassigned_customers(self, cursor: str = "", page_size: int = 1000) -> dict:
        return self.post("externalcontact/get_unassigned_list", {"cursor": cursor, "page_size": page_size})

    def send_welcome(self, welcome_code: str, message: dict) -> dict:
        return self.post("externalcontact/send_welcome_msg", {"welcome_code": welcome_code, **message})

    def add_msg_template(self, sender: str, external_userids: list[str], message: dict) -> dict:
        if len(external_userids) > 10000:
            raise ValueError("at most 10,000 customers per message template")
        return self.post("externalcontact/add_msg_template", {
            "chat_type": "single", "sender": sender, "external_userid": external_userids, **message})

    def add_msg_template_to_groups(self, sender: str, chat_ids: list[str], message: dict) -> dict:
        """群发到客户群: one task for the owner `sender` over these of their groups. chat_type "group" needs
        sender ("发送企业群发消息的成员userid，当类型为发送给客户群时必填"); chat_id_list
        "仅在chat_type为group时有效，最多可一次指定2000个客户群" (the owner need not pick the groups again;
        WeCom clients 4.1.10+).
        https://developer.work.weixin.qq.com/document/path/92135"""
        if not chat_ids or len(chat_ids) > 2000:
            raise ValueError("1..2,000 customer groups per message template")
        return self.post("externalcontact/add_msg_template", {
            "chat_type": "group", "sender": sender, "chat_id_list": chat_ids, **message})

    def groupmsg_list(self, start_time: int, end_time: int, cursor: str = "") -> dict:
        return self.post("externalcontact/get_groupmsg_list_v2", {
            "chat_type": "single", "start_time": start_time, "end_time": end_time, "cursor": cursor, "limit": 100})

    def groupmsg_task(self, msgid: str, cursor: str = "") -> dict:
        return self.post("externalcontact/get_groupmsg_task", {"msgid": msgid, "cursor": cursor, "limit": 1000})

    def groupmsg_send_result(self, msgid: str, userid: str, cursor: str = "") -> dict:
        return self.post("externalcontact/get_groupmsg_send_result", {
            "msgid": msgid, "userid": userid, "cursor": cursor, "limit": 1000})

    def mark_tag(self, userid: str, external_userid: str, add: list[str], remove: list[str] | None = None) -> dict:
        return self.post("externalcontact/mark_tag", {
            "userid": userid, "external_userid": external_userid, "add_tag": add, "remove_tag": remove or []})

    # --- corp tags (管理企业标签): https://developer.work.weixin.qq.com/document/path/92117
    # get_corp_tag_list: both filters empty -> every group; group_id given -> tag_id ignored. Answer
    # tag_group[{group_id, group_name, create_time, order, deleted, tag[{id, name, create_time, order, deleted}]}];
    # a larger order shows first. add_corp_tag: group_id (tags into that group; group_name/order ignored) or
    # group_name (a new group, or the group of that name), tag[{name, order}] (names <= 30 characters, no empty
    # group) -> tag_group{group_id, group_name, create_time, order, tag[...]}. edit_corp_tag {id, name?, order?}:
    # a tag's or a group's id. del_corp_tag {tag_id[], group_id[]} (not both empty): a group whose tags are all
    # deleted goes too. An app may edit and delete only the tags it made. Errcodes: 40068 invalid tag id, 40071
    # name already taken (不合法的标签名字), 40126 over 3000 corp tags (reference/wechat-protocol.md §3).
    def corp_tags(self, tag_ids: list[str] | None = None, group_ids: list[str] | None = None) -> list[dict]:
        body: dict = {}
        if tag_ids:
            body["tag_id"] = list(tag_ids)
        if group_ids:
            body["group_id"] = list(group_ids)
        return self.post("externalcontact/get_corp_tag_list", body).get("tag_group") or []

    def add_corp_tag(self, tags: list[dict], *, group_id: str | None = None, group_name: str | None = None,
                     order: int | None = None) -> dict:
        body: dict = {"tag": [{k: v for k, v in t.items() if k in ("name", "order") and v is not None}
                              for t in tags]}
        if group_id:
            body["group_id"] = group_id
        else:
            body["group_name"] = group_name
            if order is not None:
                body["order"] = order
        return self.post("externalcontact/add_corp_tag", body).get("tag_group") or {}

    def edit_corp_tag(self, item_id: str, *, name: str | None = None, order: int | None = None) -> dict:
        body: dict = {"id": item_id}
        if name is not None:
            body["name"] = name
        if order is not None:
            body["order"] = order
        return self.post("externalcontact/edit_corp_tag", body)

    def del_corp_tag(self, tag_ids: list[str] = (), group_ids: list[str] = ()) -> dict:
        if not tag_ids and not group_ids:
            raise ValueError("del_corp_tag needs tag ids or group ids")
        return self.post("externalcontact/del_corp_tag", {"tag_id": list(tag_ids), "group_id": list(group_ids)})
    # --- customer moments (客户朋友圈). Shapes: 企业发表内容到客户的朋友圈
    # https://developer.work.weixin.qq.com/document/path/95094 (add_moment_task, get_moment_task_result) and
    # 获取客户朋友圈全部的发表记录 https://developer.work.weixin.qq.com/document/path/93333 (get_moment_list,
    # get_moment_task, get_moment_comments); cancel_moment_task https://developer.work.weixin.qq.com/document/path/97612
    def add_moment_task(self, text: str, attachments: list[dict], senders: list[str], tag_ids: list[str]) -> dict:
        """Create a moment task (asynchronous): `{jobid}`. No dedupe key: NOT_IDEMPOTENT, so an outcome that may
        hide a created task raises AmbiguousOutcome and the caller looks (get_moment_list) before resending."""
        body: dict = {"visible_range": {"sender_list": {"user_list": list(senders)}}}
        if tag_ids:
            body["visible_range"]["external_contact_list"] = {"tag_list": list(tag_ids)}
        if text:
            body["text"] = {"content": text}
        if attachments:
            body["attachments"] = list(attachments)
        return self.post("externalcontact/add_moment_task", body)

    def moment_task_result(self, jobid: str) -> dict:
        """`{status: 1 started | 2 creating | 3 done, type: "add_moment_task", result: {errcode, errmsg, moment_id,
        invalid_sender_list: {user_list, department_list}, invalid_external_contact_list: {tag_list}}}` (GET)."""
        return self.get("externalcontact/get_moment_task_result", jobid=jobid)

    def moment_list(self, start_time: int, end_time: int, cursor: str = "", *, filter_type: int = 0,
                    creator: str | None = None) -> dict:
        """The corp's moments created in (start_time, end_time) (at most 30 days apart), 20 a page; filter_type 0:
        created by the corp. `{next_cursor, moment_list: [{moment_id, creator, create_time, create_type, text,
        image, video, link, ...}]}`."""
        body = {"start_time": start_time, "end_time": end_time, "filter_type": filter_type, "cursor": cursor,
                "limit": 20}
        if creator:
            body["creator"] = creator
        return self.post("externalcontact/get_moment_list", body)

    def moment_task(self, moment_id: str, cursor: str = "") -> dict:
        """Which members published a corp moment: `{next_cursor, task_list: [{userid, publish_status: 0 | 1}]}`."""
        return self.post("externalcontact/get_moment_task", {"moment_id": moment_id, "cursor": cursor, "limit": 1000})

    def moment_comments(self, moment_id: str, userid: str) -> dict:
        """Comments and likes on one member's post of the moment: `{comment_list: [{external_userid | userid,
        create_time}], like_list: [...]}`."""
        return self.post("externalcontact/get_moment_comments", {"moment_id": moment_id, "userid": userid})

    def cancel_moment_task(self, moment_id: str) -> dict:
        """Stop a moment task members have not published yet (what they published stays)."""
        return self.post("externalcontact/cancel_moment_task", {"moment_id": moment_id})

    # --- staff figures (统计管理); app messages are WeComAppGateway's (another app's token)
    def user_behavior(self, userid: str, start_time: int, end_time: int) -> list[dict]:
        """One member's 联系客户统计, one entry a day (`stat_time`, new_contact_cnt, chat_cnt, message_cnt,
        reply_percentage, avg_reply_time (only when there were chats), negative_feedback_cnt, new_apply_cnt).
        Several userids would be summed into one figure, so the call names one. The range [start_time, end_time]
        (days, closed at both ends) spans at most 30 days within the last 180.
        https://developer.work.weixin.qq.com/document/path/92132 (获取「联系客户统计」数据)"""
        return self.post("externalcontact/get_user_behavior_data", {
            "userid": [userid], "start_time": int(start_time), "end_time": int(end_time)}).get("behavior_data", [])

    def group_chat_statistic(self, owners: list[str], day_start: int, offset: int = 0, limit: int = 1000) -> dict:
        """群聊数据统计 by owner for one day (day_begin_time = day_end_time: a range would sum the days): items of
        {owner, data: {new_chat_cnt, chat_total, chat_has_msg, new_member_cnt, member_total, member_has_msg,
        msg_total, migrate_trainee_chat_cnt}}, `total`, `next_offset`; at most 100 owners a call; days from
        yesterday back 180 days.
        https://developer.work.weixin.qq.com/document/path/92133 (获取「群聊数据统计」数据, 按群主聚合的方式)"""
        if not 1 <= len(owners) <= 100:
            raise ValueError("1 to 100 owners per groupchat/statistic call")
        return self.post("externalcontact/groupchat/statistic", {
            "day_begin_time": int(day_start), "day_end_time": int(day_start),
            "owner_filter": {"userid_list": list(owners)}, "order_by": 2, "order_asc": 0, "offset": offset,
            "limit": limit})


class WeComAppGateway(WeComGateway):
    """The corp's self-built app (自建应用) `agentid`, for its app messages (发送应用消息: loss alerts, reassignment
    notices). Its token is its own: gettoken with the app's Secret ("每个应用有独立的secret,获取到的access_token只能本
    应用使用", https://developer.work.weixin.qq.com/document/path/91039), cached apart from the customer-contact token
    as `wecom:<corp>:agent-<AgentID>:<secret hash>`. message/send with a token not of the app its agentid names is
    refused: 301002 无权限操作指定的应用 ("发消息接口指定了参数 agentid: 14, 但使用的 access_token 是通过应用 agentid:
    100032 生成的调用凭证, 这种就会报该错误码", https://developer.work.weixin.qq.com/document/path/90313). The body's
    agentid is always this gateway's, so the two cannot differ. NoAppSecret when the account has no Secret for it."""

    def __init__(self, account, agentid: int, **kwargs):
        super().__init__(account, **kwargs)
        self.agentid = int(agentid)
        self.secret = account.agent_secret(self.agentid)
        if not self.secret:
            raise NoAppSecret(account.account_id, self.agentid)
        self.app = f"agent-{self.agentid}"

    def app_secret(self) -> str:
        return self.secret

    def make_client(self):
        from wechatpy.enterprise import WeChatClient

        return _install_policy(WeChatClient)(self, self.account.app_id, self.secret)

    def send_app_message(self, touser: list[str], message: dict, *, duplicate_check_interval: int = 1800) -> dict:
        """An app message (`message`: {"msgtype": "text", "text": {...}} or a textcard) with WeCom's
        duplicate check on: "在一定时间间隔内，同样内容（请求json）的消息，不会重复收到"
        (interval 1800 s by default, at most 4 hours). The same body sent again within the interval
        reaches nobody twice, so an ambiguous outcome (-1, a timeout, a 5xx) may be retried like any
        idempotent call. Answers `invaliduser` (members it could not reach) and `msgid`; 81013 when no
        recipient could be reached.
        https://developer.work.weixin.qq.com/document/path/90236 (发送应用消息)"""
        if not 1 <= int(duplicate_check_interval) <= 14400:
            raise ValueError("duplicate_check_interval is 1..14400 seconds (WeCom: at most 4 hours)")
        body = {"touser": "|".join(touser), "agentid": self.agentid, **message, "enable_duplicate_check": 1,
                "duplicate_check_interval": int(duplicate_check_interval)}
        return self.post("message/send", body, retry_ambiguous=True)


    def send_app_text(self, touser: list[str], content: str) -> dict:
        """A plain text app message (no duplicate check: the caller stores the notice before sending it once)."""
        return self.post("message/send", {"touser": "|".join(touser), "msgtype": "text", "agentid": self.agentid,
                                          "text": {"content": content}})


class WeComLoginApp(WeComGateway):
    """The corp's self-built app that staff sign in to the console with (企业微信Web登录): its AgentID is
    `options.console_login_agentid`, its Secret `console_login_secret` (SSM). Its token is its own (gettoken with
    that Secret), cached apart from the customer-contact token: a login code is redeemed only with the token of
    the app whose login made it (98177: "跳转的域名须完全匹配access_token对应应用的可信域名,否则会返回50001错误")."""

    def __init__(self, account, **kwargs):
        super().__init__(account, **kwargs)
        self.agentid = account.options.get("console_login_agentid")
        if not self.agentid or not account.console_login_secret:
            raise ConfigError(f"account {account.account_id} has no console login app: set "
                              "options.console_login_agentid and console_login_secret")
        self.app = f"agent-{self.agentid}"

    def app_secret(self) -> str:
        return self.account.console_login_secret

    def login_user(self, code: str) -> dict:
        """Who signed in with WeCom's web login: `GET /cgi-bin/auth/getuserinfo?access_token=&code=` with this
        app's token answers `{errcode: 0, userid}` for a member of the corp, `{errcode: 0, openid,
        external_userid}` for anyone else; a used, expired (5 minutes) or foreign code is `40029 invalid code`;
        another app's token `50001` (a WeChatError).
        https://developer.work.weixin.qq.com/document/path/98177 (获取用户登录身份)"""
        return self.get("auth/getuserinfo", code=code)
