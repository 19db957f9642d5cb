"""Python wrapper of the sandbox control API (/_sandbox/...), for tests and the local stack."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import requests


class SandboxError(RuntimeError):
    pass


class SandboxClient:
    def __init__(self, base_url: str, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.http = requests.Session()

    # base URLs our gateway should use
    @property
    def oa_base(self) -> str:
        return self.base_url + "/oa"

    @property
    def wecom_base(self) -> str:
        return self.base_url + "/wecom"

    def _call(self, method: str, path: str, body: dict | None = None, params: dict | None = None) -> Any:
        r = self.http.request(method, f"{self.base_url}/_sandbox{path}", json=body, params=params,
                              timeout=self.timeout)
        if r.status_code != 200:
            raise SandboxError(f"{method} {path} -> {r.status_code}: {r.text}")
        return r.json()

    # ---- general
    def reset(self) -> dict:
        return self._call("POST", "/reset")

    def clock(self) -> dict:
        return self._call("GET", "/clock")

    def now(self) -> float:
        return self.clock()["now"]

    def advance(self, seconds: float) -> dict:
        return self._call("POST", "/clock/advance", {"seconds": seconds})

    def set_clock(self, epoch: float) -> dict:
        return self._call("POST", "/clock/set", {"now": epoch})

    def calls(self, path_contains: str | None = None, platform: str | None = None,
              app: str | None = None) -> list[dict]:
        params = {k: v for k, v in {"path_contains": path_contains, "platform": platform, "app": app}.items() if v}
        return self._call("GET", "/calls", params=params)["calls"]

    def call_counts(self, path_contains: str | None = None, platform: str | None = None) -> dict[str, int]:
        params = {k: v for k, v in {"path_contains": path_contains, "platform": platform}.items() if v}
        return self._call("GET", "/calls", params=params)["counts"]

    def clear_calls(self) -> dict:
        return self._call("DELETE", "/calls")

    def fault(self, path: str | None, errcode: int | None = None, platform: str | None = None,
              delay_ms: int = 0, times: int | None = 1, errmsg: str | None = None, app: str | None = None,
              answer: str | None = None, apply: bool = False) -> dict:
        """Make the next `times` calls of `path` fail: with `errcode`, after `delay_ms`, or with a non-JSON
        200 `answer` ("html" | "empty"); `apply=True` does the call's work first, then fails the answer."""
        return self._call("POST", "/faults", {"path": path, "platform": platform, "errcode": errcode,
                                              "delay_ms": delay_ms, "times": times, "errmsg": errmsg, "app": app,
                                              "answer": answer, "apply": apply})

    def faults(self) -> list[dict]:
        return self._call("GET", "/faults")["faults"]

    def clear_faults(self) -> dict:
        return self._call("DELETE", "/faults")

    def stats(self) -> dict:
        return self._call("GET", "/stats")

    def state(self) -> dict:
        return self._call("GET", "/state")

    # ---- OA
    def register_oa(self, appid: str, secret: str, token: str | None = None, aes_key: str | None = None,
                    original_id: str | None = None, callback_url: str | None = None, encrypt_mode: str | None = None,
                    account_type: str | None = None, **extra) -> dict:
        """Register or update an OA app; omitted (None) settings keep their current value."""
        body = {"appid": appid, "secret": secret, "token": token, "aes_key": aes_key, "original_id": original_id,
                "callback_url": callback_url, "encrypt_mode": encrypt_mode, "account_type": account_type, **extra}
        return self._call("POST", "/oa/apps", {k: v for k, v in body.items() if v is not None})

    def oa_followers(self, appid: str, count: int = 0, prefix: str = "o", openids: list[str] | None = None,
                     unionids: dict | None = None, **extra) -> dict:
        return self._call("POST", f"/oa/{appid}/followers",
                          {"count": count, "prefix": prefix, "openids": openids or [], "unionids": unionids or {},
                           **extra})

    def oa_follower(self, appid: str, openid: str) -> dict:
        return self._call("GET", f"/oa/{appid}/followers/{quote(openid, safe='')}")

    def oa_event(self, appid: str, type: str, **kw) -> dict:
        return self._call("POST", f"/oa/{appid}/events", {"type": type, **kw})

    def oa_menu_click(self, appid: str, openid: str, name: str, **kw) -> dict:
        """A follower taps the menu entry `name` (`会员/签到` for a sub-button): its CLICK or VIEW callback."""
        return self._call("POST", f"/oa/{appid}/menu/click", {"openid": openid, "name": name, **kw})

    def oa_raw(self, appid: str, xml: str, query_overrides: dict | None = None, encrypt: bool | None = None,
               **kw) -> dict:
        return self._call("POST", f"/oa/{appid}/raw",
                          {"xml": xml, "query_overrides": query_overrides or {}, "encrypt": encrypt, **kw})

    def oa_verify(self, appid: str, **kw) -> dict:
        return self._call("POST", f"/oa/{appid}/verify", kw)

    def oa_mass_finish(self, appid: str, msg_id: int, status: str = "send success", **kw) -> dict:
        return self._call("POST", f"/oa/{appid}/mass/{msg_id}/finish", {"status": status, **kw})

    # ---- WeCom
    def register_wecom(self, corpid: str, secret: str, token: str | None = None, aes_key: str | None = None,
                       callback_url: str | None = None, **extra) -> dict:
        body = {"corpid": corpid, "secret": secret, "token": token, "aes_key": aes_key,
                "callback_url": callback_url, **extra}
        return self._call("POST", "/wecom/corps", {k: v for k, v in body.items() if v is not None})

    def wecom_login_code(self, corpid: str, userid: str | None = None, **non_member) -> str:
        """A web login code, as if `userid` (or a non-member: openid=, external_userid=) had scanned."""
        return self._call("POST", f"/wecom/{corpid}/login-codes", {"userid": userid, **non_member})["code"]

    def wecom_settings(self, corpid: str, **settings) -> dict:
        return self._call("POST", f"/wecom/{corpid}/settings", settings)

    def wecom_staff(self, corpid: str, userid: str, name: str | None = None, department: list | None = None,
                    status: str = "active") -> dict:
        body = {"userid": userid, "status": status}
        if name:
            body["name"] = name
        if department:
            body["department"] = department
        return self._call("POST", f"/wecom/{corpid}/staff", body)

    def wecom_customers(self, corpid: str, userid: str, count: int = 1, external_userids: list[str] | None = None,
                        **extra) -> dict:
        body = {"userid": userid, "count": count, **extra}
        if external_userids:
            body["external_userids"] = external_userids
        return self._call("POST", f"/wecom/{corpid}/customers", body)

    def wecom_customer(self, corpid: str, external_userid: str) -> dict:
        return self._call("GET", f"/wecom/{corpid}/customers/{quote(external_userid, safe='')}")

    def wecom_groupchats(self, corpid: str, owner: str, count: int = 1, **extra) -> dict:
        return self._call("POST", f"/wecom/{corpid}/groupchats", {"owner": owner, "count": count, **extra})

    def wecom_event(self, corpid: str, type: str, **kw) -> dict:
        return self._call("POST", f"/wecom/{corpid}/events", {"type": type, **kw})

    def wecom_raw(self, corpid: str, xml: str, **kw) -> dict:
        return self._call("POST", f"/wecom/{corpid}/raw", {"xml": xml, **kw})

    def wecom_verify(self, corpid: str, **kw) -> dict:
        return self._call("POST", f"/wecom/{corpid}/verify", kw)

    def wecom_confirm_groupmsg(self, corpid: str, msgid: str, userid: str) -> dict:
        return self._call("POST", f"/wecom/{corpid}/groupmsg/{msgid}/confirm", {"userid": userid})

    def wecom_transfer_outcome(self, corpid: str, external_userid: str, status: int) -> dict:
        return self._call("POST", f"/wecom/{corpid}/transfers/outcome",
                          {"external_userid": external_userid, "status": status})

    def wecom_transfers(self, corpid: str) -> list[dict]:
        return self._call("GET", f"/wecom/{corpid}/transfers")["transfers"]

    # customer moments (wecom_moments.py)
    def wecom_moments(self, corpid: str) -> dict:
        return self._call("GET", f"/wecom/{corpid}/moments")

    def wecom_publish_moment(self, corpid: str, moment_id: str, userid: str) -> dict:
        return self._call("POST", f"/wecom/{corpid}/moments/{moment_id}/publish", {"userid": userid})

    def wecom_moment_interaction(self, corpid: str, moment_id: str, userid: str, kind: str,
                                 external_userid: str | None = None) -> dict:
        return self._call("POST", f"/wecom/{corpid}/moments/{moment_id}/interactions",
                          {"userid": userid, "kind": kind, "external_userid": external_userid})

    def wecom_group_action(self, corpid: str, action: str, **kw) -> dict:
        """`scan` (config_id, external_userid?), `leave` (chat_id, userid) or `dismiss` (chat_id)."""
        return self._call("POST", f"/wecom/{corpid}/group-actions/{action}", kw)
    def wecom_stats(self, corpid: str, userid: str, day: str, behavior: dict | None = None,
                    groupchat: dict | None = None) -> dict:
        """Set a member's 联系客户统计 / 群聊数据统计 figures of a China day (wecom_stats.py)."""
        return self._call("POST", f"/wecom/{corpid}/stats", {"userid": userid, "day": day, "behavior": behavior or {},
                                                             "groupchat": groupchat or {}})

    def wecom_app_messages(self, corpid: str) -> dict:
        """{"messages": [...], "repeats_suppressed": n}: what members received through message/send."""
        return self._call("GET", f"/wecom/{corpid}/app-messages")

    def oa_datacube(self, appid: str, api: str, day: str, rows: list[dict]) -> dict:
        """Set an OA API's statistics rows of a China day (oa_datacube.py), e.g. getarticleread's
        [{"msgid": "2247490098_1", "detail": {"read_user": 12}}]."""
        return self._call("POST", f"/oa/{appid}/datacube", {"api": api, "day": day, "rows": rows})
