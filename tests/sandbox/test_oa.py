"""OA APIs through the real wechatpy client, and OA callbacks into a wechatpy-verifying receiver."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from wechatpy.exceptions import APILimitedException, WeChatClientException

from .conftest import OA, oa_client

APPID = OA["appid"]


def raw_token(server, **params):
    q = {"grant_type": "client_credential", "appid": APPID, "secret": OA["secret"], **params}
    return requests.get(server.url + "/oa/cgi-bin/token", params=q, timeout=5).json()


def api(server, method, endpoint, token, **kw):
    return requests.request(method, f"{server.url}/oa/cgi-bin/{endpoint}", params={"access_token": token, **kw.pop(
        "params", {})}, timeout=5, **kw).json()


def test_token_rotation_overlap_and_errors(server, client):
    first = raw_token(server)
    assert first["expires_in"] == 7200 and len(first["access_token"]) >= 100
    second = raw_token(server)
    assert second["access_token"] != first["access_token"]
    assert "errcode" not in api(server, "GET", "user/get", first["access_token"])  # 5-minute overlap
    client.advance(301)
    assert api(server, "GET", "user/get", first["access_token"])["errcode"] == 42001
    assert "errcode" not in api(server, "GET", "user/get", second["access_token"])
    assert api(server, "GET", "user/get", "nope")["errcode"] == 40001
    assert requests.get(server.url + "/oa/cgi-bin/user/get", timeout=5).json()["errcode"] == 41001
    assert raw_token(server, secret="wrong")["errcode"] == 40001
    assert client.stats()["token_fetches"][APPID] == 2


def test_stable_token_normal_and_force(server, client):
    body = {"grant_type": "client_credential", "appid": APPID, "secret": OA["secret"]}
    url = server.url + "/oa/cgi-bin/stable_token"
    a = requests.post(url, json=body, timeout=5).json()["access_token"]
    assert requests.post(url, json=body, timeout=5).json()["access_token"] == a
    same = requests.post(url, json={**body, "force_refresh": True}, timeout=5).json()["access_token"]
    client.advance(31)
    forced = requests.post(url, json={**body, "force_refresh": True}, timeout=5).json()["access_token"]
    assert forced != a
    assert api(server, "GET", "user/get", a)["errcode"] in (40001, 42001)
    client.advance(7200 - 290)  # inside the last 5 minutes normal mode rotates
    assert requests.post(url, json=body, timeout=5).json()["access_token"] != forced
    assert same  # (a force call within 30 s just returned a token)


def test_concurrent_cold_workers_one_fetch_with_wechatpy(server, client):
    wx = oa_client(server.url)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _: wx.user.get_followers(), range(8)))
    # wechatpy's own client caches in memory after the first fetch; the count is what a benchmark reads
    assert client.stats()["token_fetches"][APPID] >= 1


def test_qrcode_create_and_show(server, client):
    wx = oa_client(server.url)
    res = wx.qrcode.create({"expire_seconds": 3000000, "action_name": "QR_STR_SCENE",
                            "action_info": {"scene": {"scene_str": "poster-7"}}})
    assert res["expire_seconds"] == 2592000 and res["url"].startswith("http://weixin.qq.com/q/")
    img = requests.get(server.url + "/oa/cgi-bin/showqrcode", params={"ticket": res["ticket"]}, timeout=5)
    assert img.status_code == 200 and img.headers["Content-Type"] == "image/jpeg" and img.content[:2] == b"\xff\xd8"
    assert requests.get(server.url + "/oa/cgi-bin/showqrcode", params={"ticket": "x"}, timeout=5).status_code == 404
    temp = wx.qrcode.create({"action_name": "QR_SCENE", "action_info": {"scene": {"scene_id": 9}}})
    assert temp["expire_seconds"] == 60
    client.advance(61)
    assert requests.get(server.url + "/oa/cgi-bin/showqrcode", params={"ticket": temp["ticket"]},
                        timeout=5).status_code == 404
    with pytest.raises(WeChatClientException) as err:
        wx.qrcode.create({"action_name": "QR_LIMIT_SCENE", "action_info": {"scene": {"scene_id": 100001}}})
    assert err.value.errcode == 40053
    with pytest.raises(WeChatClientException) as err:
        wx.qrcode.create({"action_name": "QR_NOPE", "action_info": {"scene": {"scene_id": 1}}})
    assert err.value.errcode == 40052


def test_bulk_followers_paging_and_user_info(server, client):
    client.oa_followers(APPID, count=25001)
    wx = oa_client(server.url)
    openids = list(wx.user.iter_followers())
    assert len(openids) == 25001 and len(set(openids)) == 25001 and all(len(o) == 28 for o in openids)
    info = wx.user.get(openids[5])
    assert info["subscribe"] == 1 and info["tagid_list"] == []
    with pytest.raises(WeChatClientException) as err:
        wx.user.get("o" + "x" * 27)
    assert err.value.errcode == 46004
    batch = wx.user.get_batch(openids[:100])
    assert len(batch) == 100
    client.oa_event(APPID, "unsubscribe", openid=openids[0])
    assert wx.user.get(openids[0]) == {"subscribe": 0, "openid": openids[0]}
    assert wx.user.get_followers()["total"] == 25000


def test_million_followers_fast(server, client):
    res = client.oa_followers(APPID, count=1_000_000)
    assert res["total"] == 1_000_000
    wx = oa_client(server.url)
    page = wx.user.get_followers()
    assert page["count"] == 10000 and page["total"] == 1_000_000


def test_tagging_limits(server, client):
    client.oa_followers(APPID, count=60)
    wx = oa_client(server.url)
    openids = wx.user.get_followers()["data"]["openid"]
    tag = wx.tag.create("vip")
    with pytest.raises(WeChatClientException) as err:
        wx.tag.tag_user(tag["id"], openids[:51])
    assert err.value.errcode == 40032
    wx.tag.tag_user(tag["id"], openids[:50])
    assert wx.tag.get_user_tag(openids[0]) == [tag["id"]]
    assert {t["id"]: t["count"] for t in wx.tag.get()}[tag["id"]] == 50
    assert len(wx.tag.get_tag_users(tag["id"])["data"]["openid"]) == 50
    with pytest.raises(WeChatClientException) as err:
        wx.tag.tag_user(99999, openids[:2])
    assert err.value.errcode == 45159
    for i in range(19):
        wx.tag.tag_user(wx.tag.create(f"t{i}")["id"], openids[0])
    with pytest.raises(WeChatClientException) as err:
        wx.tag.tag_user(wx.tag.create("one-too-many")["id"], openids[0])
    assert err.value.errcode == 45059


def test_mass_send_clientmsgid_dedupe_and_quota(server, client):
    client.oa_followers(APPID, count=5)
    wx = oa_client(server.url)
    users = wx.user.get_followers()["data"]["openid"]
    body = {"touser": users, "msgtype": "text", "text": {"content": "hi"}, "clientmsgid": "push-1"}
    first = wx.post("message/mass/send", data=body)
    assert first["errcode"] == 0 and first["msg_id"]
    with pytest.raises(WeChatClientException) as err:
        wx.post("message/mass/send", data=body)
    assert err.value.errcode == 45066
    client.advance(61)
    with pytest.raises(WeChatClientException) as err:
        wx.post("message/mass/send", data=body)
    assert err.value.errcode == 45065
    assert err.value.response.json()["msgid"] == first["msg_id"]
    with pytest.raises(WeChatClientException) as err:
        wx.post("message/mass/send", data={**body, "clientmsgid": "x" * 65})
    assert err.value.errcode == 45067
    with pytest.raises(WeChatClientException) as err:
        wx.post("message/mass/send", data={**body, "touser": users[:1], "clientmsgid": "solo"})
    assert err.value.errcode == 40032
    # service account: each user receives at most 4 per month; the rest are filtered
    for i in range(4):
        wx.post("message/mass/send", data={**body, "clientmsgid": f"m{i}"})
    job = wx.post("message/mass/send", data={**body, "clientmsgid": "m-last"})
    assert wx.message.get_mass(job["msg_id"])["msg_status"] == "SENDING"
    finished = client.oa_mass_finish(APPID, job["msg_id"])
    data = client.calls("message/mass/send")[-1]["response"]
    assert data["msg_id"] == job["msg_id"]
    event = finished["xml"]
    assert "<TotalCount>5</TotalCount>" in event and "<FilterCount>0</FilterCount>" in event
    assert wx.message.get_mass(job["msg_id"])["msg_status"] == "SEND_SUCCESS"


def test_sendall_by_tag_and_subscription_quota(server, client):
    client.register_oa(account_type="subscription", **OA)
    client.oa_followers(APPID, count=3)
    wx = oa_client(server.url)
    tag = wx.tag.create("news")
    wx.tag.tag_user(tag["id"], wx.user.get_followers()["data"]["openid"][:2])
    # wechatpy 1.8.18 sends filter.group_id, which the sandbox refuses like a tag error
    with pytest.raises(WeChatClientException) as err:
        wx.message.send_mass_text(tag["id"], "hello", client_msg_id="legacy")
    assert err.value.errcode == 40152
    ok = wx.post("message/mass/sendall", data={"filter": {"is_to_all": False, "tag_id": tag["id"]},
                                              "msgtype": "text", "text": {"content": "a"}, "clientmsgid": "d1"})
    assert ok["msg_id"]
    with pytest.raises(WeChatClientException) as err:
        wx.post("message/mass/sendall", data={"filter": {"is_to_all": True}, "msgtype": "text",
                                              "text": {"content": "b"}, "clientmsgid": "d2"})
    assert err.value.errcode == 45028
    client.advance(86400)
    wx.fetch_access_token()  # the sandbox clock jumped past the token's life; wechatpy only knows wall time
    assert wx.post("message/mass/sendall", data={"filter": {"is_to_all": True}, "msgtype": "text",
                                                 "text": {"content": "b"}, "clientmsgid": "d2"})["msg_id"]


def test_custom_message_window(server, client):
    wx = oa_client(server.url)
    client.oa_followers(APPID, openids=["o_window_user_000000000000000"])
    uid = "o_window_user_000000000000000"
    with pytest.raises(WeChatClientException) as err:
        wx.message.send_text(uid, "hi")
    assert err.value.errcode == 45015
    client.oa_event(APPID, "text", openid=uid, content="hello")
    for _ in range(5):
        wx.message.send_text(uid, "hi")
    with pytest.raises(WeChatClientException) as err:
        wx.message.send_text(uid, "hi")
    assert err.value.errcode == 45047
    client.oa_event(APPID, "text", openid=uid, content="again")
    client.advance(48 * 3600 + 1)
    wx.fetch_access_token()
    with pytest.raises(WeChatClientException) as err:
        wx.message.send_text(uid, "hi")
    assert err.value.errcode == 45015
    client.oa_event(APPID, "unsubscribe", openid=uid)
    with pytest.raises(WeChatClientException) as err:
        wx.message.send_text(uid, "hi")
    assert err.value.errcode == 43004


def test_template_send_dedupes_client_msg_id(server, client):
    client.oa_followers(APPID, openids=["o_tpl_user_00000000000000000"])
    wx = oa_client(server.url)
    body = {"touser": "o_tpl_user_00000000000000000", "template_id": "T1", "client_msg_id": "c1",
            "data": {"k": {"value": "v"}}}
    a = wx.post("message/template/send", data=body)["msgid"]
    assert wx.post("message/template/send", data=body)["msgid"] == a
    assert wx.post("message/template/send", data={**body, "client_msg_id": "c2"})["msgid"] != a


def test_faults_consumed_k_times_and_delay(server, client):
    wx = oa_client(server.url)
    wx.fetch_access_token()
    client.fault("user/get", errcode=-1, platform="oa", times=2)
    for _ in range(2):
        with pytest.raises(WeChatClientException) as err:
            wx.user.get_followers()
        assert err.value.errcode == -1
    assert wx.user.get_followers()["total"] == 0
    client.fault("user/get", errcode=45009, times=1)
    with pytest.raises(APILimitedException):
        wx.user.get_followers()
    client.fault("user/get", delay_ms=1500, times=1)
    with pytest.raises(requests.Timeout):
        requests.get(server.url + "/oa/cgi-bin/user/get", params={"access_token": "x"}, timeout=0.3)
    client.fault("*", errcode=42001, times=None)
    assert api(server, "GET", "tags/get", "whatever")["errcode"] == 42001
    assert client.faults()[0]["times"] is None
    client.clear_faults()
    calls = client.calls("user/get", platform="oa")
    assert [c["errcode"] for c in calls][:3] == [-1, -1, 0]
    assert calls[0]["fault"]["errcode"] == -1 and "access_token" not in calls[0]["query"]


def test_faults_can_answer_a_non_json_page_and_can_fail_after_doing_the_work(server, client):
    wx = oa_client(server.url)
    token = wx.fetch_access_token()["access_token"]
    url = server.url + "/oa/cgi-bin/tags/create"
    client.fault("tags/create", platform="oa", answer="html", times=1)
    res = requests.post(url, params={"access_token": token}, json={"tag": {"name": "page"}}, timeout=5)
    assert res.status_code == 200 and res.headers["Content-Type"].startswith("text/html") and b"<html>" in res.content
    client.fault("tags/create", platform="oa", answer="empty", times=1)
    res = requests.post(url, params={"access_token": token}, json={"tag": {"name": "empty"}}, timeout=5)
    assert res.status_code == 200 and res.content == b""
    assert [t["name"] for t in wx.tag.get()] == ["星标组"]  # neither did anything (WeChat's reserved tag only)
    client.fault("tags/create", platform="oa", errcode=-1, apply=True, times=1)  # done, but answered -1
    assert requests.post(url, params={"access_token": token}, json={"tag": {"name": "done"}},
                         timeout=5).json()["errcode"] == -1
    client.fault("tags/create", platform="oa", answer="html", apply=True, times=1)
    assert b"<html>" in requests.post(url, params={"access_token": token}, json={"tag": {"name": "also"}},
                                      timeout=5).content
    assert sorted(t["name"] for t in wx.tag.get()) == ["also", "done", "星标组"]
    bad = requests.post(server.url + "/_sandbox/faults", json={"path": "x", "answer": "xml"}, timeout=5)
    assert bad.status_code == 400


def test_subscribe_scan_callbacks_aes(server, client, receiver):
    wx = oa_client(server.url)
    qr = wx.qrcode.create({"action_name": "QR_LIMIT_SCENE", "action_info": {"scene": {"scene_id": 123}}})
    res = client.oa_event(APPID, "scan", openid="o_scan_user_0000000000000000", scene=123)
    assert res["status"] == 200 and res["body"] == "success"
    ev = receiver.events[-1]
    assert ev["query"]["encrypt_type"] == "aes" and ev["query"]["openid"] == "o_scan_user_0000000000000000"
    assert ev["content_type"] == "text/xml"
    msg = ev["msg"]
    assert msg.event == "subscribe_scan" and msg.scene_id == "123" and msg.ticket == qr["ticket"]
    assert ev["data"]["ToUserName"] == OA["original_id"]
    info = wx.user.get("o_scan_user_0000000000000000")
    assert info["subscribe_scene"] == "ADD_SCENE_QR_CODE" and info["qr_scene"] == 123
    client.oa_event(APPID, "scan", openid="o_scan_user_0000000000000000", scene="abc")
    msg = receiver.events[-1]["msg"]
    assert msg.event == "scan" and msg.scene_id == "abc"


def test_retries_identical_and_concurrent(server, client, receiver):
    res = client.oa_event(APPID, "click", openid="o_click_user_000000000000000", key="MENU_1", deliveries=3,
                          concurrent=True)
    assert len(res["deliveries"]) == 3 and all(d["status"] == 200 for d in res["deliveries"])
    bodies = {e["xml"] for e in receiver.events if e["data"].get("Event") == "CLICK"}
    queries = {tuple(sorted(e["query"].items())) for e in receiver.events if e["data"].get("Event") == "CLICK"}
    assert len(bodies) == 1 and len(queries) == 1


def test_encrypted_passive_reply_is_decrypted(server, client, receiver):
    from wechatpy import create_reply
    from wechatpy.crypto import WeChatCrypto

    def reply(ev):
        xml = create_reply("welcome!", ev["msg"]).render()
        return WeChatCrypto(OA["token"], OA["aes_key"], OA["appid"]).encrypt_message(xml, "123")

    receiver.on_event = reply
    res = client.oa_event(APPID, "text", openid="o_reply_user_000000000000000", content="hi")
    assert res["reply_encrypted"] and res["reply_signature_ok"] and "welcome!" in res["reply"]


def test_plain_mode_verify_and_raw(server, client, receiver):
    client.register_oa(encrypt_mode="plain", **OA)
    client.oa_event(APPID, "subscribe", openid="o_plain_user_000000000000000")
    ev = receiver.events[-1]
    assert "encrypt_type" not in ev["query"] and ev["msg"].event == "subscribe"
    assert client.oa_verify(APPID)["matched"] is True
    bad = client.oa_raw(APPID, "<xml><MsgType>text</MsgType></xml>", query_overrides={"signature": "0" * 40})
    assert bad["status"] == 403
    assert client.oa_follower(APPID, "o_plain_user_000000000000000")["subscribe"] == 1


def test_slow_handler_gets_retried_like_wechat(server, client, receiver):
    receiver.delay = 0.4
    res = client.oa_event(APPID, "text", openid="o_slow_user_0000000000000000", content="x", timeout=0.2,
                          retry_on_failure=3)
    assert [d["status"] for d in res["deliveries"]] == [None] * 4
    assert len({e["data"]["MsgId"] for e in receiver.events}) == 1


def test_mass_send_image_takes_the_documented_images_media_ids_and_refuses_image_media_id(server, client):
    """The current mass-send pages name the image payload `images` (a `media_ids` list); `image.media_id`,
    the older wiki's shape, is a malformed body (47001)."""
    client.oa_followers(APPID, count=3)
    wx = oa_client(server.url)
    users = wx.user.get_followers()["data"]["openid"]
    ok = wx.post("message/mass/send", data={"touser": users, "msgtype": "image", "clientmsgid": "img-1", "images": {
        "media_ids": ["m-1", "m-2"], "recommend": "new in store", "need_open_comment": 0, "only_fans_can_comment": 0}})
    assert ok["errcode"] == 0 and ok["msg_id"]
    for old in ({"image": {"media_id": "m-1"}}, {"images": {"media_ids": []}}, {"images": {"media_id": "m-1"}}):
        with pytest.raises(WeChatClientException) as err:
            wx.post("message/mass/send", data={"touser": users, "msgtype": "image", "clientmsgid": "img-2", **old})
        assert err.value.errcode == 47001
    with pytest.raises(WeChatClientException) as err:  # sendall (by tag / to all) likewise
        wx.post("message/mass/sendall", data={"filter": {"is_to_all": True}, "msgtype": "image",
                                              "image": {"media_id": "m-1"}, "clientmsgid": "img-3"})
    assert err.value.errcode == 47001
