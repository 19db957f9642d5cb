"""WeCom group codes in the sandbox (wecom_groups.py): the join way calls in WeCom's shapes and errcodes, a customer
scanning a code lands in the first group under 200 with the code's state, leaving and dismissing send the signed
change_external_chat callbacks."""

from __future__ import annotations

import pytest
from wechatpy.exceptions import WeChatClientException

from .conftest import CORP, wecom_client

CORPID = CORP["corpid"]


def test_join_way_lifecycle_and_errcodes(server, client):
    wx = wecom_client(server.url)
    chats = client.wecom_groupchats(CORPID, "zhangsan", count=6)["chat_ids"]
    body = {"scene": 2, "remark": "VIP", "auto_create_room": 0, "chat_id_list": chats[:2], "state": "vip-1"}
    config_id = wx.post("externalcontact/groupchat/add_join_way", data=body)["config_id"]
    way = wx.post("externalcontact/groupchat/get_join_way", data={"config_id": config_id})["join_way"]
    assert way["chat_id_list"] == chats[:2] and way["state"] == "vip-1" and way["qr_code"]
    wx.post("externalcontact/groupchat/update_join_way", data={**body, "config_id": config_id,
                                                               "chat_id_list": chats[2:4]})
    assert wx.post("externalcontact/groupchat/get_join_way",
                   data={"config_id": config_id})["join_way"]["chat_id_list"] == chats[2:4]
    for bad, code in (({**body, "chat_id_list": chats}, 40058), ({**body, "state": "s" * 31}, 40058),
                      ({**body, "scene": 3}, 40058), ({**body, "chat_id_list": ["wr-nope"]}, 40050)):
        with pytest.raises(WeChatClientException) as err:
            wx.post("externalcontact/groupchat/add_join_way", data=bad)
        assert err.value.errcode == code
    wx.post("externalcontact/groupchat/del_join_way", data={"config_id": config_id})
    with pytest.raises(WeChatClientException) as err:
        wx.post("externalcontact/groupchat/get_join_way", data={"config_id": config_id})
    assert err.value.errcode == 41044


def test_scan_leave_dismiss_send_the_callbacks(server, client, receiver):
    wx = wecom_client(server.url)
    [chat] = client.wecom_groupchats(CORPID, "zhangsan", count=1)["chat_ids"]
    config_id = wx.post("externalcontact/groupchat/add_join_way", data={
        "scene": 2, "auto_create_room": 0, "chat_id_list": [chat], "state": "vip-1"})["config_id"]
    out = client.wecom_group_action(CORPID, "scan", config_id=config_id, external_userid="wm-1")
    assert out["status"] == 200 and out["chat_id"] == chat
    data = receiver.events[-1]["data"]
    assert (data["Event"], data["ChangeType"], data["UpdateDetail"], data["JoinScene"]) == (
        "change_external_chat", "update", "add_member", "3")
    assert data["ChatId"] == chat and "wm-1" in str(data["MemChangeList"])
    members = wx.post("externalcontact/groupchat/get", data={"chat_id": chat})["group_chat"]["member_list"]
    assert [m.get("state") for m in members if m["userid"] == "wm-1"] == ["vip-1"]
    client.wecom_group_action(CORPID, "leave", chat_id=chat, userid="wm-1")
    assert receiver.events[-1]["data"]["UpdateDetail"] == "del_member"
    client.wecom_group_action(CORPID, "dismiss", chat_id=chat)
    assert receiver.events[-1]["data"]["ChangeType"] == "dismiss"
    with pytest.raises(WeChatClientException) as err:
        wx.post("externalcontact/groupchat/get", data={"chat_id": chat})
    assert err.value.errcode == 40050


def test_group_welcome_templates_in_wecoms_shapes_and_errcodes(server, client):  # client: the corp registered
    wx = wecom_client(server.url)
    body = {"text": {"content": "亲爱的%NICKNAME%，欢迎入群"}, "link": {"title": "群规", "url": "https://example.com/r"}}
    template_id = wx.post("externalcontact/group_welcome_template/add", data=body)["template_id"]
    got = wx.post("externalcontact/group_welcome_template/get", data={"template_id": template_id})
    assert got["text"] == body["text"] and got["link"] == body["link"]
    wx.post("externalcontact/group_welcome_template/edit", data={"template_id": template_id,
                                                                 "text": {"content": "新欢迎语"}})
    assert wx.post("externalcontact/group_welcome_template/get",
                   data={"template_id": template_id})["text"] == {"content": "新欢迎语"}
    for bad in ({}, {"text": {"content": "字" * 1001}}, {"link": {"title": "no url"}}):
        with pytest.raises(WeChatClientException) as err:
            wx.post("externalcontact/group_welcome_template/add", data=bad)
        assert err.value.errcode == 40058
    wx.post("externalcontact/group_welcome_template/del", data={"template_id": template_id})
    with pytest.raises(WeChatClientException) as err:
        wx.post("externalcontact/group_welcome_template/get", data={"template_id": template_id})
    assert err.value.errcode == 40058
