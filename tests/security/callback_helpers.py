"""Helpers for the callback attack tests: accounts, a CallbackService on in-memory ports, WeChat's requests."""

from __future__ import annotations

import time

from local.sandbox import callbacks as wx
from scrm.accounts import Account
from scrm.data.inbox import MemoryInbox
from scrm.domain.replies import ReplySettings
from scrm.services.callbacks import CallbackService

AES = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
APPID, ORIGINAL_ID, CORPID = "wx1234567890abcdef", "gh_0123456789ab", "ww1234567890abcdef"


def oa_account(mode: str = "safe", account_id: str = "shop-oa", original_id: str | None = ORIGINAL_ID,
               token: str = "shoptoken1") -> Account:
    return Account(account_id=account_id, kind="oa", app_id=APPID, name="Shop", original_id=original_id,
                   message_mode=mode, app_secret="s", token=token, aes_key=AES)


def wecom_account(account_id: str = "shop-corp", corpid: str = CORPID, token: str = "corptoken1") -> Account:
    return Account(account_id=account_id, kind="wecom", app_id=corpid, name="Corp", app_secret="s", token=token,
                   aes_key=AES)


def service(*accounts: Account, clock=time.time):
    by_id = {a.account_id: a for a in accounts}
    inbox, queue = MemoryInbox(clock=clock), []
    svc = CallbackService(inbox=inbox, enqueue=queue.append, clock=clock, get_account=by_id.__getitem__,
                          reply_settings=lambda _id: ReplySettings(welcome={"type": "text", "content": "welcome"}),
                          welcome=lambda account, event: None, max_skew=300)
    return svc, inbox, queue


def oa_cfg(account: Account, mode: str = "aes") -> dict:
    return {"token": account.token, "aes_key": account.aes_key, "appid": account.app_id,
            "original_id": account.original_id, "encrypt_mode": mode}


def follow_xml(openid: str = "o-fan-1", to: str = ORIGINAL_ID, create_time: int | None = None, **fields) -> str:
    return wx.build_xml({"ToUserName": to, "FromUserName": openid, "CreateTime": create_time or int(time.time()),
                         "MsgType": "event", "Event": "subscribe", "EventKey": "", **fields})


def plaintext_under(query: dict) -> dict:
    """What an attacker keeps from a captured URL to post a plaintext body: the query minus the encryption part."""
    return {k: v for k, v in query.items() if k not in ("encrypt_type", "msg_signature")}
