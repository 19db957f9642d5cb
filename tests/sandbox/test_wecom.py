"""WeCom APIs through wechatpy's enterprise client, and encrypted WeCom callbacks."""

from __future__ import annotations

import re

import pytest
import requests
from wechatpy.exceptions import WeChatClientException

from .conftest import CORP, wecom_client

CORPID = CORP["corpid"]


def test_gettoken_stable_within_validity(server, client):
    url = server.url + "/wecom/cgi-bin/gettoken"
    a = requests.get(url, params={"corpid": CORPID, "corpsecret": CORP["secret"]}, timeout=5).json()
    b = requests.get(url, params={"corpid": CORPID, "corpsecret": CORP["secret"]}, timeout=5).json()
    assert a["errcode"] == 0 and a["access_token"] == b["access_token"] and a["expires_in"] == 7200
    bad = requests.get(url, params={"corpid": CORPID, "corpsecret": "nope"}, timeout=5).json()
    assert bad["errcode"] == 40001
    assert client.stats()["token_fetches"][CORPID] == 2
    client.advance(7201)
    api = server.url + "/wecom/cgi-bin/externalcontact/get_follow_user_list"
    assert requests.get(api, params={"access_token": a["access_token"]}, timeout=5).json()["errcode"] == 42001
    assert requests.get(api, params={"access_token": "junk"}, timeout=5).json()["errcode"] == 40014


def test_add_contact_callback_and_welcome_code(server, client, receiver):
    wx = wecom_client(server.url)
    client.wecom_staff(CORPID, "zhangsan", name="张三")
    res = client.wecom_event(CORPID, "add_external_contact", userid="zhangsan", state="poster-1")
    assert res["status"] == 200
    ev = receiver.events[-1]
    assert set(ev["query"]) == {"msg_signature", "timestamp", "nonce"}
    data = ev["data"]
    assert (data["ToUserName"], data["FromUserName"], data["Event"], data["ChangeType"]) == (
        CORPID, "sys", "change_external_contact", "add_external_contact")
    assert data["UserID"] == "zhangsan" and data["State"] == "poster-1" and data["WelcomeCode"] == res["welcome_code"]
    ext = data["ExternalUserID"]
    assert wx.external_contact.list("zhangsan")["external_userid"] == [ext]
    follow = wx.external_contact.get(ext)["follow_user"][0]
    assert follow["state"] == "poster-1" and follow["add_way"] == 1
    msg = {"welcome_code": res["welcome_code"], "text": {"content": "欢迎"}}
    assert wx.post("externalcontact/send_welcome_msg", data=msg)["errcode"] == 0
    with pytest.raises(WeChatClientException) as err:
        wx.post("externalcontact/send_welcome_msg", data=msg)
    assert err.value.errcode == 41051
    late = client.wecom_event(CORPID, "add_external_contact", userid="zhangsan")
    client.advance(21)
    wx.fetch_access_token()
    with pytest.raises(WeChatClientException) as err:
        wx.post("externalcontact/send_welcome_msg", data={**msg, "welcome_code": late["welcome_code"]})
    assert err.value.errcode == 41050


def test_welcome_sent_from_inside_the_callback(server, client, receiver):
    wx = wecom_client(server.url)
    receiver.on_event = lambda ev: (wx.post("externalcontact/send_welcome_msg", data={
        "welcome_code": ev["data"]["WelcomeCode"], "text": {"content": "hi"}}), "success")[1]
    assert client.wecom_event(CORPID, "add_external_contact", userid="lisi")["body"] == "success"
    assert client.calls("send_welcome_msg")[-1]["errcode"] == 0


def test_verify_url(server, client):
    res = client.wecom_verify(CORPID)
    assert res["matched"] is True and res["body"] == res["plaintext"]


def test_contact_way(server, client):
    wx = wecom_client(server.url)
    client.wecom_staff(CORPID, "zhangsan")
    way = wx.external_contact.add_contact_way(1, 2, state="store-12", user=["zhangsan"])
    assert re.fullmatch(r"[0-9a-f]{32}", way["config_id"])
    assert way["qr_code"] == f"{server.url}/wecom/qr/{way['config_id']}.png"  # a real PNG served by the sandbox
    img = requests.get(way["qr_code"], timeout=5)
    assert img.status_code == 200 and img.headers["Content-Type"] == "image/png"
    assert img.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert wx.external_contact.get_contact_way(way["config_id"])["contact_way"]["state"] == "store-12"
    with pytest.raises(WeChatClientException) as err:
        wx.external_contact.add_contact_way(1, 2, state="x" * 31, user=["zhangsan"])
    assert err.value.errcode == 40058
    with pytest.raises(WeChatClientException) as err:
        wx.external_contact.add_contact_way(2, 2, user=[f"u{i}" for i in range(101)])
    assert err.value.errcode == 41041
    ev = client.wecom_event(CORPID, "add_external_contact", userid="zhangsan", config_id=way["config_id"])
    assert client.wecom_customer(CORPID, ev["external_userid"])["follow"]["zhangsan"]["state"] == "store-12"
    wx.external_contact.del_contact_way(way["config_id"])
    with pytest.raises(WeChatClientException) as err:
        wx.external_contact.get_contact_way(way["config_id"])
    assert err.value.errcode == 41044
    assert requests.get(way["qr_code"], timeout=5).status_code == 404  # a deleted way has no image


def test_corp_tags_and_mark(server, client):
    wx = wecom_client(server.url)
    ext = client.wecom_customers(CORPID, "zhangsan", count=1)["external_userids"][0]
    group = wx.post("externalcontact/add_corp_tag", data={"group_name": "渠道", "tag": [{"name": "海报"}]})
    tag_id = group["tag_group"]["tag"][0]["id"]
    wx.post("externalcontact/mark_tag", data={"userid": "zhangsan", "external_userid": ext, "add_tag": [tag_id]})
    tags = wx.external_contact.get(ext)["follow_user"][0]["tags"]
    assert tags == [{"group_name": "渠道", "tag_name": "海报", "tag_id": tag_id, "type": 1}]
    with pytest.raises(WeChatClientException) as err:
        wx.post("externalcontact/mark_tag", data={"userid": "lisi", "external_userid": ext, "add_tag": [tag_id]})
    assert err.value.errcode == 84061


def test_group_message_quota_and_confirm(server, client):
    wx = wecom_client(server.url)
    mine = client.wecom_customers(CORPID, "zhangsan", count=3)["external_userids"]
    other = client.wecom_customers(CORPID, "lisi", count=1)["external_userids"]
    body = {"chat_type": "single", "sender": "zhangsan", "external_userid": mine + other, "text": {"content": "a"}}
    first = wx.post("externalcontact/add_msg_template", data=body)
    assert first["msgid"].startswith("msg") and first["fail_list"] == other
    second = wx.post("externalcontact/add_msg_template", data={**body, "external_userid": mine[:1]})
    task = wx.post("externalcontact/get_groupmsg_task", data={"msgid": first["msgid"]})["task_list"]
    assert task == [{"userid": "zhangsan", "status": 0, "send_time": 0}]
    client.wecom_confirm_groupmsg(CORPID, first["msgid"], "zhangsan")
    client.wecom_confirm_groupmsg(CORPID, second["msgid"], "zhangsan")
    sent = wx.post("externalcontact/get_groupmsg_send_result", data={"msgid": first["msgid"], "userid": "zhangsan"})
    assert {r["status"] for r in sent["send_list"]} == {1}
    again = wx.post("externalcontact/get_groupmsg_send_result", data={"msgid": second["msgid"], "userid": "zhangsan"})
    assert [r["status"] for r in again["send_list"]] == [3]  # 1 per customer per day
    now = int(client.now())
    listed = wx.post("externalcontact/get_groupmsg_list_v2", data={"chat_type": "single", "start_time": now - 60,
                                                                    "end_time": now + 60})
    assert {m["msgid"] for m in listed["group_msg_list"]} == {first["msgid"], second["msgid"]}


def test_resigned_transfer_lifecycle(server, client, receiver):
    wx = wecom_client(server.url)
    client.wecom_staff(CORPID, "lisi")
    exts = client.wecom_customers(CORPID, "zhangsan", count=3)["external_userids"]
    body = {"handover_userid": "zhangsan", "takeover_userid": "lisi", "external_userid": exts}
    with pytest.raises(WeChatClientException) as err:
        wx.post("externalcontact/resigned/transfer_customer", data=body)
    assert err.value.errcode == 40097
    client.wecom_event(CORPID, "delete_user", userid="zhangsan")
    assert receiver.events[-1]["data"]["Event"] == "change_contact"
    unassigned = wx.post("externalcontact/get_unassigned_list", data={"page_size": 2})
    assert len(unassigned["info"]) == 2 and not unassigned["is_last"]
    res = wx.post("externalcontact/resigned/transfer_customer", data={**body, "external_userid": exts + ["wmnope"]})
    assert [c["errcode"] for c in res["customer"]] == [0, 0, 0, 40096]
    again = wx.post("externalcontact/resigned/transfer_customer", data=body)
    assert {c["errcode"] for c in again["customer"]} == {40100}
    with pytest.raises(WeChatClientException) as err:
        wx.post("externalcontact/resigned/transfer_customer", data={**body, "external_userid": ["x"] * 101})
    assert err.value.errcode == 40058
    result = wx.post("externalcontact/resigned/transfer_result", data={"handover_userid": "zhangsan",
                                                                      "takeover_userid": "lisi"})
    assert {c["status"] for c in result["customer"]} == {2}
    client.wecom_transfer_outcome(CORPID, exts[0], 3)
    client.advance(86400)
    wx.fetch_access_token()
    result = wx.post("externalcontact/resigned/transfer_result", data={"handover_userid": "zhangsan",
                                                                      "takeover_userid": "lisi"})
    assert {c["external_userid"]: c["status"] for c in result["customer"]} == {exts[0]: 3, exts[1]: 1, exts[2]: 1}
    assert client.wecom_customer(CORPID, exts[1])["owners"] == ["lisi"]
    fails = [e for e in receiver.events if e["data"].get("ChangeType") == "transfer_fail"]
    assert fails and fails[0]["data"]["UserID"] == "lisi" and fails[0]["data"]["FailReason"] == "customer_refused"


def test_onjob_transfer_ledger_and_callback(server, client, receiver):
    wx = wecom_client(server.url)
    for u in ("a", "b", "c"):
        client.wecom_staff(CORPID, u)
    ext = client.wecom_customers(CORPID, "a", count=1)["external_userids"][0]
    hops = [("a", "b"), ("b", "c"), ("c", "a")]
    codes = []
    for handover, takeover in hops:
        res = wx.post("externalcontact/transfer_customer", data={
            "handover_userid": handover, "takeover_userid": takeover, "external_userid": [ext]})
        codes.append(res["customer"][0]["errcode"])
        client.advance(86400)
        wx.fetch_access_token()
    assert codes == [0, 0, 40128]
    deletes = [e["data"] for e in receiver.events if e["data"].get("ChangeType") == "del_external_contact"]
    assert deletes and deletes[0]["Source"] == "DELETE_BY_TRANSFER" and deletes[0]["UserID"] == "a"
    status = wx.post("externalcontact/transfer_result", data={"handover_userid": "a", "takeover_userid": "b"})
    assert status["customer"][0]["status"] == 1


def test_groupchats_and_transfer(server, client):
    wx = wecom_client(server.url)
    chats = client.wecom_groupchats(CORPID, "zhangsan", count=3)["chat_ids"]
    client.wecom_staff(CORPID, "lisi")
    listed = wx.post("externalcontact/groupchat/list", data={"limit": 2})
    assert len(listed["group_chat_list"]) == 2 and listed["next_cursor"]
    res = wx.post("externalcontact/groupchat/transfer", data={"chat_id_list": chats[:1], "new_owner": "lisi"})
    assert res["failed_chat_list"][0]["errcode"] == 90500
    res = wx.post("externalcontact/groupchat/onjob_transfer", data={"chat_id_list": chats[:1] + ["wrX"],
                                                                   "new_owner": "lisi"})
    assert [f["chat_id"] for f in res["failed_chat_list"]] == ["wrX"]
    assert wx.post("externalcontact/groupchat/get", data={"chat_id": chats[0]})["group_chat"]["owner"] == "lisi"
