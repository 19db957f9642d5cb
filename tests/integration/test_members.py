"""Member-verified group codes over moto and the sandbox (chalice test client): the member list imported over the
admin API (CSV with BOM, bad rows by line, re-import unchanged), WeChat sign-in on the code's Official Account, a
mismatch refused and counted, a match revealing the code's QR and counted once, tries limited per openid and hour
(injected clock), joins through the code counted once under redelivery, the figures as JSON and CSV."""

from __future__ import annotations

import base64
import json
import urllib.parse

import pytest
import requests

from local.sandbox import SandboxClient
from scrm import bootstrap
from scrm.services import admin_keys
from scrm.services.channels import create_channel
from scrm.tenancy import Scope
from tests.integration.test_groups import deliver

HOST = "shop.example"
CSV = ("\ufeffmember_id,phone,name,level\r\nVIP001,13800138000,张三,金卡\r\nVIP 2,13800138001,,\r\n"
       "VIP003,12345,李四,\r\nVIP001,13900139000,重复,\r\nVIP004,+86 139-0013-9004,王五,银卡\r\n")


class Clock:
    def __init__(self, t: float):
        self.t = t

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def env(oa_account, wecom_account, sandbox):
    from chalice.test import Client

    from app import app

    sb = SandboxClient(sandbox.url)
    clock = Clock(sb.now())
    bootstrap.reset(clock=clock)
    chats = sb.wecom_groupchats(wecom_account.app_id, "zhangsan", count=2)["chat_ids"]
    channel = create_channel(Scope.system("test-wecom"), "test-wecom", {
        "kind": "wecom_group", "name": "VIP 会员群", "chat_ids": chats, "members_only": True,
        "sign_in_account": "test-oa"})
    _, operator = admin_keys.issue(Scope.system("test-wecom"), "test-wecom", role="operator", name="ops")
    _, reader = admin_keys.issue(Scope.system("test-wecom"), "test-wecom", role="read-only", name="ro")
    with Client(app) as client:
        yield {"http": client.http, "sb": sb, "clock": clock, "channel": channel, "operator": operator,
               "reader": reader, "sandbox": sandbox}


def admin(env, method, path, key=None, body=None):
    h = {"Content-Type": "application/json", "Authorization": f"Bearer {key or env['operator']}", "Host": HOST}
    r = getattr(env["http"], method)(path, headers=h, body=None if body is None else json.dumps(body))
    return r.status_code, (json.loads(r.body) if r.headers.get("Content-Type", "").startswith("application/json")
                           else r.body.decode("utf-8"))


def user(env, method, path, token=None, body=None):
    h = {"Content-Type": "application/json", "Host": HOST}
    if token:
        h["Authorization"] = f"Bearer {token}"
    r = getattr(env["http"], method)(path, headers=h, body=None if body is None else json.dumps(body))
    return r.status_code, json.loads(r.body)


def sign_in(env, openid: str) -> str:
    cid = env["channel"]["channel_id"]
    page = f"http://{HOST}/m/test-wecom/{cid}"
    status, out = user(env, "get", f"/u/test-wecom/member-codes/{cid}/authorize-url?" + urllib.parse.urlencode(
        {"redirect_uri": page, "state": "st4te-0001"}))
    assert status == 200, out
    url = out["url"].split("#")[0]
    assert dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))["appid"] == "wx00000000test0001"
    back = requests.get(url.replace("/authorize?", "/authorize/confirm?") + "&openid=" + openid, timeout=10,
                        allow_redirects=False)
    code = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(back.headers["Location"]).query))["code"]
    status, out = user(env, "post", f"/u/test-wecom/member-codes/{cid}/oauth", body={"code": code})
    assert status == 200, out
    return out["token"]


def test_import_verify_refuse_reveal_and_figures(env):
    cid = env["channel"]["channel_id"]
    status, out = admin(env, "post", "/accounts/test-wecom/members/import", body={"csv": CSV})
    assert status == 200, out
    assert (out["created"], out["updated"], out["unchanged"], out["rows"]) == (2, 0, 0, 5)
    assert [(r["line"], r["field"]) for r in out["rejected"]] == [(3, "member_id"), (4, "phone"), (5, "member_id")]
    status, again = admin(env, "post", "/accounts/test-wecom/members/import", body={"csv": CSV})
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 2)  # nothing counted twice
    status, member = admin(env, "get", "/accounts/test-wecom/members/VIP004", key=env["reader"])
    assert status == 200 and member["has_phone"] and member["level"] == "银卡" and "phone" not in member

    token = sign_in(env, "o-member-1")
    status, out = user(env, "post", f"/u/test-wecom/member-codes/{cid}/verify", token,
                       {"consent": True, "member_id": "VIP001", "phone": "13900139000"})  # the duplicate line's
    # phone: not applied
    assert status == 403 and out["error"]["code"] == "member_mismatch" and "不匹配" in out["error"]["message"]
    status, out = user(env, "post", f"/u/test-wecom/member-codes/{cid}/verify", token,
                       {"consent": True, "member_id": "VIP001", "phone": "138 0013 8000"})
    assert status == 200, out
    assert out["verified"] and not out["replayed"] and out["qr_image"].startswith("data:image/svg+xml;base64,")
    assert b"<svg" in base64.b64decode(out["qr_image"].split(",", 1)[1])
    assert out["qr_code"] == bootstrap.channel_store().get_channel(Scope.system("test-wecom"), "test-wecom",
                                                                    cid)["qr_code"]
    status, out = user(env, "post", f"/u/test-wecom/member-codes/{cid}/verify", token,
                       {"consent": True, "member_id": "x", "phone": "1"})
    assert status == 200 and out["replayed"]  # verified already: the code again, nothing counted
    status, figures = admin(env, "get", f"/accounts/test-wecom/channels/{cid}/member-figures", key=env["reader"])
    assert (figures["verified"], figures["refused"], figures["joined"]) == (1, 1, 0)
    status, text = admin(env, "get", f"/accounts/test-wecom/channels/{cid}/member-figures.csv", key=env["reader"])
    assert status == 200 and text.startswith("\ufeffchannel_id,name,verified,refused,joined,joined_verified\r\n")
    assert f"{cid},VIP 会员群,1,1,0,0" in text


def test_tries_are_limited_per_openid_per_hour(env):
    cid = env["channel"]["channel_id"]
    admin(env, "post", "/accounts/test-wecom/members", body={"members": [{"member_id": "VIP9", "phone":
                                                                          "13800138009"}]})
    token = sign_in(env, "o-walker")
    answers = [user(env, "post", f"/u/test-wecom/member-codes/{cid}/verify", token,
                    {"consent": True, "member_id": f"VIP{i}", "phone": "13800138009"})[0] for i in range(6)]
    assert answers == [403] * 5 + [429]
    status, out = user(env, "post", f"/u/test-wecom/member-codes/{cid}/verify", token,
                       {"consent": True, "member_id": "VIP9", "phone": "13800138009"})
    assert status == 429 and out["error"]["code"] == "too_many_tries"  # even the right answer, this hour
    env["clock"].t += 3600
    status, out = user(env, "post", f"/u/test-wecom/member-codes/{cid}/verify", token,
                       {"consent": True, "member_id": "VIP9", "phone": "13800138009"})
    assert status == 200 and out["verified"]
    _, figures = admin(env, "get", f"/accounts/test-wecom/channels/{cid}/member-figures", key=env["reader"])
    assert (figures["verified"], figures["refused"]) == (1, 5)


def test_joins_through_the_code_count_once_under_redelivery(env, wecom_account):
    channel, sb = env["channel"], env["sb"]
    for i in range(3):
        out = sb.wecom_group_action(wecom_account.app_id, "scan", config_id=channel["config_id"],
                                    external_userid=f"wmj{i:04d}")
        deliver(wecom_account, out, times=3)
    _, figures = admin(env, "get", f"/accounts/test-wecom/channels/{channel['channel_id']}/member-figures",
                       key=env["reader"])
    assert figures["joined"] == 3 and figures["joined_verified"] == 0  # nobody here is in the contact book


def test_bad_rows_of_a_json_upsert_are_refused_by_position(env):
    status, out = admin(env, "post", "/accounts/test-wecom/members", body={"members": [
        {"member_id": "A1", "phone": "13800138000"}, {"member_id": "A1", "phone": "13800138001"},
        {"member_id": "A2"}, "nope"]})
    assert status == 200 and out["created"] == 1
    assert [(r["line"], r["field"]) for r in out["rejected"]] == [(2, "member_id"), (3, "phone"), (4, "row")]


def test_only_operators_write_the_member_list_and_writes_are_audited(env):
    status, out = admin(env, "post", "/accounts/test-wecom/members", key=env["reader"],
                        body={"members": [{"member_id": "A1", "phone": "13800138000"}]})
    assert status == 403
    from scrm.data.audit_log import AuditEntry

    actions = {r.action for r in AuditEntry.scan()}
    assert "members.upsert" in actions


def test_a_members_only_code_needs_an_official_account_to_sign_in_through(env):
    from scrm.errors import ValidationError

    with pytest.raises(ValidationError) as err:
        create_channel(Scope.system("test-wecom"), "test-wecom", {
            "kind": "wecom_group", "name": "x", "chat_ids": ["c1"], "members_only": True,
            "sign_in_account": "test-wecom"})
    assert err.value.field == "sign_in_account"
    with pytest.raises(ValidationError) as err:
        create_channel(Scope.system("test-wecom"), "test-wecom", {
            "kind": "wecom_group", "name": "x", "chat_ids": ["c1"], "members_only": True})
    assert "sign_in_account" in str(err.value)


def test_a_verification_is_exported_and_erased_with_the_person(env):
    from scrm.services import privacy

    cid = env["channel"]["channel_id"]
    admin(env, "post", "/accounts/test-wecom/members", body={"members": [{"member_id": "VIP7", "phone": "13800138007",
                                                                          "name": "张三"}]})
    token = sign_in(env, "o-leaving")
    assert user(env, "post", f"/u/test-wecom/member-codes/{cid}/verify", token,
                {"consent": True, "member_id": "VIP7", "phone": "13800138007"})[0] == 200
    scope = Scope.system("test-wecom")
    exported = privacy.export(scope, "test-wecom", {"openid": "o-leaving"})["tables"]["members"]
    assert exported[0]["member_id"] == "VIP7" and exported[0]["member"]["name"] == "张三"
    privacy.erase(scope, "test-wecom", {"openid": "o-leaving"})
    assert bootstrap.member_store().verification(scope, "test-wecom", cid, "o-leaving") is None
    _, figures = admin(env, "get", f"/accounts/test-wecom/channels/{cid}/member-figures", key=env["reader"])
    assert figures["verified"] == 1  # the count stays


def _one_person(external_userid: str, openid: str) -> None:
    """The WeCom customer and the sign-in OA's follower are one contact (both bound to one Open Platform account:
    one unionid), in a book the two accounts share."""
    contacts = bootstrap.contact_store()
    contacts.set_members(Scope.system(), "vip-book", ["test-wecom", "test-oa"], account_exists=lambda a: True)
    book = contacts.open_book(Scope.system("test-wecom"), "test-wecom")
    keys = [f"wecom:test-wecom:{external_userid}", f"oa:test-oa:{openid}"]
    assert contacts.record_contact(book, {"contact_id": f"c-{external_userid}", "unionid": f"u-{external_userid}",
                                          "identities": keys, "touches": [], "version": 1, "created_at": 0,
                                          "updated_at": 0}, expected_version=None, new_pointers=keys)


def _verify(env, openid: str, member_id: str, phone: str) -> None:
    cid = env["channel"]["channel_id"]
    admin(env, "post", "/accounts/test-wecom/members", body={"members": [{"member_id": member_id, "phone": phone}]})
    status, out = user(env, "post", f"/u/test-wecom/member-codes/{cid}/verify", sign_in(env, openid),
                       {"consent": True, "member_id": member_id, "phone": phone})
    assert status == 200 and out["verified"], out


def test_a_verified_member_who_joins_counts_joined_verified_once(env, wecom_account):
    channel, sb = env["channel"], env["sb"]
    _verify(env, "o-vip-1", "VIP101", "13800138101")
    _one_person("wmv0001", "o-vip-1")
    out = sb.wecom_group_action(wecom_account.app_id, "scan", config_id=channel["config_id"],
                                external_userid="wmv0001")
    deliver(wecom_account, out, times=4)
    for ext in ("wmv0002", "wmv0003"):  # a forwarded screenshot: they never verified
        deliver(wecom_account, sb.wecom_group_action(wecom_account.app_id, "scan", config_id=channel["config_id"],
                                                     external_userid=ext), times=2)
    _, figures = admin(env, "get", f"/accounts/test-wecom/channels/{channel['channel_id']}/member-figures",
                       key=env["reader"])
    assert (figures["verified"], figures["joined"], figures["joined_verified"]) == (1, 3, 1)


def test_a_crash_between_the_group_change_and_the_count_loses_no_join_and_counts_none_twice(env, wecom_account,
                                                                                              monkeypatch):
    """The worker dies right after the membership transaction; the redelivery finds the event applied: the join's
    figures must already be in that transaction (nothing after it may be the only place they are counted)."""
    channel, sb = env["channel"], env["sb"]
    _verify(env, "o-vip-2", "VIP102", "13800138102")
    _one_person("wmv0010", "o-vip-2")
    store = bootstrap.group_store()
    commit, crashes = store.commit_change, []

    def commit_then_die(*args, **kwargs):
        done = commit(*args, **kwargs)
        if done and not crashes:
            crashes.append(1)
            raise RuntimeError("the function died after the membership commit")
        return done

    monkeypatch.setattr(store, "commit_change", commit_then_die)
    out = sb.wecom_group_action(wecom_account.app_id, "scan", config_id=channel["config_id"],
                                external_userid="wmv0010")
    with pytest.raises(RuntimeError):
        deliver(wecom_account, out)
    deliver(wecom_account, out, times=3)  # the queue delivers it again
    _, figures = admin(env, "get", f"/accounts/test-wecom/channels/{channel['channel_id']}/member-figures",
                       key=env["reader"])
    assert crashes and (figures["joined"], figures["joined_verified"]) == (1, 1)


def test_the_privacy_notice_names_the_wecom_account_and_nothing_is_checked_without_consent(env, wecom_account):
    cid = env["channel"]["channel_id"]
    status, page = user(env, "get", f"/u/test-wecom/member-codes/{cid}")
    assert status == 200
    assert page["controller"] == {"account_id": "test-wecom", "name": wecom_account.name, "platform": "wecom"}
    assert page["privacy_notice"].startswith(f"{wecom_account.name}（企业微信）收集你填写的会员号和手机号")
    admin(env, "post", "/accounts/test-wecom/members", body={"members": [{"member_id": "VIP201",
                                                                          "phone": "13800138201"}]})
    token = sign_in(env, "o-no-consent")
    for body in ({"member_id": "VIP201", "phone": "13800138201"},
                 {"member_id": "VIP201", "phone": "13800138201", "consent": False}):
        status, out = user(env, "post", f"/u/test-wecom/member-codes/{cid}/verify", token, body)
        assert status == 400 and out["error"]["code"] == "consent_required", out
        assert wecom_account.name in out["error"]["message"]
    _, figures = admin(env, "get", f"/accounts/test-wecom/channels/{cid}/member-figures", key=env["reader"])
    assert (figures["verified"], figures["refused"]) == (0, 0)  # nothing looked up, nothing counted
    answers = [user(env, "post", f"/u/test-wecom/member-codes/{cid}/verify", token,
                    {"consent": True, "member_id": f"VIPX{i}", "phone": "13800138201"})[0] for i in range(6)]
    assert answers == [403] * 5 + [429]  # the refusals without consent spent no try
