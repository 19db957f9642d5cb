"""The `scrm` CLI covers every area of the admin API (channels, stats, replies, pushes, campaigns,
reassignment) and drives the sandbox, over HTTP against the app served by chalice.local (moto in-process, the
WeChat sandbox in-process). Tables by default, `--json` for scripts."""

from __future__ import annotations

import json
import threading
import time
from http.server import ThreadingHTTPServer

import pytest
import requests
from click.testing import CliRunner

from local.sandbox import SandboxClient
from scrm.services import channels as channel_service
from scrm.tenancy import Scope
from scrm_cli.tables import width

NAME = "门店导购"


@pytest.fixture
def env(oa_account, wecom_account, sandbox):
    from app import app
    from scrm.secrets import account_secrets
    from scrm.services import admin_keys
    from scrm_cli.main import cli
    from tests.integration.admin_helpers import served

    channel_service.forget_cache()
    keys = {a.account_id: admin_keys.issue(Scope.system(a.account_id), a.account_id, role="admin",
                                           name="cli test")[1] for a in (oa_account, wecom_account)}
    with served(app) as url:
        sb = SandboxClient(sandbox.url)
        secret = account_secrets(oa_account.account_id)["app_secret"]  # the sandbox wants it again to update
        sb.register_oa(oa_account.app_id, secret, callback_url=f"{url}/wechat/oa/{oa_account.account_id}")

        def run(account, *args, input=None):
            result = CliRunner().invoke(
                cli, ["--url", url, "--key", keys[account.account_id], *args],
                input=input, catch_exceptions=False, env={"SCRM_SANDBOX_URL": sandbox.url})
            assert result.exit_code == 0, result.output
            return result.stdout

        def run_json(account, *args, input=None):
            return json.loads(run(account, *args, "--json", input=input))

        yield run, run_json, sb, oa_account, wecom_account


def _column_start(line: str, text: str) -> int:
    return width(line[:line.index(text)])


def test_channels_list_create_show_qrcode_archive(env, tmp_path):
    run, run_json, _, oa, _ = env
    made = run_json(oa, "channels", "create", oa.account_id, "--kind", "oa_qr", "--name", NAME, "--group", "stores",
                    "--welcome", "欢迎光临")
    other = run_json(oa, "channels", "create", oa.account_id, "--kind", "oa_qr", "--name", "Poster")
    table = run(oa, "channels", "list", oa.account_id).splitlines()
    assert table[0].split()[:4] == ["channel_id", "kind", "name", "group"]
    mine = next(line for line in table if NAME in line)
    theirs = next(line for line in table if "Poster" in line)
    assert _column_start(mine, "stores") == _column_start(theirs, "default") == _column_start(table[0], "group")
    assert run_json(oa, "channels", "show", oa.account_id, made["channel_id"])["name"] == NAME
    png = tmp_path / "code.png"
    run(oa, "channels", "qrcode", oa.account_id, made["channel_id"], "-o", str(png))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert run_json(oa, "channels", "archive", oa.account_id, other["channel_id"])["status"] == "archived"
    assert [c["channel_id"] for c in run_json(oa, "channels", "list", oa.account_id)] == [made["channel_id"]]


def test_stats_days_and_csv_with_bom(env, tmp_path):
    from scrm.services import events

    run, run_json, _, oa, _ = env
    ch = run_json(oa, "channels", "create", oa.account_id, "--kind", "oa_qr", "--name", NAME)
    for i, openid in enumerate(("o-a", "o-b")):
        events.apply({"account_id": oa.account_id, "platform": "oa", "kind": "oa.subscribe", "dedupe_key": f"k{i}",
                      "event": {"FromUserName": openid, "CreateTime": int(time.time()), "Event": "subscribe",
                                "EventKey": f"qrscene_{ch['scene']}"}})
    days = run(oa, "stats", "days", oa.account_id).splitlines()
    assert days[0].split()[:3] == ["day", "channel_id", "name"]
    row = next(line for line in days if NAME in line)
    assert row.split()[4] == "2"  # new_follows
    totals = run(oa, "stats", "days", oa.account_id, "--totals")
    assert NAME in totals and "retention_d7" in totals
    path = tmp_path / "stats.csv"
    run(oa, "stats", "csv", oa.account_id, "-o", str(path))
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and NAME in raw.decode("utf-8-sig")


def test_replies_rules_and_welcome(env):
    run, run_json, sb, oa, _ = env
    rule = run_json(oa, "replies", "rules", "create", oa.account_id, "--match", "exact", "--keyword", "营业时间",
                    "--text", "每天 9:00-21:00", "--name", "hours")
    listed = run(oa, "replies", "rules", "list", oa.account_id)
    assert rule["rule_id"] in listed and "营业时间" in listed
    answer = run_json(oa, "sandbox", "message", oa.account_id, "--openid", "o-ask", "--text", "营业时间")
    assert "每天 9:00-21:00" in json.dumps(answer, ensure_ascii=False)  # the rule answered through the callback
    assert run_json(oa, "replies", "rules", "delete", oa.account_id, rule["rule_id"]) == {"deleted": rule["rule_id"]}
    assert run_json(oa, "replies", "rules", "list", oa.account_id) == []
    set_ = run_json(oa, "replies", "welcome", oa.account_id, "--text", "欢迎关注")
    assert set_["welcome"]["content"] == "欢迎关注"
    assert "欢迎关注" in run(oa, "replies", "welcome", oa.account_id)


def test_pushes_create_preview_confirm_status(env):
    run, run_json, sb, oa, _ = env
    sb.oa_followers(oa.app_id, count=3)
    push = run_json(oa, "pushes", "create", oa.account_id, "--name", "新品", "--text", "新品上市",
                    "--send-at", "2099-01-01T09:00:00+08:00")
    assert push["status"] == "draft" and push["send_at"] == "2099-01-01T09:00:00+08:00"
    preview = run_json(oa, "pushes", "preview", oa.account_id, push["push_id"])
    assert preview["audience"] == 3
    assert run_json(oa, "pushes", "confirm", oa.account_id, push["push_id"])["status"] == "scheduled"
    status = run(oa, "pushes", "status", oa.account_id, push["push_id"])
    assert "scheduled" in status and "2099-01-01T09:00:00+08:00" in status
    listed = run(oa, "pushes", "list", oa.account_id)
    assert push["push_id"] in listed and "新品" in listed


def test_campaigns_create_codes_report_lottery(env, tmp_path):
    run, run_json, _, oa, _ = env
    now = int(time.time())
    doc = {"campaign_id": "spring", "name": "春季抽奖", "starts_at": now - 60, "ends_at": now + 3600,
           "status": "active", "eligibility": {"must_follow": False},
           "prizes": [{"prize_id": "c10", "name": "10元券", "kind": "coupon", "weight": 1},
                      {"prize_id": "tv", "name": "电视", "kind": "physical", "weight": 0, "stock": 1}],
           "lottery": {"prize_id": "tv", "winners": 1}}
    path = tmp_path / "spring.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    made = run_json(oa, "campaigns", "create", oa.account_id, "--file", str(path))
    assert made["campaign_id"] == "spring" and made["lottery"]["commitment"]
    codes = tmp_path / "codes.csv"
    codes.write_bytes("\ufeffA001,备注\nA002\n\nA001\n".encode())  # an Excel CSV: BOM, a second column, a repeat
    uploaded = run_json(oa, "campaigns", "codes", oa.account_id, "spring", "c10", str(codes))
    assert (uploaded["added"], uploaded["duplicates"], uploaded["stock"]) == (2, 1, 2)
    report = run_json(oa, "campaigns", "report", oa.account_id, "spring")
    assert report["campaign_id"] == "spring" and report["draws"] == 0
    assert run_json(oa, "campaigns", "lottery", oa.account_id, "spring")["commitment"] == made["lottery"]["commitment"]
    listed = run(oa, "campaigns", "list", oa.account_id)
    assert "春季抽奖" in listed and "spring" in listed


def test_campaigns_new_vote_and_its_results(env):
    run, run_json, _, oa, _ = env
    made = run_json(oa, "campaigns", "new-vote", oa.account_id, "colors", "--name", "新品配色投票",
                    "--starts", "2026-01-01T10:00:00+08:00", "--ends", "2099-01-01T10:00:00+08:00",
                    "--option", "red=红色款=https://img.example.com/red.jpg", "--option", "blue=蓝色款",
                    "--votes-per-day", "2", "--anyone")
    assert made["kind"] == "vote" and [o["option_id"] for o in made["options"]] == ["red", "blue"]
    results = run_json(oa, "campaigns", "votes", oa.account_id, "colors")
    assert (results["votes"], results["voters"]) == (0, 0)
    assert [(o["title"], o["votes"]) for o in results["options"]] == [("红色款", 0), ("蓝色款", 0)]
    assert "红色款" in run(oa, "campaigns", "votes", oa.account_id, "colors")


def test_reassignment_preview_create_show_items_customer(env):
    run, run_json, sb, _, wc = env
    for userid in ("t1", "t2"):
        sb.wecom_staff(wc.app_id, userid)
    ids = sb.wecom_customers(wc.app_id, "leaver", count=3)["external_userids"]
    run_json(wc, "sandbox", "staff-leaving", wc.account_id, "--staff", "leaver")
    preview = run_json(wc, "reassignment", "preview", wc.account_id, "--handover", "leaver")
    assert preview["customers"] == 3
    plan = run_json(wc, "reassignment", "create", wc.account_id, "--handover", "leaver", "--takeover", "t1",
                    "--takeover", "t2")
    assert plan["counts"]["total"] == 3
    shown = run(wc, "reassignment", "show", wc.account_id, plan["plan_id"])
    assert plan["plan_id"] in shown and "handover_userid" in shown
    items = run_json(wc, "reassignment", "items", wc.account_id, plan["plan_id"])
    assert {i["id"] for i in items} == set(ids)
    assert plan["plan_id"] in run(wc, "reassignment", "plans", wc.account_id, "leaver")
    assert run_json(wc, "reassignment", "customer", wc.account_id, ids[0])[0]["plan_id"] == plan["plan_id"]


def test_reassignment_plans_lists_every_plan_or_one_handovers(env):
    run, run_json, sb, _, wc = env
    sb.wecom_staff(wc.app_id, "t1")
    made = {}
    for handover in ("leaver-a", "leaver-b"):
        sb.wecom_customers(wc.app_id, handover, count=2)
        sb.wecom_staff(wc.app_id, handover, status="resigned")
        made[handover] = run_json(wc, "reassignment", "create", wc.account_id, "--handover", handover,
                                  "--takeover", "t1")["plan_id"]
    every = run_json(wc, "reassignment", "plans", wc.account_id, "--all")
    assert [p["plan_id"] for p in every] == sorted(made.values(), reverse=True)  # newest first (time-ordered ids)
    assert {p["plan_id"]: p["handover_userid"] for p in every} == {v: k for k, v in made.items()}
    only = run_json(wc, "reassignment", "plans", wc.account_id, "leaver-a")
    assert [p["plan_id"] for p in only] == [made["leaver-a"]]
    table = run(wc, "reassignment", "plans", wc.account_id)
    assert "handover_userid" in table.splitlines()[0] and made["leaver-a"] in table and "leaver-b" in table


def test_sandbox_follow_scan_unfollow_new_customer_and_clock(env):
    run, run_json, sb, oa, wc = env
    followed = run_json(oa, "sandbox", "follow", oa.account_id, "--openid", "o-new")
    assert followed["status"] == 200  # our callback took the event
    assert sb.oa_follower(oa.app_id, "o-new")["subscribe"] == 1
    assert run_json(oa, "sandbox", "scan", oa.account_id, "--openid", "o-new", "--scene", "123")["status"] == 200
    run_json(oa, "sandbox", "unfollow", oa.account_id, "--openid", "o-new")
    assert sb.oa_follower(oa.app_id, "o-new")["subscribe"] == 0
    added = run_json(wc, "sandbox", "new-customer", wc.account_id, "--staff", "alice", "--state", "ch_x")
    assert sb.wecom_customer(wc.app_id, added["external_userid"])["owners"] == ["alice"]
    assert added["welcome_code"]  # the add came with a welcome code, as WeCom sends it
    before = sb.now()
    moved = run_json(oa, "sandbox", "clock", "--move", "3600")
    assert moved["now"] >= before + 3600
    shown = run(oa, "sandbox", "clock", "--set", "2030-01-01T08:00:00+08:00")
    assert "2030-01-01T08:00:00+08:00" in shown


def test_sandbox_drain_asks_the_dispatcher(env):
    from local.dispatcher import control_handler

    run, run_json, *_ = env
    oa = env[3]

    class Dispatcher:  # the control surface's collaborator; the real one needs the whole local stack
        drained = 0

        def drain(self):
            self.drained += 1
            return True

    dispatcher = Dispatcher()
    server = ThreadingHTTPServer(("127.0.0.1", 0), control_handler(dispatcher))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        assert run_json(oa, "sandbox", "--dispatcher-url", url, "drain") == {"drained": True}
        assert dispatcher.drained == 1
        missing = requests.get(f"{url}/nope", timeout=10)
        assert missing.status_code == 404 and missing.headers["Content-Type"] == "application/json; charset=utf-8"
    finally:
        server.shutdown()
        server.server_close()


def _apply_queued_events() -> None:
    """What the event worker would do: every message on the events queue, applied once."""
    from scrm.aws import client
    from scrm.queues import EVENTS, queue_url
    from scrm.services import events

    sqs = client("sqs")
    while True:
        got = sqs.receive_message(QueueUrl=queue_url(EVENTS), MaxNumberOfMessages=10).get("Messages", [])
        if not got:
            return
        for m in got:
            events.apply(json.loads(m["Body"]))
            sqs.delete_message(QueueUrl=queue_url(EVENTS), ReceiptHandle=m["ReceiptHandle"])


def test_menus_create_publish_versions_rollback_click_and_stats(env, tmp_path):
    run, run_json, sb, oa, _ = env
    menu = tmp_path / "menu.json"
    menu.write_text(json.dumps({"name": "门店菜单", "button": [
        {"type": "click", "name": "签到", "key": "SIGN_IN"},
        {"name": "会员", "sub_button": [{"type": "view", "name": "商城", "url": "https://shop.example.com/"}]}]},
        ensure_ascii=False), encoding="utf-8")
    draft = run_json(oa, "menus", "create", oa.account_id, "--file", str(menu))
    assert draft["name"] == "门店菜单" and draft["draft_id"] in run(oa, "menus", "drafts", oa.account_id)
    assert run_json(oa, "menus", "publish", oa.account_id, draft["draft_id"])["version"] == 1
    assert run_json(oa, "menus", "publish", oa.account_id, draft["draft_id"])["unchanged"] is True
    assert "matches_published  yes" in run(oa, "menus", "current", oa.account_id)
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"button": [{"type": "click", "name": "新品", "key": "NEW"}]}), encoding="utf-8")
    second = run_json(oa, "menus", "create", oa.account_id, "--file", str(other))
    run_json(oa, "menus", "publish", oa.account_id, second["draft_id"])
    assert run_json(oa, "menus", "rollback", oa.account_id, "1")["version"] == 3
    versions = run(oa, "menus", "versions", oa.account_id).splitlines()
    assert versions[0].split()[:2] == ["version", "published_at"] and versions[2].split()[0] == "3"
    sb.oa_followers(oa.app_id, openids=["o-menu"])
    tapped = run_json(oa, "sandbox", "menu-click", oa.account_id, "--openid", "o-menu", "--name", "签到")
    assert tapped["status"] == 200
    _apply_queued_events()
    table = run(oa, "menus", "stats", oa.account_id).splitlines()
    assert table[0].split() == ["day", "name", "entry", "clicks", "unique_users"]
    assert any("签到" in line and line.split()[-2:] == ["1", "1"] for line in table)
    assert any("会员/商城" in line and line.split()[-2:] == ["0", "0"] for line in table)  # nobody used it
def test_tags_list_create_rename_delete_sync(env):
    run, run_json, sb, _, wecom = env
    made = run_json(wecom, "tags", "create", wecom.account_id, "--group", "会员等级", "--tag", "金卡", "--tag", "银卡")
    ids = {t["name"]: t["tag_id"] for t in made}
    listed = run(wecom, "tags", "list", wecom.account_id)
    header, *rows = listed.splitlines()
    assert "group_name" in header and any("金卡" in r and "会员等级" in r for r in rows)
    # the table's columns line up with Chinese text in them (display width, not characters)
    start = _column_start(header, "group_name")
    assert all(_column_start(r, "会员等级") == start for r in rows if "会员等级" in r)
    renamed = run_json(wecom, "tags", "rename", wecom.account_id, ids["银卡"], "--name", "白银", "--order", "3")
    assert (renamed[0]["name"], renamed[0]["order"]) == ("白银", 3)
    assert [t["name"] for t in run_json(wecom, "tags", "list", wecom.account_id)] == ["白银", "金卡"]
    gone = run_json(wecom, "tags", "delete", wecom.account_id, ids["金卡"])
    assert gone["tag_ids"] == [ids["金卡"]]
    assert run_json(wecom, "tags", "sync", wecom.account_id)["tags"] == 1
def test_oa_tags_list_create_rename_delete_sync(env):
    run, run_json, _, oa, _ = env
    made = run_json(oa, "oa-tags", "create", oa.account_id, "金卡会员")
    tag = made[0]["tag_id"]
    assert made[0]["name"] == "金卡会员" and tag.isdigit()
    header, *rows = run(oa, "oa-tags", "list", oa.account_id).splitlines()
    assert "system" in header and any("金卡会员" in r for r in rows) and any("星标组" in r for r in rows)
    assert run_json(oa, "oa-tags", "rename", oa.account_id, tag, "钻石会员")[0]["name"] == "钻石会员"
    assert run_json(oa, "oa-tags", "delete", oa.account_id, tag)["tag_ids"] == [tag]
    assert run_json(oa, "oa-tags", "sync", oa.account_id)["tags"] == 1  # 星标组 only


def test_moments_create_preview_list_figures_cancel(env):
    run, run_json, sb, _, wecom = env
    sb.wecom_customers(wecom.app_id, "s1", count=2)
    m = run_json(wecom, "moments", "create", wecom.account_id, "--name", "新品", "--text", "新品上市",
                 "--sender", "s1", "--send-at", "2099-01-01T09:00:00+08:00", "--attachments",
                 '[{"msgtype": "link", "link": {"title": "新品", "url": "https://example.com/new"}}]')
    assert m["status"] == "scheduled" and m["senders"] == ["s1"]
    preview = run_json(wecom, "moments", "preview", wecom.account_id, m["moment_id"])
    assert (preview["visible"], preview["over_quota"], preview["limit"]) == (2, 0, 4)
    listed = run(wecom, "moments", "list", wecom.account_id)
    assert m["moment_id"] in listed and "新品" in listed
    assert "published 0 of 1" in run(wecom, "moments", "figures", wecom.account_id, m["moment_id"])
    assert "scheduled" in run(wecom, "moments", "status", wecom.account_id, m["moment_id"])
    assert run_json(wecom, "moments", "cancel", wecom.account_id, m["moment_id"])["status"] == "cancelled"
def test_groups_list_and_show(env):
    from scrm.services.groups.membership import apply_chat_event

    run, run_json, sb, _, wc = env
    [chat] = sb.wecom_groupchats(wc.app_id, "zhangsan", count=1, name=NAME)["chat_ids"]
    apply_chat_event(wc.account_id, {"ChatId": chat, "ChangeType": "create", "CreateTime": str(int(sb.now()))},
                     "cli-create", "wecom.change_external_chat.create")
    apply_chat_event(wc.account_id, {"ChatId": chat, "ChangeType": "update", "UpdateDetail": "add_member",
                                     "JoinScene": "3", "MemChangeList": ["wm-cli-1"],
                                     "CreateTime": str(int(sb.now()) + 1)}, "cli-add",
                     "wecom.change_external_chat.update")
    listed = run(wc, "groups", "list", wc.account_id)
    assert chat in listed and NAME in listed
    shown = run_json(wc, "groups", "show", wc.account_id, chat, "--sizes")
    assert shown["size"] == 2 and {m["userid"] for m in shown["members"]} == {"zhangsan", "wm-cli-1"}
    assert shown["days"][-1]["size"] == 2


def test_groups_members_import_show_and_figures(env, tmp_path):
    from scrm.services.channels import create_channel

    run, run_json, sb, _, wc = env
    chats = sb.wecom_groupchats(wc.app_id, "zhangsan", count=1)["chat_ids"]
    channel = create_channel(Scope.system(wc.account_id), wc.account_id, {
        "kind": "wecom_group", "name": "CLI 会员群", "chat_ids": chats, "members_only": True,
        "sign_in_account": "test-oa"})
    path = tmp_path / "members.csv"
    path.write_bytes("\ufeffmember_id,phone,name\r\nCLI01,13800138000,张三\r\nCLI 02,13800138001,\r\n".encode())
    printed = run(wc, "groups", "members", "import", wc.account_id, str(path))
    assert "created 1, updated 0, unchanged 0, rejected 1" in printed and "member_id" in printed and "3" in printed
    assert run_json(wc, "groups", "members", "import", wc.account_id, str(path))["unchanged"] == 1
    assert run_json(wc, "groups", "members", "show", wc.account_id, "CLI01")["has_phone"] is True
    figures = run_json(wc, "groups", "members", "figures", wc.account_id, channel["channel_id"])
    assert (figures["verified"], figures["refused"], figures["joined"]) == (0, 0, 0)
    csv_text = run(wc, "groups", "members", "figures", wc.account_id, channel["channel_id"], "--csv")
    assert csv_text.startswith("channel_id,name,verified")
def test_followers_sync_breakdown_csv_and_show(env, tmp_path):
    run, run_json, sb, oa, _ = env
    made = sb.oa_followers(oa.app_id, count=12, prefix="oCli")
    assert run_json(oa, "followers", "sync", oa.account_id)["phase"] == "list"
    for _ in range(5):  # the worker's steps: listing, then the sweep
        _apply_queued_events()
    assert run_json(oa, "followers", "sync", oa.account_id, "--status")["phase"] == "done"
    table = run(oa, "followers", "breakdown", oa.account_id)
    assert "total" in table and "zh_CN" in table and "12" in table
    path = tmp_path / "f.csv"
    run(oa, "followers", "breakdown", oa.account_id, "--csv", "-o", str(path))
    assert path.read_bytes().startswith("\ufeffdimension".encode())
    assert run_json(oa, "followers", "show", oa.account_id, made["first_openid"])["subscribe"] is True
